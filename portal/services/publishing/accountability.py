"""The accountability page: every answered theme of published consultations, with its status and due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlmodel import Session, col, func, select

from portal.models import (
    Consultation,
    Decision,
    Response,
    StatusUpdate,
    Theme,
    ThemeStatus,
)
from portal.services.consultations import (
    RESULT_PHASES,
    phases,
)
from portal.services.publishing.results import FINISHED, is_overdue
from portal.timefmt import local_date, today_local

# ---------------------------------------------------------------- accountability


@dataclass(frozen=True)
class AccountabilityItem:
    consultation_id: int
    consultation: str
    theme_id: int
    theme: str
    decision: str
    decision_code: str
    responsible_party: str
    due_date: date | None
    status: str
    status_code: str
    last_update: date
    last_note: str
    overdue: bool
    size: int


def accountability_items(session: Session, *, today: date | None = None,
                         community_id: int | None = None) -> list[AccountabilityItem]:
    """Every answered public theme across published consultations (of one community when
    ``community_id`` is given), with its current status."""
    today = today or today_local()
    query = (
        select(Consultation, Theme, Response)
        .join(Theme, col(Theme.consultation_id) == col(Consultation.id))
        .join(Response, col(Response.theme_id) == col(Theme.id))
        .where(phases.phase_clause(RESULT_PHASES), col(Theme.active).is_(True),
               col(Theme.merged_into_id).is_(None))
    )
    if community_id is not None:
        query = query.where(Consultation.community_id == community_id)
    rows = session.exec(
        query.order_by(col(Consultation.published_at).desc(), col(Theme.hot_score).desc(), col(Theme.id))
    ).all()
    last: dict[int, StatusUpdate] = {}
    for update in session.exec(select(StatusUpdate).where(col(StatusUpdate.theme_id).in_([t.id for _, t, _ in rows]))
                               .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))):
        last[update.theme_id] = update
    items = []
    for c, t, r in rows:
        u = last.get(t.id)  # type: ignore[arg-type]
        items.append(AccountabilityItem(
            consultation_id=c.id, consultation=c.title, theme_id=t.id, theme=t.label,  # type: ignore[arg-type]
            decision=Decision(r.decision).label, decision_code=str(r.decision),
            responsible_party=r.responsible_party, due_date=r.due_date,
            status=ThemeStatus(t.status).label, status_code=str(t.status),
            last_update=local_date(u.created_at if u else r.updated_at), last_note=u.note if u else "",
            overdue=is_overdue(r.due_date, t.status, today), size=t.size,
        ))
    return items


def accountability_version(session: Session) -> str:
    """Changes with any answer, status update, theme edit, phase change or day."""
    parts = [
        today_local(),
        *session.exec(select(func.max(Response.updated_at), func.count()).select_from(Response)).one(),
        session.exec(select(func.max(StatusUpdate.id))).one(),
        session.exec(select(func.max(Theme.updated_at))).one(),
        *session.exec(select(func.max(Consultation.updated_at), func.max(Consultation.published_at),
                             func.count()).where(phases.phase_clause(RESULT_PHASES))).one(),
    ]
    return "|".join(str(p) for p in parts)


def filter_items(items: list[AccountabilityItem], *, consultation_ids: list[int] | None = None,
                 decisions: list[str] | None = None, statuses: list[str] | None = None,
                 overdue_only: bool = False, unfinished_only: bool = False) -> list[AccountabilityItem]:
    """Filter by consultation, decision code, status code; only overdue / only not yet finished."""
    out = []
    for i in items:
        if consultation_ids and i.consultation_id not in consultation_ids:
            continue
        if decisions and i.decision_code not in decisions:
            continue
        if statuses and i.status_code not in statuses:
            continue
        if overdue_only and not i.overdue:
            continue
        if unfinished_only and ThemeStatus(i.status_code) in FINISHED:
            continue
        out.append(i)
    return out


def accountability_frame(items: list[AccountabilityItem]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"议题": i.consultation, "主题": i.theme, "决定": i.decision, "责任方": i.responsible_party,
          "完成时限": i.due_date, "当前状态": i.status, "逾期": "⚠️ 已逾期" if i.overdue else "",
          "最近进展": i.last_note, "更新日期": i.last_update, "意见数": i.size} for i in items],
        columns=["议题", "主题", "决定", "责任方", "完成时限", "当前状态", "逾期", "最近进展", "更新日期", "意见数"],
    )


def results_page_path(consultation_id: int, base_url: str) -> str:
    """The public URL of a consultation's results page (for QR codes and short links)."""
    return f"{base_url.rstrip('/')}/results?id={consultation_id}"
