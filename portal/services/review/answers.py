"""Answering themes: responses, status updates on the timeline, and publishing the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from portal.models import (
    Consultation,
    Decision,
    Phase,
    Response,
    StatusUpdate,
    Theme,
    ThemeStatus,
    utcnow,
)
from portal.services import audit
from portal.services.actors import Actor, require
from portal.services.consultations import phases
from portal.services.errors import InvalidInput
from portal.services.notifications import events as notifications

# the module, not its names: publishing.snapshot imports publishing.results, which imports review
from portal.services.publishing import snapshot as results_snapshot
from portal.services.review.curation import _refuse_pii
from portal.services.review.overview import _active_themes, _consultation, _theme
from portal.services.review.runs import latest_run
from portal.timefmt import today_local

# Statuses a committee may post on the timeline (待回应 is only the starting state).
TIMELINE_STATUSES = (ThemeStatus.IN_PROGRESS, ThemeStatus.DONE, ThemeStatus.REFERRED, ThemeStatus.ANSWERED)

# ---------------------------------------------------------------- answers


@dataclass
class PublishCheck:
    unanswered: list[Theme]
    n_themes: int
    has_run: bool
    unreviewed: list[Theme] = field(default_factory=list)  # summaries residents would not see
    n_summarised: int = 0  # themes with opinions (the ones that need a reviewed summary)
    title: str = ""

    @property
    def plan(self) -> str:
        """What publishing will do, with counts: the sentence the committee confirms."""
        parts = [f"将公示“{self.title}”的结果：{self.n_themes} 个主题及其回应对所有居民公开，发布后不能撤回。"]
        if self.unanswered:
            names = "、".join(f"“{t.label}”" for t in self.unanswered[:5])
            more = "等" if len(self.unanswered) > 5 else ""
            parts.append(f"其中 {len(self.unanswered)} 个主题尚未回应（{names}{more}），居民会看到“待回应”。")
        if self.unreviewed:
            parts.append(f"{len(self.unreviewed)} 个主题的摘要未审核，这些主题不公开摘要。")
        return "".join(parts)

    @property
    def ready(self) -> bool:
        return self.has_run and self.n_themes > 0 and not self.unanswered and not self.unreviewed

    @property
    def unreviewed_note(self) -> str:
        """Which themes' summaries are not reviewed, with counts ("" when all are)."""
        if not self.unreviewed:
            return ""
        names = "、".join(f"“{t.label}”" for t in self.unreviewed[:5])
        more = "等" if len(self.unreviewed) > 5 else ""
        n_with = sum(1 for t in self.unreviewed if t.summary.strip())
        return (f"{len(self.unreviewed)} / {self.n_summarised} 个主题的摘要还没有审核：{names}{more}"
                f"（其中 {n_with} 个有机器草稿，{len(self.unreviewed) - n_with} 个还没有摘要）。"
                "未审核的摘要不会公开，居民只会看到这些主题的名称、统计和回应。")


def _answerable(
    session: Session, actor: Actor, theme_id: int, allowed: Callable[[Consultation], bool]
) -> tuple[Theme, Consultation]:
    require(actor, "answer_themes")
    theme = _theme(session, theme_id, actor=actor)
    c = _consultation(session, theme.consultation_id, actor=actor)
    phases.ensure_staff_can(c, allowed, "现在不能修改回应")
    return theme, c


def save_response(
    session: Session, *, actor: Actor, theme_id: int, decision: Decision | str, reasoning: str,
    responsible_party: str, due_date: date | None = None,
) -> Response:
    """Create or update the committee's answer to a theme (one per theme).

    采纳 and 部分采纳 need a due date: residents want to know by when. The first answer also
    starts the theme's public timeline (已回应 / 已转交).
    """
    theme, _ = _answerable(session, actor, theme_id, phases.can_answer)
    try:
        decision = Decision(decision)
    except ValueError:
        raise InvalidInput("请选择一个回应结论。") from None
    reasoning = (reasoning or "").strip()
    party = " ".join((responsible_party or "").split())
    if len(reasoning) < 10:
        raise InvalidInput("请写明理由（至少 10 个字），让居民知道为什么这样决定。")
    if len(reasoning) > 3000:
        raise InvalidInput("理由请不要超过 3000 字。")
    if not 2 <= len(party) <= 100:
        raise InvalidInput("请填写责任单位或责任人（2 到 100 个字）。")
    if decision in (Decision.ADOPT, Decision.PARTIAL) and due_date is None:
        raise InvalidInput(f"“{decision.label}”需要填写计划完成日期。")
    _refuse_pii(reasoning, "回应理由")
    _refuse_pii(party, "责任单位")
    response = session.exec(select(Response).where(Response.theme_id == theme_id)).first()
    uid = getattr(actor, "user_id", None)
    is_new = response is None
    if response is None:
        if due_date is not None and due_date < today_local():
            raise InvalidInput("计划完成日期不能早于今天。")
        response = Response(theme_id=theme_id, decision=decision, reasoning=reasoning,
                            responsible_party=party, due_date=due_date, created_by=uid)
    else:
        response.decision, response.reasoning, response.responsible_party = decision, reasoning, party
        response.due_date = due_date
        response.updated_at = utcnow()
    session.add(response)
    first_status = ThemeStatus.REFERRED if decision == Decision.REFER else ThemeStatus.ANSWERED
    if is_new:
        session.add(StatusUpdate(theme_id=theme_id, status=first_status, created_by=uid,
                                 note=f"居委会作出回应：{decision.label}。责任单位：{party}。"))
    if theme.status in (ThemeStatus.PENDING, ThemeStatus.ANSWERED, ThemeStatus.REFERRED):
        theme.status = first_status
    theme.updated_at = utcnow()
    session.add(theme)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="theme.answer" if is_new else "theme.answer_edit",
                 target_type="theme", target_id=theme_id,
                 detail={"decision": decision.value, "responsible_party": party,
                         "due_date": due_date.isoformat() if due_date else None})
    if is_new:
        notifications.theme_answered(session, theme, decision.label)
    results_snapshot.refresh_snapshot(session, theme.consultation_id)  # only once results are public
    return response


