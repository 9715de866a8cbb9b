"""Consultations: what is visible to whom, and what each phase allows.

The phase rules here are the single source for both the resident and the committee side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from portal.models import (
    Community,
    Consultation,
    Opinion,
    Phase,
    Visibility,
    Vote,
    utcnow,
)
from portal.services import audit
from portal.services.actors import Actor, require
from portal.services.errors import InvalidInput, NotFound, PhaseClosed

PUBLIC_PHASES = (Phase.COLLECTING, Phase.REVIEWING, Phase.PUBLISHED, Phase.CLOSED)
RESULT_PHASES = (Phase.PUBLISHED, Phase.CLOSED)


# ---------------------------------------------------------------- phase rules


def can_submit_opinion(c: Consultation) -> bool:
    return c.phase == Phase.COLLECTING


def can_vote(c: Consultation) -> bool:
    return c.phase == Phase.COLLECTING or (c.phase == Phase.REVIEWING and c.votes_during_review)


def can_comment(c: Consultation) -> bool:
    return can_vote(c)


def results_public(c: Consultation) -> bool:
    return c.phase in RESULT_PHASES


def ensure_can_submit(c: Consultation) -> None:
    if not can_submit_opinion(c):
        raise PhaseClosed(f"“{c.title}”目前处于{Phase(c.phase).label}阶段，已不再收集新意见。")


def ensure_can_vote(c: Consultation) -> None:
    if not can_vote(c):
        raise PhaseClosed(f"“{c.title}”目前处于{Phase(c.phase).label}阶段，投票已结束。")


def what_residents_can_do(c: Consultation) -> str:
    """One plain sentence for the consultation page."""
    return {
        Phase.DRAFT: "议题还在准备中。",
        Phase.COLLECTING: "正在征集意见：您可以提出意见、给别人的意见投票和留言。",
        Phase.REVIEWING: "意见征集已结束，居委会正在研判整理。"
        + ("您仍可以投票。" if c.votes_during_review else ""),
        Phase.PUBLISHED: "结果已公示：可以查看居委会对每个主题的回应和办理进度。",
        Phase.CLOSED: "本议题已办结，可以查看最终结果。",
    }[Phase(c.phase)]


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
    if c is None or (public and c.phase == Phase.DRAFT):
        raise NotFound("找不到这个议题。")
    return c


def participation_counts(session: Session, consultation_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per consultation: visible opinions, distinct participants (authors or voters), votes."""
    if not consultation_ids:
        return {}
    out = dict.fromkeys(consultation_ids, (0, 0, 0))
    n_op = dict(
        session.exec(
            select(Opinion.consultation_id, func.count())
            .where(col(Opinion.consultation_id).in_(consultation_ids),
                   Opinion.visibility == Visibility.VISIBLE)
            .group_by(Opinion.consultation_id)
        ).all()
    )
    n_votes = dict(
        session.exec(
            select(Opinion.consultation_id, func.count())
            .join(Vote, col(Vote.opinion_id) == col(Opinion.id))
            .where(col(Opinion.consultation_id).in_(consultation_ids))
            .group_by(Opinion.consultation_id)
        ).all()
    )
    authors = select(Opinion.consultation_id.label("cid"), Opinion.resident_id.label("rid")).where(  # type: ignore[attr-defined]
        col(Opinion.consultation_id).in_(consultation_ids), col(Opinion.resident_id).is_not(None)
    )
    voters = (
        select(Opinion.consultation_id.label("cid"), Vote.resident_id.label("rid"))  # type: ignore[attr-defined]
        .join(Vote, col(Vote.opinion_id) == col(Opinion.id))
        .where(col(Opinion.consultation_id).in_(consultation_ids))
    )
    people = authors.union(voters).subquery()
    n_people = dict(
        session.exec(select(people.c.cid, func.count()).group_by(people.c.cid)).all()  # type: ignore[call-overload]
    )
    for cid in consultation_ids:
        out[cid] = (n_op.get(cid, 0), n_people.get(cid, 0), n_votes.get(cid, 0))
    return out


def list_consultations(
    session: Session, *, phases: tuple[Phase, ...] = PUBLIC_PHASES, community_id: int | None = None
) -> list[ConsultationCard]:
    """Consultations in the given phases, newest first, with participation counts."""
    stmt = select(Consultation).where(col(Consultation.phase).in_(phases))
    if community_id is not None:
        stmt = stmt.where(Consultation.community_id == community_id)
    rows = list(session.exec(stmt.order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())))
    counts = participation_counts(session, [c.id for c in rows if c.id is not None])
    return [
        ConsultationCard(c, Phase(c.phase).label, *counts.get(c.id or 0, (0, 0, 0))) for c in rows
    ]


def community_name(session: Session) -> str:
    c = session.exec(select(Community).order_by(col(Community.id))).first()
    return c.name if c else "社区议事厅"


def deadline_text(c: Consultation) -> str:
    def fmt(d: datetime | None) -> str:
        return d.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月") if d else "未定"

    return f"{fmt(c.opens_at)} — {fmt(c.closes_at)}"


# ---------------------------------------------------------------- phase changes

NEXT_PHASE = {
    Phase.DRAFT: Phase.COLLECTING,
    Phase.COLLECTING: Phase.REVIEWING,
    Phase.REVIEWING: Phase.PUBLISHED,
    Phase.PUBLISHED: Phase.CLOSED,
}


def change_phase(session: Session, *, actor: Actor, consultation_id: int, to: Phase) -> Consultation:
    """Move a consultation one step forward (or back one step from 研判中 to 征集中 to reopen).

    Publishing results needs ``publish_results``; every other move needs ``change_phase``.
    """
    require(actor, "publish_results" if to == Phase.PUBLISHED else "change_phase")
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    current = Phase(c.phase)
    reopening = current == Phase.REVIEWING and to == Phase.COLLECTING
    if NEXT_PHASE.get(current) != to and not reopening:
        raise InvalidInput(f"不能从“{current.label}”直接切换到“{Phase(to).label}”。")
    if to == Phase.COLLECTING and not c.question.strip():
        raise InvalidInput("议题还没有填写要征求意见的问题，不能开始征集。")
    now = utcnow()
    c.phase = to
    c.updated_at = now
    if to == Phase.PUBLISHED:
        c.published_at = now
    if to == Phase.CLOSED:
        c.closed_at = now
    session.add(c)
    audit.record(session, actor=actor.audit_name, action="consultation.phase",
                 target_type="consultation", target_id=consultation_id,
                 detail={"from": current.value, "to": Phase(to).value})
    return c
