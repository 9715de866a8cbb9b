"""Moderation: the queue of reported and automatically flagged items, hide / restore / keep.

Three sources feed the queue of one consultation:

- residents' reports (``Report`` rows not yet resolved) on opinions and comments;
- automatic flags: personal information found (``"pii"``, the public text is already redacted,
  but a person should look) and abusive words (``"abusive"``), set by ``auto_flags`` when an
  opinion is stored and computed on the fly for comments;
- near-duplicate floods: groups of 3 or more near-identical opinions in the latest analysis
  run (``summary["duplicate_groups"]``), e.g. one resident posting the same complaint many times
  or a copy-paste campaign.

A moderator hides an item (with a reason shown to its author), restores it, or keeps it
("保留": the flag was checked and is fine). Every decision resolves the open reports on the item
and is written to the audit log in the same transaction. Whether an auto-flagged item was already
checked is read from the audit log (``moderation.keep``), so no extra column is needed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from portal.models import (
    AuditEvent,
    Comment,
    Consultation,
    Opinion,
    Report,
    ReportTarget,
    Visibility,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require
from portal.services.errors import InvalidInput, NotFound
from portal.services.queries import is_visible

FLAG_LABELS = {"pii": "含个人信息", "abusive": "疑似不文明用语"}
FLOOD_MIN = 3  # a duplicate group of this many opinions is shown as a possible flood

# Insults and abuse seen in neighbourhood message boards. Matched after removing spaces and
# punctuation between characters ("傻 逼", "废-物"), so small disguises still match. Words that
# are ordinary in governance texts (垃圾 in 垃圾分类, 自私 alone) are deliberately absent.
ABUSIVE_WORDS: tuple[str, ...] = (
    "傻逼", "傻b", "煞笔", "沙比", "sb", "脑残", "智障", "白痴", "废物", "人渣", "畜生", "畜牲",
    "混蛋", "王八蛋", "狗东西", "狗官", "狗腿子", "去死", "找死", "滚出", "滚蛋", "贱人",
    "他妈的", "tmd", "不要脸", "吃干饭", "脑子有问题", "神经病", "黑心肠", "混日子", "自私鬼",
    "活该", "老不死", "垃圾人",
)
_SQUEEZE = re.compile(r"[\s\W_]+", re.UNICODE)


def abusive_words_in(text: str) -> list[str]:
    """The abusive words found in ``text`` (after normalising width and removing separators)."""
    from analysis import normalize_text

    cleaned = normalize_text(text).lower()
    squeezed = _SQUEEZE.sub("", cleaned)
    found = []
    for word in ABUSIVE_WORDS:
        if word.isascii():
            # Latin abbreviations only as a whole token, not inside "usb" or "gtmd2".
            if re.search(rf"(?<![a-z]){word}(?![a-z])", cleaned):
                found.append(word)
        elif word in squeezed:
            found.append(word)
    return found


def auto_flags(text: str) -> list[str]:
    """Automatic moderation flags for a resident's text: ``"pii"`` and/or ``"abusive"``.

    Call it when an opinion or comment is stored and keep the result in ``Opinion.flags``.
    """
    from analysis import find_pii

    flags = []
    if abusive_words_in(text):
        flags.append("abusive")
    if find_pii(text):
        flags.append("pii")
    return flags


# ---------------------------------------------------------------- the queue


@dataclass
class QueueItem:
    """One thing a moderator should look at."""

    kind: str  # "opinion" | "comment" | "flood"
    target_id: int  # opinion or comment id; for a flood the id of its first opinion
    text_public: str
    text_original: str  # committee-only: what the resident really wrote
    visibility: Visibility
    moderation_reason: str
    created_at: datetime
    reasons: list[str] = field(default_factory=list)  # why it is in the queue, in Chinese
    open_reports: list[Report] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)  # flood: all opinions of the group
    n_residents: int = 0  # flood: distinct authors

    @property
    def kind_label(self) -> str:
        return {"opinion": "意见", "comment": "留言", "flood": "重复刷屏"}[self.kind]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.target_id}"


def _kept(session: Session, target_type: str) -> set[int]:
    rows = session.exec(
        select(AuditEvent.target_id).where(AuditEvent.action == "moderation.keep",
                                           AuditEvent.target_type == target_type)
    ).all()
    return {int(t) for t in rows if str(t).isdigit()}


def _consultation(session: Session, consultation_id: int, actor: Actor) -> Consultation:
    return tenancy.consultation_for(session, actor, consultation_id)


def moderation_queue(
    session: Session, *, actor: Actor, consultation_id: int, hidden: bool = False
) -> list[QueueItem]:
    """Items waiting for a decision (default), or the hidden ones (``hidden=True``) to restore.

    Waiting: open reports, visible auto-flagged items not yet kept, and duplicate floods of
    visible opinions not yet handled. Most-reported first, then newest.
    """
    from portal.services.review.runs import latest_run

    require(actor, "moderate")
    _consultation(session, consultation_id, actor)
    opinions = {
        o.id: o for o in session.exec(select(Opinion).where(Opinion.consultation_id == consultation_id))
    }
    comments = {
        c.id: c
        for c in session.exec(
            select(Comment).where(col(Comment.opinion_id).in_(list(opinions)))
        )
    } if opinions else {}
    reports: dict[tuple[str, int], list[Report]] = defaultdict(list)
    for r in session.exec(
        select(Report).where(Report.consultation_id == consultation_id, col(Report.resolved_at).is_(None))
        .order_by(col(Report.id))
    ):
        reports[(str(r.target_type), r.target_id)].append(r)

    items: list[QueueItem] = []
    kept_opinions, kept_comments = _kept(session, "opinion"), _kept(session, "comment")
    for kind, rows, kept in (("opinion", opinions, kept_opinions), ("comment", comments, kept_comments)):
        for row_id, row in rows.items():
            assert row_id is not None
            is_hidden = row.visibility == Visibility.HIDDEN
            if is_hidden != hidden:
                continue
            open_reports = reports.get((kind, row_id), [])
            flags = list(row.flags) if isinstance(row, Opinion) else auto_flags(row.text_original)
            reasons = []
            if open_reports:
                counted = Counter(r.reason for r in open_reports)
                reasons.append(f"居民举报 {len(open_reports)} 次：" + "、".join(
                    f"{reason}（{n}）" if n > 1 else reason for reason, n in counted.most_common()))
            if row_id not in kept or hidden:
                reasons += [FLAG_LABELS[f] for f in flags if f in FLAG_LABELS]
            if not reasons and not hidden:
                continue
            items.append(QueueItem(
                kind=kind, target_id=row_id, text_public=row.text_public, text_original=row.text_original,
                visibility=Visibility(row.visibility), moderation_reason=row.moderation_reason,
                created_at=row.created_at, reasons=reasons, open_reports=open_reports,
            ))

    if not hidden:
        run = latest_run(session, consultation_id)
        kept_floods = _kept(session, "duplicate_group")
        for group in (run.summary.get("duplicate_groups", []) if run else []):
            visible = [oid for oid in group if oid in opinions and is_visible(opinions[oid])]
            if len(visible) < FLOOD_MIN or group[0] in kept_floods:
                continue
            first = opinions[visible[0]]
            authors = {opinions[oid].resident_id for oid in visible if opinions[oid].resident_id is not None}
            note = f"{len(visible)} 条几乎相同的意见，来自 {len(authors)} 位居民"
            if len(authors) < len(visible):
                note += "（有人重复提交）"
            items.append(QueueItem(
                kind="flood", target_id=visible[0], text_public=first.text_public,
                text_original=first.text_original, visibility=Visibility.VISIBLE,
                moderation_reason="", created_at=max(opinions[o].created_at for o in visible),
                reasons=[note], member_ids=visible, n_residents=len(authors),
            ))
    items.sort(key=lambda i: (-len(i.open_reports), -i.created_at.timestamp()))
    return items


def count_waiting(session: Session, *, actor: Actor, consultation_id: int) -> int:
    return len(moderation_queue(session, actor=actor, consultation_id=consultation_id))


# ---------------------------------------------------------------- decisions


def _target(session: Session, target_type: str, target_id: int, actor: Actor) -> Opinion | Comment:
    if target_type == ReportTarget.OPINION:
        row: Opinion | Comment | None = session.get(Opinion, target_id)
    elif target_type == ReportTarget.COMMENT:
        row = session.get(Comment, target_id)
    else:
        raise InvalidInput("只能审核意见或留言。")
    if row is None:
        raise NotFound("找不到这条内容，可能已被删除。")
    tenancy.consultation_for(session, actor, _consultation_of(session, row))
    return row


def _consultation_of(session: Session, row: Opinion | Comment) -> int:
    if isinstance(row, Opinion):
        return row.consultation_id
    opinion = session.get(Opinion, row.opinion_id)
    assert opinion is not None
    return opinion.consultation_id


def _resolve_reports(session: Session, actor: Actor, target_type: str, target_id: int, resolution: str) -> int:
    now = utcnow()
    n = 0
    for r in session.exec(
        select(Report).where(Report.target_type == target_type, Report.target_id == target_id,
                             col(Report.resolved_at).is_(None))
    ):
        r.resolved_at = now
        r.resolved_by = getattr(actor, "user_id", None)
        r.resolution = resolution[:500]
        session.add(r)
        n += 1
    return n


def _clean_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(f"请填写{what}的理由（至少 2 个字），居民会看到这个理由。")
    if len(reason) > 500:
        raise InvalidInput("理由请不要超过 500 字。")
    return reason


def _refresh(session: Session, consultation_id: int) -> None:
    from portal.services.review.runs import refresh_theme_stats

    refresh_theme_stats(session, consultation_id)


def hide(session: Session, *, actor: Actor, target_type: str, target_id: int, reason: str) -> None:
    """Hide an opinion or comment from the public, with a reason; resolves its open reports."""
    require(actor, "moderate")
    reason = _clean_reason(reason, "隐藏")
    row = _target(session, target_type, target_id, actor)
    if row.visibility == Visibility.HIDDEN:
        raise InvalidInput("这条内容已经隐藏了。")
    row.visibility = Visibility.HIDDEN
    row.moderation_reason = reason
    session.add(row)
    n = _resolve_reports(session, actor, target_type, target_id, f"已隐藏：{reason}")
    audit.record(session, actor=actor.audit_name, action=f"{target_type}.hide", target_type=str(target_type),
                 target_id=target_id, detail={"reason": reason, "reports_resolved": n})
    if isinstance(row, Opinion):
        _refresh(session, row.consultation_id)


def restore(session: Session, *, actor: Actor, target_type: str, target_id: int, reason: str) -> None:
    """Show a hidden opinion or comment again (e.g. hidden by mistake), with a reason."""
    require(actor, "moderate")
    reason = _clean_reason(reason, "恢复")
    row = _target(session, target_type, target_id, actor)
    if row.visibility != Visibility.HIDDEN:
        raise InvalidInput("这条内容没有被隐藏。")
    previous = row.moderation_reason
    row.visibility = Visibility.VISIBLE
    row.moderation_reason = ""
    session.add(row)
    audit.record(session, actor=actor.audit_name, action=f"{target_type}.restore", target_type=str(target_type),
                 target_id=target_id, detail={"reason": reason, "hidden_reason": previous})
    if isinstance(row, Opinion):
        _refresh(session, row.consultation_id)


def keep(session: Session, *, actor: Actor, target_type: str, target_id: int, note: str = "") -> int:
    """The item was checked and stays visible: resolve its reports and clear its flags from the queue.

    Returns the number of reports resolved.
    """
    require(actor, "moderate")
    row = _target(session, target_type, target_id, actor)
    note = (note or "").strip()[:500]
    n = _resolve_reports(session, actor, target_type, target_id, f"保留：{note}" if note else "保留")
    audit.record(session, actor=actor.audit_name, action="moderation.keep", target_type=str(target_type),
                 target_id=target_id, detail={"note": note, "reports_resolved": n,
                                              "consultation": _consultation_of(session, row)})
    return n


def plan_flood_hide(session: Session, *, actor: Actor, consultation_id: int, opinion_ids: list[int]) -> str:
    """Dry run of ``handle_flood(hide_copies=True)``: the confirmation sentence, with counts."""
    require(actor, "moderate")
    rows = [session.get(Opinion, oid) for oid in opinion_ids]
    if any(r is None or r.consultation_id != consultation_id for r in rows):
        raise NotFound("重复组中有意见不属于这个议题。")
    n = sum(1 for r in rows[1:] if r is not None and r.visibility != Visibility.HIDDEN)
    return (f"将隐藏这组中的 {n} 条重复意见，只保留第一条（#{opinion_ids[0]}）。"
            f"被隐藏意见的作者会看到隐藏理由，主题统计随之更新；恢复需要逐条操作。")


def plan_restore(session: Session, *, actor: Actor, target_type: str, target_id: int) -> str:
    """Dry run of ``restore``: the confirmation sentence."""
    require(actor, "moderate")
    row = _target(session, target_type, target_id, actor)
    what = "意见" if isinstance(row, Opinion) else "留言"
    if row.visibility != Visibility.HIDDEN:
        raise InvalidInput("这条内容没有被隐藏。")
    return (f"将恢复显示{what} #{target_id}：所有居民和公众会重新看到它，"
            f"原隐藏理由“{row.moderation_reason}”将被清除（审计日志中保留）。")


def handle_flood(
    session: Session, *, actor: Actor, consultation_id: int, opinion_ids: list[int], hide_copies: bool,
    reason: str = "",
) -> int:
    """Decide on a near-duplicate group: hide every copy but the first, or keep them all.

    Returns how many opinions were hidden. The first opinion always stays, so the concern is still
    counted once in its theme.
    """
    require(actor, "moderate")
    if len(opinion_ids) < 2:
        raise InvalidInput("重复组至少要有两条意见。")
    _consultation(session, consultation_id, actor)
    rows = [session.get(Opinion, oid) for oid in opinion_ids]
    if any(r is None or r.consultation_id != consultation_id for r in rows):
        raise NotFound("重复组中有意见不属于这个议题。")
    first = opinion_ids[0]
    hidden = 0
    if hide_copies:
        reason = _clean_reason(reason, "隐藏")
        for row in rows[1:]:
            assert row is not None and row.id is not None
            if row.visibility == Visibility.HIDDEN:
                continue
            row.visibility = Visibility.HIDDEN
            row.moderation_reason = reason
            session.add(row)
            _resolve_reports(session, actor, ReportTarget.OPINION, row.id, f"已隐藏：{reason}")
            hidden += 1
    audit.record(session, actor=actor.audit_name,
                 action="moderation.flood_hide" if hide_copies else "moderation.keep",
                 target_type="duplicate_group", target_id=first,
                 detail={"opinions": opinion_ids, "hidden": hidden, "reason": reason,
                         "consultation": consultation_id})
    if hide_copies:
        audit.record(session, actor=actor.audit_name, action="moderation.keep",
                     target_type="duplicate_group", target_id=first, detail={"after": "flood_hide"})
        _refresh(session, consultation_id)
    return hidden
