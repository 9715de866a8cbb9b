"""The committee's landing page: per consultation, its phase, counts and what needs attention now."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, func, select

from portal.models import PHASE_ORDER, Comment, Opinion, Phase, Report, Response, Theme, Visibility
from portal.services import tenancy
from portal.services.actors import Actor, has_permission, require
from portal.services.consultations import deadline_text, list_consultations, phases
from portal.services.publishing.results import FINISHED
from portal.timefmt import today_local


@dataclass(frozen=True)
class Attention:
    """One thing to do: a sentence, and the page (app path) that handles it."""

    text: str
    page: str
    permission: str  # the page's permission: a link only for those who may open it


@dataclass(frozen=True)
class ConsultationStatus:
    id: int
    title: str
    phase: Phase
    phase_label: str
    period: str
    n_opinions: int
    n_participants: int
    n_votes: int
    n_themes: int
    n_unanswered: int
    n_overdue: int
    n_open_reports: int
    has_opinions: bool = False  # hidden ones too: analysis has something to work on
    todo: list[Attention] = field(default_factory=list)


def _count_by(session: Session, stmt) -> dict[int, int]:
    return dict(session.exec(stmt).all())


def committee_dashboard(session: Session, *, actor: Actor, today: date | None = None,
                        community_id: int | None = None) -> list[ConsultationStatus]:
    """All consultations (drafts too) of the actor's community, newest first, with what needs
    the committee's attention."""
    require(actor, "view_committee")
    community = tenancy.home_community(session, actor, community_id)
    assert community.id is not None
    out = consultation_statuses(session, community.id, today=today)
    if has_permission(actor, "moderate"):  # the whole 内容审核 queue: reports, auto-flags, floods
        from portal.services.participation.moderation import moderation_queue

        out = [dataclasses.replace(status, n_open_reports=len(moderation_queue(
            session, actor=actor, consultation_id=status.id))) for status in out]
    for status in out:
        _add_todo(status)
    return out


def consultation_statuses(session: Session, community_id: int, *,
                          today: date | None = None) -> list[ConsultationStatus]:
    """Every consultation of one community (drafts too), newest first, with its phase and
    counts (no to-do list): the figures of the 工作台, also read by the street's view. Counts
    only; the caller has checked that the actor may read the community."""
    today = today or today_local()
    cards = list_consultations(session, phases=tuple(PHASE_ORDER), community_id=community_id)
    ids = [card.id for card in cards]
    if not ids:
        return []
    active = (col(Theme.consultation_id).in_(ids), col(Theme.active).is_(True))
    n_themes = _count_by(session, select(Theme.consultation_id, func.count()).where(*active)
                         .group_by(col(Theme.consultation_id)))
    answered = select(Response.theme_id)
    n_unanswered = _count_by(
        session,
        select(Theme.consultation_id, func.count())
        .where(*active, col(Theme.is_other).is_(False), col(Theme.id).not_in(answered))
        .group_by(col(Theme.consultation_id)),
    )
    n_overdue = _count_by(
        session,
        select(Theme.consultation_id, func.count())
        .join(Response, col(Response.theme_id) == col(Theme.id))
        .where(*active, col(Response.due_date).is_not(None), col(Response.due_date) < today,
               col(Theme.status).not_in(list(FINISHED)))
        .group_by(col(Theme.consultation_id)),
    )
    n_reports = _waiting_reports(session, ids)
    n_opinions_all = _count_by(session, select(Opinion.consultation_id, func.count())
                               .where(col(Opinion.consultation_id).in_(ids)).group_by(col(Opinion.consultation_id)))
    return [ConsultationStatus(
        id=card.id, title=card.consultation.title, phase=phases.current_phase(card.consultation),
        phase_label=card.phase_label, period=deadline_text(card.consultation),
        n_opinions=card.n_opinions, n_participants=card.n_participants, n_votes=card.n_votes,
        n_themes=n_themes.get(card.id, 0), n_unanswered=n_unanswered.get(card.id, 0),
        n_overdue=n_overdue.get(card.id, 0), n_open_reports=n_reports.get(card.id, 0),
        has_opinions=bool(n_opinions_all.get(card.id, 0)),
    ) for card in cards]


def _add_todo(status: ConsultationStatus) -> None:
    """What needs the committee's attention now, each with the page that handles it."""
    rule = phases.TABLE[status.phase]
    todo = status.todo
    if status.n_open_reports:
        todo.append(Attention(f"{status.n_open_reports} 条内容等待审核", "app_pages/committee/moderation.py", "moderate"))
    if not rule.public:
        todo.append(Attention("议题还是草稿，检查内容后开始征集", "app_pages/committee/consultations.py", "manage_consultation"))
    can_publish = any(m.to == Phase.PUBLISHED for m in rule.moves)
    if can_publish and status.n_themes == 0 and status.has_opinions:
        todo.append(Attention("还没有主题：请先运行意见分析", "app_pages/committee/themes.py", "curate_themes"))
    if rule.answer and status.n_unanswered:
        todo.append(Attention(f"{status.n_unanswered} 个主题还没有回应", "app_pages/committee/answers.py", "answer_themes"))
    if can_publish and status.n_themes and not status.n_unanswered:
        todo.append(Attention("主题都已回应，可以发布结果", "app_pages/committee/answers.py", "answer_themes"))
    if status.n_overdue:
        todo.append(Attention(f"{status.n_overdue} 项回应已过计划完成日期，请更新办理进展",
                              "app_pages/committee/answers.py", "answer_themes"))


def _waiting_reports(session: Session, ids: list[int]) -> dict[int, int]:
    """Per consultation: distinct reported items still visible, as the 内容审核 queue shows them."""
    targets: dict[int, set[tuple[str, int]]] = {}
    for cid, kind, tid in session.exec(
        select(Report.consultation_id, Report.target_type, Report.target_id)
        .where(col(Report.consultation_id).in_(ids), col(Report.resolved_at).is_(None))
    ).all():
        targets.setdefault(cid, set()).add((str(kind), tid))
    wanted = {kind: {tid for items in targets.values() for k, tid in items if k == kind}
              for kind in ("opinion", "comment")}
    hidden = {
        ("opinion", oid) for oid in session.exec(select(Opinion.id).where(
            col(Opinion.id).in_(wanted["opinion"]), Opinion.visibility == Visibility.HIDDEN))
    } | {
        ("comment", cid) for cid in session.exec(select(Comment.id).where(
            col(Comment.id).in_(wanted["comment"]), Comment.visibility == Visibility.HIDDEN))
    }
    return {cid: len(items - hidden) for cid, items in targets.items()}
