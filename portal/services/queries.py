"""The one home of "what residents and the public may see" and of vote counts.

An opinion or comment hidden by moderation is left out of everything read for residents, the
public, published results, open data and analysis runs; only moderation, the committee's full
export and the author's own 我的参与 see it. Every such reader builds its query from these
conditions, so a new visibility rule (say, "withdrawn by its author") is written here once.

Attachments follow the same rule here: a consultation's documents are public once the
consultation is (any phase but 草稿); a resident's photo only once staff approved it, and only while
its opinion is visible (``attachment_is_public`` for a loaded row, ``public_photos_of`` in SQL).

Vote counts per opinion are counted here too (agree, disagree, pass), whichever page shows them.

It sits beside ``actors`` and ``audit`` rather than in a concept package because consultations,
participation, review and publishing all read through it; it imports only the models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, func, select

from portal.models import (
    Comment,
    Consultation,
    ConsultationDocument,
    Opinion,
    OpinionPhoto,
    Phase,
    PhotoReview,
    Visibility,
    Vote,
    VoteValue,
)

# ---------------------------------------------------------------- visibility


def opinion_is_visible() -> ColumnElement[bool]:
    """SQL condition: the opinion is not hidden by moderation."""
    return col(Opinion.visibility) == Visibility.VISIBLE


def comment_is_visible() -> ColumnElement[bool]:
    """SQL condition: the comment is not hidden by moderation."""
    return col(Comment.visibility) == Visibility.VISIBLE


def visible_opinions_of(consultation_id: int) -> ColumnElement[bool]:
    """SQL condition: an opinion of this consultation that residents and the public may see."""
    return and_(col(Opinion.consultation_id) == consultation_id, opinion_is_visible())


def is_visible(row: Opinion | Comment) -> bool:
    """The same rule for a row already loaded."""
    return row.visibility == Visibility.VISIBLE


# ---------------------------------------------------------------- attachments


def public_photos_of(consultation_id: int) -> ColumnElement[bool]:
    """SQL condition (with OpinionPhoto joined to Opinion): an approved photo on a visible
    opinion of this consultation."""
    return and_(col(OpinionPhoto.review) == PhotoReview.APPROVED, visible_opinions_of(consultation_id))


def attachment_is_public(
    row: ConsultationDocument | OpinionPhoto, *, consultation: Consultation, opinion: Opinion | None = None,
) -> bool:
    """May residents and the public open this attachment? (``opinion``: a photo's opinion.)"""
    if consultation.phase == Phase.DRAFT:
        return False
    if isinstance(row, OpinionPhoto):
        return (row.review == PhotoReview.APPROVED and opinion is not None and opinion.id == row.opinion_id
                and opinion.consultation_id == consultation.id and is_visible(opinion))
    return row.consultation_id == consultation.id


# ---------------------------------------------------------------- vote counts


@dataclass(frozen=True)
class VoteCounts:
    """Votes on one opinion."""

    agree: int = 0
    disagree: int = 0
    passes: int = 0


NO_VOTES = VoteCounts()


def vote_counts(session: Session, opinion_ids: Iterable[int | None]) -> defaultdict[int, VoteCounts]:
    """Votes per opinion among ``opinion_ids``; an opinion nobody voted on maps to zero counts."""
    out: defaultdict[int, VoteCounts] = defaultdict(lambda: NO_VOTES)
    ids = [i for i in dict.fromkeys(opinion_ids) if i is not None]
    if not ids:
        return out
    raw: defaultdict[int, dict[str, int]] = defaultdict(dict)
    for oid, value, n in session.exec(
        select(Vote.opinion_id, Vote.value, func.count())
        .where(col(Vote.opinion_id).in_(ids))
        .group_by(col(Vote.opinion_id), col(Vote.value))
    ).all():
        raw[oid][str(value)] = n
    for oid, by_value in raw.items():
        out[oid] = VoteCounts(by_value.get(VoteValue.AGREE.value, 0), by_value.get(VoteValue.DISAGREE.value, 0),
                              by_value.get(VoteValue.PASS.value, 0))
    return out


def votes_on_each_opinion(value: VoteValue | None = None) -> ColumnElement[int]:
    """A correlated count of the votes (of ``value``, or all) on the row's opinion, to sort by."""
    stmt = select(func.count()).select_from(Vote).where(col(Vote.opinion_id) == col(Opinion.id))
    if value is not None:
        stmt = stmt.where(col(Vote.value) == value)
    return stmt.correlate(Opinion).scalar_subquery()
