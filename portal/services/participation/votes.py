"""Voting: one row per (opinion, resident), guaranteed by the ``uq_vote_once`` unique constraint.

Two requests racing to insert the same vote both pass the "not voted yet" check; the loser's
INSERT fails on the constraint, and ``cast_vote`` then rolls back and updates the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from portal.models import (
    Opinion,
    Vote,
    VoteValue,
    utcnow,
)
from portal.services import participants
from portal.services.actors import Actor, ResidentActor, require_resident
from portal.services.consultations import (
    ensure_can_vote,
)
from portal.services.errors import InvalidInput, NotFound
from portal.services.participation.lookups import (
    _area_names,
    _consultation_for,
    _visible_opinion,
    author_label,
)
from portal.services.queries import visible_opinions_of, votes_on_each_opinion

# ---------------------------------------------------------------- voting


@dataclass(frozen=True)
class VoteResult:
    vote: Vote
    previous: VoteValue | None  # None for a first vote

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.vote.value


def _parse_vote(value: VoteValue | str) -> VoteValue:
    try:
        return VoteValue(value)
    except ValueError:
        raise InvalidInput("请选择“同意”“不同意”或“跳过”。") from None


def _is_vote_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "uq_vote_once" in text or ("unique" in text and "vote" in text)


def cast_vote(
    session: Session, *, actor: Actor | None, opinion_id: int, value: VoteValue | str
) -> VoteResult:
    """Record or change the resident's vote on an opinion (insert-or-update).

    Refuses a resident's own opinion, hidden opinions and phases in which voting is closed.
    """
    resident = require_resident(actor)
    wanted = _parse_vote(value)
    for _attempt in range(3):
        try:
            return _cast_vote_once(session, resident, opinion_id, wanted)
        except IntegrityError as exc:
            # Another request inserted this resident's vote first: update that row instead.
            session.rollback()
            if not _is_vote_conflict(exc):
                raise
    raise InvalidInput("投票没有成功，请再点一次。")


def _cast_vote_once(session: Session, resident: ResidentActor, opinion_id: int, value: VoteValue) -> VoteResult:
    op, c = _visible_opinion(session, opinion_id, resident)
    if c.community_id != resident.community_id:
        raise NotFound("找不到这条意见。")
    ensure_can_vote(c)
    if op.resident_id == resident.resident_id:
        raise InvalidInput("这是您自己提出的意见，不能给自己投票。")
    vote = session.exec(
        select(Vote).where(Vote.opinion_id == opinion_id, Vote.resident_id == resident.resident_id)
    ).first()
    now = utcnow()
    previous: VoteValue | None = None
    if vote is None:
        vote = Vote(opinion_id=opinion_id, resident_id=resident.resident_id, value=value,
                    created_at=now, updated_at=now)
    else:
        previous = VoteValue(vote.value)
        if previous != value:
            vote.value = value
            vote.updated_at = now
    session.add(vote)
    session.flush()  # a concurrent first vote shows up here as IntegrityError, retried above
    if previous is None:
        participants.record(session, consultation_id=c.id, resident_id=resident.resident_id,  # type: ignore[arg-type]
                            at=now)
    return VoteResult(vote, previous)


def support_opinion(session: Session, *, actor: Actor | None, opinion_id: int) -> VoteResult:
    """Support an existing (similar) opinion instead of posting a duplicate: an agree vote."""
    return cast_vote(session, actor=actor, opinion_id=opinion_id, value=VoteValue.AGREE)


@dataclass(frozen=True)
class VoteCard:
    """One opinion waiting for the resident's vote."""

    opinion_id: int
    text: str
    author: str
    n_votes: int
    remaining: int  # opinions still waiting, this one included
    voted: int  # opinions this resident has voted on in the consultation


def _tie_break(opinion_id: Any, resident_id: int) -> Any:
    # A per-resident order among equally-voted opinions, so residents do not all see the same
    # opinion first; deterministic, and portable SQL arithmetic (SQLite and PostgreSQL).
    return (opinion_id * 7919 + resident_id * 104729) % 10007


def next_opinion_to_vote(
    session: Session, *, actor: Actor | None, consultation_id: int, keep: int | None = None
) -> VoteCard | None:
    """The visible opinion this resident has not voted on (and did not write) with the fewest
    votes; ties broken by a fixed per-resident order. None when there is nothing left.

    ``keep`` is the opinion already on the resident's screen: while it still waits for their
    vote it stays the card, so a click is never recorded against an opinion that other
    residents' votes moved into first place in the meantime."""
    resident = require_resident(actor)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_vote(c)
    rid = resident.resident_id
    mine = select(Vote.opinion_id).where(Vote.resident_id == rid)
    n_votes = votes_on_each_opinion()
    waiting = (
        visible_opinions_of(consultation_id),
        col(Opinion.id).not_in(mine),
        (col(Opinion.resident_id).is_(None)) | (col(Opinion.resident_id) != rid),
    )
    remaining = session.exec(select(func.count()).select_from(Opinion).where(*waiting)).one()
    voted = session.exec(
        select(func.count()).select_from(Vote).join(Opinion, col(Opinion.id) == col(Vote.opinion_id))
        .where(Vote.resident_id == rid, Opinion.consultation_id == consultation_id)
    ).one()
    row = None
    if keep is not None:
        row = session.exec(select(Opinion, n_votes).where(*waiting, col(Opinion.id) == keep)).first()
    if row is None:
        row = session.exec(
            select(Opinion, n_votes).where(*waiting)
            .order_by(n_votes, _tie_break(col(Opinion.id), rid), col(Opinion.id)).limit(1)
        ).first()
    if row is None:
        return None
    op, n = row
    areas = _area_names(session, {op.area_id} if op.area_id else set())
    return VoteCard(op.id, op.text_public, author_label(op.anonymous, areas.get(op.area_id)),  # type: ignore[arg-type]
                    int(n), int(remaining), int(voted))


