"""Creating and editing consultations, and moving them between phases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlmodel import Session, col, func, select

from portal.models import (
    Area,
    Consultation,
    ConsultationArea,
    Opinion,
    Phase,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require
from portal.services.consultations import phases
from portal.services.errors import InvalidInput, NotFound, PhaseClosed
from portal.timefmt import LOCAL_TZ, local_date, today_local


def change_phase(
    session: Session, *, actor: Actor, consultation_id: int, to: Phase, closes_on: date | None = None,
) -> Consultation:
    """Make one of the moves the phase table allows from the phase in force.

    Reopening collection after its closing date needs a new closing date (``closes_on``), or it
    would end again at once. Each move names its permission (publishing: ``publish_results``).
    """
    c = tenancy.consultation_for(session, actor, consultation_id)
    to = Phase(to)
    current = phases.current_phase(c)
    move = phases.find_move(c, to)
    require(actor, move.permission if move else "change_phase")
    if move is None:
        raise InvalidInput(f"不能从“{current.label}”直接切换到“{to.label}”。")
    if to == Phase.COLLECTING and not c.question.strip():
        raise InvalidInput("议题还没有填写要征求意见的问题，不能开始征集。")
    today = today_local()
    if closes_on is not None:
        if today and closes_on < today:
            raise InvalidInput("新的截止日期不能早于今天。")
        c.closes_at = closes_at_for(closes_on)
    elif phases.reopening(c, to) and c.closes_at is not None and phases.deadline_passed(c):
        raise InvalidInput("截止日期已过，重新开放征集请同时填写新的截止日期。")
    now = utcnow()
    c.phase = to
    c.updated_at = now
    if to == Phase.PUBLISHED:
        c.published_at = now
    if to == Phase.CLOSED:
        c.closed_at = now
    session.add(c)
    detail: dict[str, object] = {"from": current.value, "to": to.value}
    if closes_on is not None:
        detail["closes_on"] = closes_on.isoformat()
    audit.record(session, actor=actor.audit_name, action="consultation.phase",
                 target_type="consultation", target_id=consultation_id, detail=detail)
    _tell_residents(session, c, to)
    from portal.services.publishing.snapshot import refresh_snapshot

    refresh_snapshot(session, consultation_id)  # the first visitor after publishing reads it ready
    return c


def _tell_residents(session: Session, c: Consultation, to: Phase) -> None:
    """Opening and publishing are news for residents: written in this same transaction."""
    from portal.services.notifications import events  # notifications read the phase table

    session.flush()
    if to == Phase.COLLECTING:
        events.consultation_opened(session, c)
    elif to == Phase.PUBLISHED:
        events.results_published(session, c)


# ---------------------------------------------------------------- creating and editing

# Dates are entered as calendar days in China (UTC+8): collecting opens at 08:00 on the first day
# (00:00 UTC) and closes at 23:59:59 on the last day, so the UTC date shown equals the local one.

def opens_at_for(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def closes_at_for(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(UTC)


@dataclass(frozen=True)
class ConsultationDraft:
    """What the committee fills in; validated by :func:`create_consultation` / :func:`update_consultation`."""

    title: str
    question: str
    background: str = ""
    opens_on: date | None = None
    closes_on: date | None = None
    area_ids: tuple[int, ...] = ()
    votes_during_review: bool = False


def _validate(session: Session, draft: ConsultationDraft, community_id: int) -> ConsultationDraft:
    title, question, background = draft.title.strip(), draft.question.strip(), draft.background.strip()
    if not 2 <= len(title) <= 100:
        raise InvalidInput("议题标题需为 2–100 个字。")
    if not 2 <= len(question) <= 500:
        raise InvalidInput("征求意见的问题需为 2–500 个字。")
    if len(background) > 5000:
        raise InvalidInput("背景介绍最多 5000 个字。")
    if draft.opens_on and draft.closes_on and draft.closes_on <= draft.opens_on:
        raise InvalidInput("截止日期必须晚于开始日期。")
    if draft.closes_on and not draft.opens_on:
        raise InvalidInput("填写了截止日期，也请填写开始日期。")
    area_ids = tuple(dict.fromkeys(draft.area_ids))
    if area_ids:
        found = set(session.exec(
            select(Area.id).where(col(Area.id).in_(area_ids), Area.community_id == community_id)
        ))
        if len(found) != len(area_ids):
            raise InvalidInput("所选楼栋中有不属于本社区的，请重新选择。")
    return ConsultationDraft(title, question, background, draft.opens_on, draft.closes_on,
                             area_ids, draft.votes_during_review)


def _set_areas(session: Session, consultation_id: int, area_ids: tuple[int, ...]) -> None:
    for row in session.exec(select(ConsultationArea).where(ConsultationArea.consultation_id == consultation_id)):
        session.delete(row)
    session.flush()
    for area_id in area_ids:
        session.add(ConsultationArea(consultation_id=consultation_id, area_id=area_id))


def create_consultation(
    session: Session, *, actor: Actor, draft: ConsultationDraft, community_id: int | None = None,
    today: date | None = None,
) -> Consultation:
    """A new consultation in the 草稿 phase. The caller commits."""
    require(actor, "manage_consultation")
    try:
        community = tenancy.home_community(session, actor, community_id)
    except NotFound:
        if community_id is not None:
            raise
        raise NotFound("数据库中还没有社区，请先创建社区。") from None
    tenancy.require_for(actor, community.id)
    assert community.id is not None
    d = _validate(session, draft, community.id)
    today = today or today_local()
    if d.closes_on and today and d.closes_on < today:
        raise InvalidInput("截止日期不能早于今天。")
    c = Consultation(
        community_id=community.id, title=d.title, question=d.question, background=d.background,
        opens_at=opens_at_for(d.opens_on) if d.opens_on else None,
        closes_at=closes_at_for(d.closes_on) if d.closes_on else None,
        votes_during_review=d.votes_during_review, phase=Phase.DRAFT,
        created_by=getattr(actor, "user_id", None),
    )
    session.add(c)
    session.flush()
    assert c.id is not None
    _set_areas(session, c.id, d.area_ids)
    audit.record(session, actor=actor.audit_name, action="consultation.create",
                 target_type="consultation", target_id=c.id, detail={"title": c.title})
    return c


def update_consultation(
    session: Session, *, actor: Actor, consultation_id: int, draft: ConsultationDraft
) -> Consultation:
    """Edit a consultation while it is a draft or collecting opinions. Once residents have
    answered, the question itself stays as they saw it."""
    c = tenancy.consultation_for(session, actor, consultation_id, "manage_consultation")
    if not phases.can_edit(c):
        raise PhaseClosed(f"议题已处于{phases.phase_label(c)}阶段，不能再修改内容。")
    d = _validate(session, draft, c.community_id)
    if d.question != c.question:
        n = session.exec(select(func.count()).select_from(Opinion)
                         .where(Opinion.consultation_id == consultation_id)).one()
        if n:
            raise InvalidInput(f"已有 {n} 条意见回答了原来的问题，不能再修改问题；可以在背景介绍中补充说明。")
    changed = [name for name, old, new in (
        ("title", c.title, d.title), ("question", c.question, d.question),
        ("background", c.background, d.background),
        ("opens_on", local_date(c.opens_at), d.opens_on), ("closes_on", local_date(c.closes_at), d.closes_on),
        ("areas", tuple(sorted(consultation_area_ids(session, consultation_id))), tuple(sorted(d.area_ids))),
        ("votes_during_review", c.votes_during_review, d.votes_during_review),
    ) if old != new]
    c.title, c.question, c.background = d.title, d.question, d.background
    c.opens_at = opens_at_for(d.opens_on) if d.opens_on else None
    c.closes_at = closes_at_for(d.closes_on) if d.closes_on else None
    c.votes_during_review = d.votes_during_review
    c.updated_at = utcnow()
    session.add(c)
    _set_areas(session, consultation_id, d.area_ids)
    audit.record(session, actor=actor.audit_name, action="consultation.update",
                 target_type="consultation", target_id=consultation_id, detail={"changed": changed})
    return c


def consultation_area_ids(session: Session, consultation_id: int) -> list[int]:
    return list(session.exec(
        select(ConsultationArea.area_id).where(ConsultationArea.consultation_id == consultation_id)
    ))


def draft_of(session: Session, c: Consultation) -> ConsultationDraft:
    """The editable fields of a consultation, for pre-filling the edit form."""
    assert c.id is not None
    return ConsultationDraft(c.title, c.question, c.background, local_date(c.opens_at),
                             local_date(c.closes_at), tuple(consultation_area_ids(session, c.id)),
                             c.votes_during_review)