def add_status_update(
    session: Session, *, actor: Actor, theme_id: int, status: ThemeStatus | str, note: str,
) -> StatusUpdate:
    """Add an entry to the theme's public timeline and set the theme's status to it."""
    theme, _ = _answerable(session, actor, theme_id, phases.can_update_status)
    try:
        status = ThemeStatus(status)
    except ValueError:
        raise InvalidInput("请选择办理状态。") from None
    if status not in TIMELINE_STATUSES:
        raise InvalidInput("“待回应”是初始状态，不能作为进展发布。")
    if session.exec(select(Response).where(Response.theme_id == theme_id)).first() is None:
        raise InvalidInput("请先回应这个主题，再发布办理进展。")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("请简要说明进展（至少 4 个字），例如“施工队已进场”。")
    if len(note) > 2000:
        raise InvalidInput("进展说明请不要超过 2000 字。")
    _refuse_pii(note, "进展说明")
    update = StatusUpdate(theme_id=theme_id, status=status, note=note, created_by=getattr(actor, "user_id", None))
    session.add(update)
    theme.status = status
    theme.updated_at = utcnow()
    session.add(theme)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="theme.status", target_type="theme",
                 target_id=theme_id, detail={"status": status.value, "note": note})
    notifications.status_updated(session, theme, update)
    results_snapshot.refresh_snapshot(session, theme.consultation_id)
    return update


def publish_check(session: Session, *, actor: Actor, consultation_id: int) -> PublishCheck:
    """What still stands between this consultation and publishing its results."""
    require(actor, "view_committee")
    _consultation(session, consultation_id, actor=actor, write=False)
    themes = _active_themes(session, consultation_id)
    answered = set(session.exec(select(Response.theme_id).where(col(Response.theme_id).in_([t.id for t in themes]))).all())
    unanswered = [t for t in themes if t.id not in answered and not t.is_other and t.size > 0]
    # 其他 is published too, so its summary is reviewed like any other theme's
    summarised = [t for t in themes if t.size > 0]
    unreviewed = [t for t in summarised if t.summary_reviewed_at is None]
    return PublishCheck(unanswered, len(themes), latest_run(session, consultation_id) is not None,
                        unreviewed=unreviewed, n_summarised=len(summarised),
                        title=_consultation(session, consultation_id, actor=actor, write=False).title)


def publish_results(
    session: Session, *, actor: Actor, consultation_id: int, confirm_unanswered: bool = False,
    confirm_unreviewed: bool = False,
) -> Consultation:
    """Move the consultation to 结果公示.

    Refused without any themes. While some theme (other than 其他) has no answer the committee
    must confirm explicitly: residents will see those themes as 待回应. Likewise while some
    theme's summary is not reviewed: residents will see no summary for it.
    """
    from portal.services.consultations import change_phase

    require(actor, "publish_results")
    check = publish_check(session, actor=actor, consultation_id=consultation_id)
    if check.n_themes == 0:
        raise InvalidInput("这个议题还没有分析出主题，请先运行意见分析并整理主题，再发布结果。")
    if check.unanswered and not confirm_unanswered:
        names = "、".join(f"“{t.label}”" for t in check.unanswered[:5])
        more = f"等 {len(check.unanswered)} 个主题" if len(check.unanswered) > 5 else ""
        raise InvalidInput(f"还有主题没有回应：{names}{more}。请先回应，或确认后仍然发布（居民会看到它们“待回应”）。")
    if check.unreviewed and not confirm_unreviewed:
        raise InvalidInput(check.unreviewed_note + "请先在“主题研判”页审核摘要，或确认后仍然发布。")
    c = change_phase(session, actor=actor, consultation_id=consultation_id, to=Phase.PUBLISHED)
    audit.record(session, actor=actor.audit_name, action="consultation.publish", target_type="consultation",
                 target_id=consultation_id,
                 detail={"themes": check.n_themes, "unanswered": [t.label for t in check.unanswered],
                         "unreviewed_summaries": [t.label for t in check.unreviewed]})
    return c
