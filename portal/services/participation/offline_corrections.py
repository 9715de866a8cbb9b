"""Correcting or withdrawing an opinion staff entered on a resident's behalf.

A clerk who mistyped a paper opinion, picked the wrong channel or date, or entered the same
sheet twice can put it right — not only add more. The corrected text goes through the same
``prepare_opinion`` as every new opinion (clean, validate, redact, flag), so a correction cannot
bring in what a new entry would be refused for. Both need a reason and are audited (the reason
and which fields changed, never the text itself, which may hold personal data). A withdrawn
entry leaves every count, analysis and public page (``Visibility.WITHDRAWN``) but stays in the
database and the export. Once results are public, entries are no longer changed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from portal.models import Channel, Consultation, Opinion, Visibility
from portal.services import audit
from portal.services.actors import Actor, require
from portal.services.consultations.phases import results_public
from portal.services.errors import InvalidInput, NotFound
from portal.services.participation.offline import OFFLINE_CHANNELS, _received_at
from portal.services.participation.opinions import prepare_opinion
from portal.timefmt import local_date, today_local


@dataclass(frozen=True)
class OfflineCorrection:
    text: str
    channel: Channel | str
    received_on: date


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(f"请写明{what}的理由（至少 2 个字），例如“录入时看错了原稿”。")
    if len(reason) > 500:
        raise InvalidInput("理由请不要超过 500 字。")
    return reason


def _offline_entry(session: Session, actor: Actor, opinion_id: int) -> tuple[Opinion, Consultation]:
    require(actor, "enter_offline")
    op = session.get(Opinion, opinion_id)
    if op is None or op.channel not in OFFLINE_CHANNELS or op.entered_by is None:
        raise NotFound("找不到这条线下录入的意见。网上提交的意见只能由居民本人修改。")
    if op.visibility == Visibility.WITHDRAWN:
        raise InvalidInput("这条意见已经撤回了。")
    c = session.get(Consultation, op.consultation_id)
    assert c is not None
    if results_public(c):
        raise InvalidInput("结果已公示，线下意见不能再更正或撤回；如内容不当，请在“内容审核”中处理。")
    return op, c


def _refresh(session: Session, consultation_id: int) -> None:
    from portal.services.review.runs import refresh_theme_stats

    refresh_theme_stats(session, consultation_id)


def correct_offline_opinion(
    session: Session, *, actor: Actor, opinion_id: int, correction: OfflineCorrection, reason: str,
    today: date | None = None,
) -> list[str]:
    """Correct an offline entry's text, channel or date. Returns the Chinese names of the fields
    that changed (refused when nothing did). The caller commits."""
    op, c = _offline_entry(session, actor, opinion_id)
    reason = _reason(reason, "更正")
    prepared = prepare_opinion(correction.text)
    try:
        channel = Channel(correction.channel)
    except ValueError:
        channel = None  # type: ignore[assignment]
    if channel not in OFFLINE_CHANNELS:
        raise InvalidInput("请选择线下渠道：纸质、电话、上门走访或 12345 热线。")
    day = correction.received_on
    opened = local_date(c.opens_at)
    if day is None or day > (today or today_local()):
        raise InvalidInput("收到日期不能晚于今天。")
    if opened and day < opened:
        raise InvalidInput("收到日期早于议题开始征集的日期。")
    changed = [name for name, old, new in (
        ("意见内容", op.text_original, prepared.text), ("渠道", str(op.channel), str(channel)),
        ("收到日期", local_date(op.received_at), day),
    ) if old != new]
    if not changed:
        raise InvalidInput("内容、渠道和日期都没有改动，无需更正。")
    op.text_original, op.text_public = prepared.text, prepared.text_public
    op.pii_kinds, op.flags = list(prepared.pii_kinds), list(prepared.flags)
    op.channel, op.received_at = channel, _received_at(day)
    session.add(op)
    audit.record(session, actor=actor.audit_name, action="opinion.offline_edit", target_type="opinion",
                 target_id=opinion_id, detail={"consultation": c.id, "reason": reason, "changed": changed})
    _refresh(session, op.consultation_id)
    return changed


def plan_withdraw(session: Session, *, actor: Actor, opinion_id: int) -> str:
    """Dry run of ``withdraw_offline_opinion``: the confirmation sentence."""
    op, _ = _offline_entry(session, actor, opinion_id)
    return (f"将撤回线下意见 #{opinion_id}（{Channel(op.channel).label}，{local_date(op.received_at)}）："
            "它不再计入统计、分析和公开页面，其投票和留言也不再显示；记录保留在导出数据和审计日志中。")


def withdraw_offline_opinion(session: Session, *, actor: Actor, opinion_id: int, reason: str) -> None:
    """Withdraw an offline entry typed in error (e.g. the same sheet entered twice)."""
    op, c = _offline_entry(session, actor, opinion_id)
    reason = _reason(reason, "撤回")
    op.visibility = Visibility.WITHDRAWN
    op.moderation_reason = f"工作人员撤回：{reason}"[:500]
    session.add(op)
    audit.record(session, actor=actor.audit_name, action="opinion.offline_withdraw", target_type="opinion",
                 target_id=opinion_id, detail={"consultation": c.id, "reason": reason})
    _refresh(session, op.consultation_id)


def correctable_offline(session: Session, *, actor: Actor, consultation_id: int, limit: int = 50) -> list[Opinion]:
    """The latest offline entries that may still be corrected or withdrawn, newest first."""
    require(actor, "enter_offline")
    return list(session.exec(
        select(Opinion).where(Opinion.consultation_id == consultation_id,
                              col(Opinion.channel).in_(list(OFFLINE_CHANNELS)),
                              col(Opinion.entered_by).is_not(None),
                              col(Opinion.visibility) != Visibility.WITHDRAWN)
        .order_by(col(Opinion.id).desc()).limit(limit)
    ))
