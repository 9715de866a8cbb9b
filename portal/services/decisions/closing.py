"""Polls and owners' votes that stop taking answers soon, for reminders ("问卷即将截止")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from portal.models import (
    Consultation,
    OwnerBallot,
    OwnerHousehold,
    OwnersVote,
    Poll,
    PollResponse,
    utcnow,
)
from portal.services.consultations import phases
from portal.services.decisions.owners import roll_of, vote_is_open
from portal.services.decisions.polls import poll_is_open


@dataclass(frozen=True)
class ClosingSoon:
    kind: str  # "poll" / "owners_vote"
    item_id: int
    consultation_id: int
    title: str
    closes_at: datetime

    @property
    def kind_label(self) -> str:
        return "问卷" if self.kind == "poll" else "业主表决"


def _effective_close(own: datetime | None, c: Consultation) -> datetime | None:
    """When an item stops taking answers: its own time or the consultation's, whichever is first."""
    times = [phases._aware(t) for t in (own, c.closes_at if phases.current_phase(c) == phases.Phase.COLLECTING
                                        else None) if t is not None]
    return min(times) if times else None


def closing_within(session: Session, hours: float, *, now: datetime | None = None) -> list[ClosingSoon]:
    """Open polls and owners' votes that stop taking answers within ``hours`` (soonest first), so
    residents can be reminded ("问卷即将截止")."""
    now = now or utcnow()
    until = now + timedelta(hours=hours)
    found: list[ClosingSoon] = []
    consultations: dict[int, Consultation] = {}

    def consultation(cid: int) -> Consultation:
        if cid not in consultations:
            got = session.get(Consultation, cid)
            assert got is not None
            consultations[cid] = got
        return consultations[cid]

    for p in session.exec(select(Poll).where(col(Poll.closed_at).is_(None))):
        c = consultation(p.consultation_id)
        when = _effective_close(p.closes_at, c)
        if when is not None and now < when <= until and poll_is_open(p, c, now):
            found.append(ClosingSoon("poll", p.id, c.id, p.title, when))  # type: ignore[arg-type]
    for v in session.exec(select(OwnersVote).where(col(OwnersVote.closed_at).is_(None))):
        c = consultation(v.consultation_id)
        when = _effective_close(v.closes_at, c)
        if when is not None and now < when <= until and vote_is_open(v, c, now):
            found.append(ClosingSoon("owners_vote", v.id, c.id, v.title, when))  # type: ignore[arg-type]
    return sorted(found, key=lambda s: (s.closes_at, s.kind, s.item_id))


def still_to_decide(session: Session, c: Consultation, resident_ids: Iterable[int], *,
                    now: datetime | None = None) -> set[int]:
    """Those of ``resident_ids`` with something to do on 参与表决 in consultation ``c``: an open
    poll they have not answered (polls are open to the whole community), or an open owners' vote
    in which a household they own or hold the proxy for has no ballot yet."""
    now = now or utcnow()
    wanted = set(resident_ids)
    pending: set[int] = set()
    for p in session.exec(select(Poll).where(Poll.consultation_id == c.id, col(Poll.closed_at).is_(None))):
        if poll_is_open(p, c, now):
            answered = set(session.exec(select(PollResponse.resident_id).where(PollResponse.poll_id == p.id)))
            pending |= wanted - answered
    for v in session.exec(select(OwnersVote).where(OwnersVote.consultation_id == c.id,
                                                   col(OwnersVote.closed_at).is_(None))):
        if not vote_is_open(v, c, now):
            continue
        voted = set(session.exec(select(OwnerBallot.household_id).where(OwnerBallot.vote_id == v.id)))
        open_households = [h for h in roll_of(v) if h not in voted]
        for chunk in range(0, len(open_households), 500):
            for owner, proxy in session.exec(select(OwnerHousehold.owner_resident_id, OwnerHousehold.proxy_resident_id)
                                             .where(col(OwnerHousehold.id).in_(open_households[chunk:chunk + 500]))):
                pending |= {r for r in (owner, proxy) if r in wanted}
    return pending
