"""services.queries: the visible-opinion conditions and vote counts every reader shares."""

from __future__ import annotations

from collections import Counter

from sqlmodel import col, select

from portal.models import Comment, Opinion, Vote, VoteValue
from portal.services.queries import (
    NO_VOTES,
    comment_is_visible,
    is_visible,
    visible_opinions_of,
    vote_counts,
    votes_on_each_opinion,
)
from tests.results_fixtures import HIDDEN_COMMENT, seed_results


def test_visible_opinions_leave_out_the_hidden_one_and_other_consultations(session):
    seeded = seed_results(session)
    shown = session.exec(select(Opinion).where(visible_opinions_of(seeded.consultation_id))).all()
    everything = session.exec(select(Opinion)).all()
    assert seeded.hidden_opinion_id not in {o.id for o in shown}
    assert all(o.consultation_id == seeded.consultation_id and is_visible(o) for o in shown)
    expected = [o for o in everything if o.consultation_id == seeded.consultation_id and is_visible(o)]
    assert len(shown) == len(expected) == 12
    comments = session.exec(select(Comment).where(comment_is_visible())).all()
    assert comments and HIDDEN_COMMENT not in {c.text_public for c in comments}


def test_vote_counts_agree_with_the_vote_rows(session):
    seeded = seed_results(session)
    ids = list(session.exec(select(Opinion.id).where(Opinion.consultation_id == seeded.consultation_id)))
    by_hand = Counter((v.opinion_id, VoteValue(v.value)) for v in session.exec(select(Vote)))
    counts = vote_counts(session, [*ids, None, ids[0]])  # None and repeats are harmless
    for oid in ids:
        assert (counts[oid].agree, counts[oid].disagree, counts[oid].passes) == (
            by_hand[(oid, VoteValue.AGREE)], by_hand[(oid, VoteValue.DISAGREE)], by_hand[(oid, VoteValue.PASS)])
    assert sum(counts[oid].agree for oid in ids) > 0
    assert counts[10_000] == NO_VOTES and vote_counts(session, []) == {}


def test_the_correlated_count_sorts_like_the_counts(session):
    seeded = seed_results(session)
    n_agree = votes_on_each_opinion(VoteValue.AGREE)
    rows = session.exec(select(Opinion.id, n_agree).where(visible_opinions_of(seeded.consultation_id))
                        .order_by(n_agree.desc(), col(Opinion.id))).all()
    counts = vote_counts(session, [oid for oid, _ in rows])
    assert [n for _, n in rows] == [counts[oid].agree for oid, _ in rows]
    assert [n for _, n in rows] == sorted((n for _, n in rows), reverse=True)
