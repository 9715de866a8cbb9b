"""Reading consultations: by id, lists with participation counts, dates as residents read them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from portal.models import (
    Community,
    Consultation,
    Opinion,
    Phase,
    Vote,
)
from portal.services import participants, tenancy
from portal.services.actors import Actor
from portal.services.consultations.phases import PUBLIC_PHASES, is_public, phase_clause, phase_label
from portal.services.errors import NotFound
from portal.services.queries import opinion_is_visible
from portal.timefmt import format_period

# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ConsultationCard:
    consultation: Consultation
    phase_label: str
    n_opinions: int
    n_participants: int
    n_votes: int

    @property
    def id(self) -> int:
        assert self.consultation.id is not None
        return self.consultation.id


def get_consultation(session: Session, consultation_id: int, *, public: bool = True) -> Consultation:
    """A consultation by id; drafts are invisible to the public (NotFound, not a hint)."""
    c = session.get(Consultation, consultation_id)
    if c is None or (public and not is_public(c)):
        raise NotFound("找不到这个议题。")
    return c


def participation_counts(session: Session, consultation_ids: list[int], *,
                         votes: bool = True) -> dict[int, tuple[int, int, int]]:
    """Per consultation: visible opinions, distinct participants (authors or voters), votes
    (0 with ``votes=False``, for a caller that does not show them: counting votes reads every
    vote row)."""
    if not consultation_ids:
        return {}
    out = dict.fromkeys(consultation_ids, (0, 0, 0))
    n_op = dict(
        session.exec(
            select(Opinion.consultation_id, func.count())
            .where(col(Opinion.consultation_id).in_(consultation_ids), opinion_is_visible())
            .group_by(col(Opinion.consultation_id))
        ).all()
    )
    n_votes = {} if not votes else dict(
        session.exec(
            select(Opinion.consultation_id, func.count())
            .join(Vote, col(Vote.opinion_id) == col(Opinion.id))
            .where(col(Opinion.consultation_id).in_(consultation_ids))
            .group_by(col(Opinion.consultation_id))
        ).all()
    )
    n_people = participants.by_consultation(session, consultation_ids)
    for cid in consultation_ids:
        out[cid] = (n_op.get(cid, 0), n_people.get(cid, 0), n_votes.get(cid, 0))
    return out


def list_consultations(
    session: Session, *, phases: tuple[Phase, ...] = PUBLIC_PHASES, community_id: int | None = None,
    actor: Actor | None = None,
) -> list[ConsultationCard]:
    """Consultations whose phase in force is one of ``phases``, newest first, with participation
    counts; of one community (``community_id``), or of the staff ``actor``'s own community."""
    if actor is not None:
        community_id = tenancy.home_community(session, actor, community_id).id
    stmt = select(Consultation).where(phase_clause(phases))
    if community_id is not None:
        stmt = stmt.where(Consultation.community_id == community_id)
    rows = list(session.exec(stmt.order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())))
    counts = participation_counts(session, [c.id for c in rows if c.id is not None])
    return [
        ConsultationCard(c, phase_label(c), *counts.get(c.id or 0, (0, 0, 0))) for c in rows
    ]


def community_name(session: Session, community_id: int | None = None) -> str:
    """The community's name (given, or the only one of a single-community database); else the
    portal's name."""
    if community_id is not None:
        c = session.get(Community, community_id)
    else:
        rows = session.exec(select(Community).order_by(col(Community.id)).limit(2)).all()
        c = rows[0] if len(rows) == 1 else None
    return c.name if c else "社区议事厅"


def deadline_text(c: Consultation) -> str:
    """The collecting period as residents read it: 2026年8月1日 — 2026年8月31日 (days in China)."""
    return format_period(c.opens_at, c.closes_at)


