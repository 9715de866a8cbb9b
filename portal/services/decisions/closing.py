"""Polls and owners' votes that stop taking answers soon, for reminders ("问卷即将截止")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from portal.models import Consultation, OwnersVote, Poll, utcnow
from portal.services.consultations import phases
from portal.services.decisions.owners import vote_is_open
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
