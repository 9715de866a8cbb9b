"""Append-only, hash-chained audit log.

Each event's hash covers its own content and the previous event's hash, so editing or deleting
any row breaks the chain from there on. ``prev_hash`` is unique: two writers racing to append
after the same row cannot both succeed, so the chain never forks (the loser retries).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal.models import AuditEvent, utcnow

GENESIS = "0" * 64


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *, prev_hash: str, at: datetime, actor: str, action: str, target_type: str, target_id: str,
    detail: dict[str, Any],
) -> str:
    payload = json.dumps(
        [prev_hash, _canonical_time(at), actor, action, target_type, target_id, detail],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Any constant: the advisory-lock id that serialises appends to the chain on PostgreSQL.
_PG_CHAIN_LOCK = 7_210_426


def _lock_chain(session: Session) -> None:
    """Make this transaction the only one appending until it commits.

    Without it two committee members acting at the same moment both read the same last event,
    and the second commit fails on the unique ``prev_hash`` (measured: 18 of 20 simultaneous
    actions on PostgreSQL, 1 of 20 on SQLite). PostgreSQL: a transaction-scoped advisory lock.
    SQLite: a no-op UPDATE opens the write transaction now (waiting on the busy timeout), so the
    read of the last event below already sees every committed append.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    elif conn.dialect.name == "sqlite":
        conn.execute(sa.text("UPDATE auditevent SET id = id WHERE 0"))


def record(
    session: Session, *, actor: str, action: str, target_type: str = "", target_id: Any = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to ``session`` (the caller's transaction commits it with the change)."""
    _lock_chain(session)
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    at = utcnow()
    detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    event = AuditEvent(
        at=at, actor=actor, action=action, target_type=target_type, target_id=str(target_id),
        detail=detail, prev_hash=prev,
        hash=event_hash(prev_hash=prev, at=at, actor=actor, action=action,
                        target_type=target_type, target_id=str(target_id), detail=detail),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first row that does not match."""
    prev = GENESIS
    checked = 0
    for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))):
        checked += 1
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.id, "与上一条记录的链接不符（有记录被删除或插入）")
        expected = event_hash(
            prev_hash=event.prev_hash, at=event.at, actor=event.actor, action=event.action,
            target_type=event.target_type, target_id=event.target_id, detail=event.detail,
        )
        if expected != event.hash:
            return ChainReport(False, checked, event.id, "记录内容被修改")
        prev = event.hash
    return ChainReport(True, checked)


def recent_events(session: Session, *, limit: int = 200) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)))


ACTION_LABELS = {
    "analysis.run": "运行意见分析",
    "code.issue": "发放参与码",
    "code.revoke": "作废参与码",
    "consultation.create": "创建议题",
    "consultation.phase": "切换阶段",
    "consultation.publish": "发布结果",
    "moderation.flood_hide": "隐藏重复意见",
    "moderation.keep": "审核后保留",
    "opinion.hide": "隐藏意见",
    "opinion.restore": "恢复意见",
    "comment.hide": "隐藏留言",
    "comment.restore": "恢复留言",
    "theme.rename": "主题重命名",
    "theme.merge": "合并主题",
    "theme.split": "拆分主题",
    "theme.move": "移动意见",
    "theme.priority": "标记重点",
    "theme.answer": "回应主题",
    "theme.answer_edit": "修改回应",
    "theme.status": "更新办理进展",
    "user.create": "新建账号",
    "user.locked": "账号锁定",
    "user.login": "登录",
    "user.reset_password": "重置密码",
}


def action_label(action: str) -> str:
    """The Chinese name of an audit action (the code itself when unknown)."""
    return ACTION_LABELS.get(action, action)
