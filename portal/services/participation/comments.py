"""Comments (one level of replies) and reports (举报) on opinions and comments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal.models import (
    Comment,
    Report,
    ReportTarget,
)
from portal.services.actors import Actor, require_resident
from portal.services.consultations import (
    phases,
)
from portal.services.errors import InvalidInput, NotFound
from portal.services.participation.idempotency import (
    by_token,
    derived_token,
    given_token,
    insert_once,
)
from portal.services.participation.lookups import _visible_opinion
from portal.services.participation.opinions import validate_text
from portal.services.queries import is_visible
from portal.services.text import public_text

COMMENT_MIN_CHARS = 2
COMMENT_MAX_CHARS = 500
REPORT_MIN_CHARS = 2
REPORT_MAX_CHARS = 500
REPORT_REASONS = ["人身攻击或辱骂", "泄露他人隐私", "广告或无关内容", "虚假信息", "重复刷屏", "其他"]
# ---------------------------------------------------------------- comments and reports


def add_comment(
    session: Session, *, actor: Actor | None, opinion_id: int, text: str, parent_id: int | None = None,
    client_token: str | None = None,
) -> Comment:
    """Comment on an opinion, or reply to a top-level comment (one level of replies only).

    ``client_token`` (one per draft, from the form) makes a repeated send return the comment
    already stored; without one, a token is derived from the resident, the opinion and the text,
    so two copies sent at once are stored once either way.
    """
    resident = require_resident(actor)
    token = given_token(client_token)
    if token and (earlier := by_token(session, Comment, token)) is not None:
        if earlier.resident_id != resident.resident_id:
            raise InvalidInput("提交编号冲突，请刷新页面后重新提交。")
        return earlier
    op, c = _visible_opinion(session, opinion_id, resident)
    if c.community_id != resident.community_id:
        raise NotFound("找不到这条意见。")
    phases.ensure_can_comment(c)
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.opinion_id != opinion_id or not is_visible(parent):
            raise NotFound("要回复的留言不存在或已被隐藏。")
        if parent.parent_id is not None:
            raise InvalidInput("只能回复一层：请回复这条留言所在的主留言。")
    cleaned = validate_text(text, what="留言", min_chars=COMMENT_MIN_CHARS, max_chars=COMMENT_MAX_CHARS)
    same = session.exec(
        select(Comment).where(Comment.opinion_id == opinion_id, Comment.parent_id == parent_id,
                              Comment.resident_id == resident.resident_id,
                              Comment.text_original == cleaned)
    ).first()
    if same is not None:  # a double click or a re-sent form: keep the one already there
        return same
    shown, _kinds = public_text(cleaned)
    token = token or derived_token("comment", opinion_id, parent_id, resident.resident_id, cleaned)
    cm, created = insert_once(session, Comment(
        opinion_id=opinion_id, parent_id=parent_id, resident_id=resident.resident_id,
        text_original=cleaned, text_public=shown, client_token=token))
    if not created and cm.resident_id != resident.resident_id:
        raise InvalidInput("提交编号冲突，请刷新页面后重新提交。")
    return cm


@dataclass(frozen=True)
class ReportResult:
    report: Report
    already: bool  # this resident had already reported it and it is still waiting


def report(
    session: Session, *, actor: Actor | None, target_type: ReportTarget | str, target_id: int,
    reason: str,
) -> ReportResult:
    """举报 an opinion or a comment for the committee's moderation queue."""
    resident = require_resident(actor)
    try:
        kind = ReportTarget(target_type)
    except ValueError:
        raise InvalidInput("只能举报意见或留言。") from None
    if kind == ReportTarget.OPINION:
        op, c = _visible_opinion(session, target_id, resident)
    else:
        cm = session.get(Comment, target_id)
        if cm is None or not is_visible(cm):
            raise NotFound("这条留言不存在或已被隐藏。")
        op, c = _visible_opinion(session, cm.opinion_id, resident)
    if c.community_id != resident.community_id:
        raise NotFound("找不到要举报的内容。")
    if not (reason or "").strip():  # no default reason: one tap must not file an accusation
        raise InvalidInput("请先选择举报理由（例如“广告或无关内容”），再提交举报。")
    cleaned = validate_text(reason, what="举报理由", min_chars=REPORT_MIN_CHARS, max_chars=REPORT_MAX_CHARS)
    earlier = session.exec(
        select(Report).where(Report.target_type == kind, Report.target_id == target_id,
                             Report.resident_id == resident.resident_id,
                             col(Report.resolved_at).is_(None))
    ).first()
    if earlier is not None:
        return ReportResult(earlier, already=True)
    r = Report(target_type=kind, target_id=target_id, consultation_id=c.id,  # type: ignore[arg-type]
               resident_id=resident.resident_id, reason=cleaned)
    session.add(r)
    session.flush()
    session.refresh(r)
    return ReportResult(r, already=False)


