"""The audit log as staff read it: who (by name) did what (one Chinese sentence).

The chain in ``portal.services.audit`` stores machine values (``committee:1``, ``theme 20``, a
JSON detail) because its hashes must never change. This module is the one place that turns an
event into the sentence shown on the 审计日志 page, e.g. 王主任 将主题「车位不足」改名为「车位不足与分配」;
names are looked up in bulk (users, themes, consultations, residents' buildings) when the page
is read, so a renamed theme is still quoted by the name the event recorded where it recorded one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from portal.models import (
    Area,
    AuditEvent,
    Channel,
    CommitteeUser,
    Consultation,
    Decision,
    Phase,
    Resident,
    Role,
    Theme,
    ThemeStatus,
)
from portal.services import tenancy
from portal.services.actors import Actor, SystemActor, require
from portal.services.audit import action_label, recent_events


@dataclass(frozen=True)
class AuditLine:
    """One event as staff read it."""

    id: int
    at: datetime
    who: str  # a person's name, 系统, 居民 #12 …
    action: str  # the action's Chinese name (筛选 and the 操作 column)
    sentence: str  # the whole event in one sentence, beginning with ``who``


@dataclass
class _Names:
    users: dict[int, str]
    themes: dict[int, str]
    consultations: dict[int, str]
    residents: dict[int, str]

    def user(self, uid: Any) -> str:
        try:
            return self.users.get(int(uid), f"工作人员 #{uid}（账号已不存在）")
        except (TypeError, ValueError):
            return str(uid)

    def theme(self, tid: Any) -> str:
        try:
            return self.themes.get(int(tid), f"#{tid}")
        except (TypeError, ValueError):
            return str(tid)

    def consultation(self, cid: Any) -> str:
        try:
            return self.consultations.get(int(cid), f"#{cid}")
        except (TypeError, ValueError):
            return str(cid)

    def resident(self, rid: Any) -> str:
        try:
            return self.residents.get(int(rid), f"居民 #{rid}")
        except (TypeError, ValueError):
            return str(rid)

    def actor(self, name: str) -> str:
        kind, _, ident = name.partition(":")
        if kind == "committee":
            return self.user(ident)
        if kind == "resident":
            return self.resident(ident)
        return {"system": "系统", "cli": "运维人员（命令行）", "demo": "演示数据"}.get(name, name)


def _ints(values: Iterable[Any]) -> set[int]:
    out = set()
    for v in values:
        try:
            out.add(int(v))
        except (TypeError, ValueError):
            continue
    return out


def _names(session: Session, events: list[AuditEvent]) -> _Names:
    wanted: dict[str, set[Any]] = defaultdict(set)
    for e in events:
        kind, _, ident = e.actor.partition(":")
        if kind in ("committee", "resident"):
            wanted["user" if kind == "committee" else "resident"].add(ident)
        if e.target_type in ("theme", "consultation", "resident", "user"):
            wanted[e.target_type].add(e.target_id)
        d = e.detail or {}
        if "consultation" in d:
            wanted["consultation"].add(d["consultation"])
        if "from_theme" in d:
            wanted["theme"].add(d["from_theme"])
    users = {u.id: (u.display_name or u.username) for u in session.exec(
        select(CommitteeUser).where(col(CommitteeUser.id).in_(_ints(wanted["user"]))))}
    themes = {t.id: t.label for t in session.exec(select(Theme).where(col(Theme.id).in_(_ints(wanted["theme"]))))}
    consultations = {c.id: c.title for c in session.exec(
        select(Consultation).where(col(Consultation.id).in_(_ints(wanted["consultation"]))))}
    residents = {}
    for r, a in session.exec(select(Resident, Area).join(Area, col(Area.id) == col(Resident.area_id))
                             .where(col(Resident.id).in_(_ints(wanted["resident"])))):
        where = " ".join(p for p in (a.name, r.unit) if p)
        residents[r.id] = f"居民 #{r.id}（{where}）" if where else f"居民 #{r.id}"
    return _Names(users, themes, consultations, residents)  # type: ignore[arg-type]


def _label(enum: Any, value: Any) -> str:
    try:
        return enum(value).label
    except (ValueError, TypeError):
        return str(value or "")


def _quote(values: Iterable[Any]) -> str:
    return "、".join(f"「{v}」" for v in values)


def _reason(d: dict[str, Any], key: str = "reason") -> str:
    return f"，理由：{d[key]}" if d.get(key) else ""


_Sentence = Callable[[str, AuditEvent, dict[str, Any], _Names], str]

_SENTENCES: dict[str, _Sentence] = {
    "theme.rename": lambda w, e, d, n: f"{w} 将主题「{d.get('from', '')}」改名为「{d.get('to', n.theme(e.target_id))}」",
    "theme.merge": lambda w, e, d, n: (
        f"{w} 将主题{_quote(d.get('labels') or [])}合并到「{d.get('label') or n.theme(e.target_id)}」"
        + (f"，移动了 {d['opinions_moved']} 条意见" if d.get("opinions_moved") else "")),
    "theme.split": lambda w, e, d, n: (
        f"{w} 从主题「{d.get('from_label') or n.theme(d.get('from_theme'))}」拆分出新主题"
        f"「{d.get('label') or n.theme(e.target_id)}」（{len(d.get('opinions') or [])} 条意见）"),
    "theme.move": lambda w, e, d, n: (
        f"{w} 将 {len(d.get('opinions') or [])} 条意见移到主题「{d.get('label') or n.theme(e.target_id)}」"),
    "theme.priority": lambda w, e, d, n: (
        f"{w} 将主题「{n.theme(e.target_id)}」{'标为重点' if d.get('priority') else '取消重点'}"),
    "theme.answer": lambda w, e, d, n: (
        f"{w} 回应了主题「{n.theme(e.target_id)}」：{_label(Decision, d.get('decision'))}"
        + (f"，责任方：{d['responsible_party']}" if d.get("responsible_party") else "")),
    "theme.answer_edit": lambda w, e, d, n: (
        f"{w} 修改了对主题「{n.theme(e.target_id)}」的回应：{_label(Decision, d.get('decision'))}"
        + (f"，责任方：{d['responsible_party']}" if d.get("responsible_party") else "")),
    "theme.status": lambda w, e, d, n: (
        f"{w} 更新了主题「{n.theme(e.target_id)}」的办理进展：{_label(ThemeStatus, d.get('status'))}"
        + (f"（{d['note']}）" if d.get("note") else "")),
    "consultation.create": lambda w, e, d, n: f"{w} 创建了议题「{d.get('title') or n.consultation(e.target_id)}」",
    "consultation.update": lambda w, e, d, n: (
        f"{w} 修改了议题「{n.consultation(e.target_id)}」的"
        + ("、".join(_FIELDS.get(f, f) for f in d.get("changed") or []) or "内容")),
    "consultation.phase": lambda w, e, d, n: (
        f"{w} 将议题「{n.consultation(e.target_id)}」从{_label(Phase, d.get('from'))}切换到{_label(Phase, d.get('to'))}"
        + (f"，新的截止日期 {d['closes_on']}" if d.get("closes_on") else "")),
    "consultation.publish": lambda w, e, d, n: (
        f"{w} 发布了议题「{n.consultation(e.target_id)}」的结果"
        + (f"（{d['themes']} 个主题" if d.get("themes") is not None else "")
        + (f"，其中 {len(d['unanswered'])} 个尚未回应" if d.get("unanswered") else "")
        + ("）" if d.get("themes") is not None else "")),
    "consultation.export": lambda w, e, d, n: f"{w} 导出了议题「{n.consultation(e.target_id)}」的全部数据",
    "analysis.run": lambda w, e, d, n: (
        f"{w} 对议题「{n.consultation(e.target_id)}」运行了意见分析"
        + (f"：{d.get('opinions', 0)} 条意见，{d.get('themes', 0)} 个主题" if d else "")),
    "code.issue": lambda w, e, d, n: f"{w} 为{n.resident(e.target_id)}发放了参与码",
    "code.revoke": lambda w, e, d, n: f"{w} 作废了{n.resident(e.target_id)}的参与码",
    "roster.import": lambda w, e, d, n: (
        f"{w} 导入名册「{d.get('file', '')}」：{d.get('residents', 0)} 位居民"
        + (f"，新建楼栋 {'、'.join(d['new_buildings'])}" if d.get("new_buildings") else "")),
    "roster.deactivate": lambda w, e, d, n: f"{w} 将{n.resident(e.target_id)}移出名册",
    "user.create": lambda w, e, d, n: (
        f"{w} 新建了账号「{d.get('username', '')}」（{_label(Role, d.get('role'))}）"),
    "user.reset_password": lambda w, e, d, n: f"{w} 重置了 {n.user(e.target_id)} 的密码",
    "user.login": lambda w, e, d, n: f"{w} 登录",
    "user.locked": lambda w, e, d, n: f"{n.user(e.target_id)} 的账号因多次输错密码被暂时锁定",
    "user.deactivate": lambda w, e, d, n: f"{w} 停用了账号「{d.get('username') or n.user(e.target_id)}」",
    "user.reactivate": lambda w, e, d, n: f"{w} 重新启用了账号「{d.get('username') or n.user(e.target_id)}」",
    "user.role": lambda w, e, d, n: (
        f"{w} 将账号「{d.get('username') or n.user(e.target_id)}」的角色从{_label(Role, d.get('from'))}"
        f"改为{_label(Role, d.get('to'))}"),
    "opinion.hide": lambda w, e, d, n: f"{w} 隐藏了意见 #{e.target_id}{_reason(d)}",
    "comment.hide": lambda w, e, d, n: f"{w} 隐藏了留言 #{e.target_id}{_reason(d)}",
    "opinion.restore": lambda w, e, d, n: f"{w} 恢复显示了意见 #{e.target_id}{_reason(d)}",
    "comment.restore": lambda w, e, d, n: f"{w} 恢复显示了留言 #{e.target_id}{_reason(d)}",
    "moderation.keep": lambda w, e, d, n: (
        f"{w} 处理完一组重复意见（#{e.target_id} 等）" if e.target_type == "duplicate_group" and d.get("after")
        else f"{w} 审核后保留了一组重复意见（#{e.target_id} 等）" if e.target_type == "duplicate_group"
        else f"{w} 审核后保留了{'意见' if e.target_type == 'opinion' else '留言'} #{e.target_id}"
        + (f"（{d['note']}）" if d.get("note") else "")),
    "moderation.flood_hide": lambda w, e, d, n: (
        f"{w} 隐藏了 {d.get('hidden', 0)} 条重复意见，保留第一条 #{e.target_id}{_reason(d)}"),
    "opinion.offline": lambda w, e, d, n: (
        f"{w} 在议题「{n.consultation(d.get('consultation'))}」代居民录入了{_label(Channel, d.get('channel'))}意见 #{e.target_id}"),
    "opinion.offline_import": lambda w, e, d, n: (
        f"{w} 从文件「{d.get('file', '')}」为议题「{n.consultation(e.target_id)}」导入了 {d.get('opinions', 0)} 条线下意见"
        + (f"（跳过 {d['skipped']} 条）" if d.get("skipped") else "")),
    "opinion.offline_edit": lambda w, e, d, n: (
        f"{w} 更正了线下意见 #{e.target_id}{_reason(d)}"),
    "opinion.offline_withdraw": lambda w, e, d, n: (
        f"{w} 撤回了线下意见 #{e.target_id}{_reason(d)}"),
    "database.restore": lambda w, e, d, n: f"{w} 从备份「{d.get('backup', '')}」恢复了数据库",
    "notify.announcement": lambda w, e, d, n: (
        f"{w} 就议题「{n.consultation(e.target_id)}」发布通知「{d.get('title', '')}」，"
        f"发给 {d.get('recipients', 0)} 位居民"),
    "contact.consent": lambda w, e, d, n: (
        f"{w} 登记了{n.resident(e.target_id)}同意接收通知（{'纸质同意书' if d.get('source') == 'paper' else '网上'}）"),
    "contact.withdraw": lambda w, e, d, n: f"{w} 撤回了{n.resident(e.target_id)}接收通知的同意",
    "photo.approve": lambda w, e, d, n: f"{w} 审核通过了意见 #{e.target_id} 的照片",
    "photo.reject": lambda w, e, d, n: f"{w} 没有通过意见 #{e.target_id} 的照片{_reason(d)}",
    "document.attach": lambda w, e, d, n: (
        f"{w} 为议题「{n.consultation(e.target_id)}」上传了资料「{d.get('title', '')}」"),
    "document.remove": lambda w, e, d, n: (
        f"{w} 删除了议题「{n.consultation(e.target_id)}」的资料「{d.get('title', '')}」"),
}

_FIELDS = {"title": "标题", "question": "问题", "background": "背景介绍", "opens_on": "开始日期",
           "closes_on": "截止日期", "areas": "涉及楼栋", "votes_during_review": "研判期间是否可投票"}

_TARGETS = {"consultation": "议题", "theme": "主题", "opinion": "意见", "comment": "留言", "resident": "居民",
            "user": "账号", "community": "社区", "duplicate_group": "重复意见组", "database": "数据库"}


def _fallback(who: str, e: AuditEvent, names: _Names) -> str:
    """An action this module does not know yet: its Chinese name and what it touched, no JSON."""
    what = {"consultation": lambda: f"议题「{names.consultation(e.target_id)}」",
            "theme": lambda: f"主题「{names.theme(e.target_id)}」",
            "resident": lambda: names.resident(e.target_id),
            "user": lambda: names.user(e.target_id)}.get(e.target_type)
    target = what() if what else (f"{_TARGETS.get(e.target_type, '')} #{e.target_id}".strip()
                                  if e.target_id else "")
    return f"{who} {action_label(e.action)}" + (f"：{target}" if target.strip("# ") else "")


def describe(e: AuditEvent, names: _Names) -> AuditLine:
    """One event as a sentence with names."""
    who = names.actor(e.actor)
    build = _SENTENCES.get(e.action)
    try:
        sentence = build(who, e, dict(e.detail or {}), names) if build else _fallback(who, e, names)
    except (KeyError, TypeError, ValueError, AttributeError):  # an older event with other details
        sentence = _fallback(who, e, names)
    return AuditLine(e.id or 0, e.at, who, action_label(e.action), sentence + "。")


# Events about the whole deployment: every community's admin reads them.
DEPLOYMENT_WIDE = frozenset({"database"})


def audit_lines(session: Session, *, actor: Actor, limit: int = 500, search: str = "") -> list[AuditLine]:
    """The latest ``limit`` events as sentences, newest first; ``search`` keeps those whose
    person, action or sentence contains it."""
    require(actor, "view_audit")
    events = recent_events(session, limit=limit)
    if not isinstance(actor, SystemActor):  # a community's admin reads their community's events
        events = _of_community(session, events, tenancy.home_community(session, actor).id)
    names = _names(session, events)
    lines = [describe(e, names) for e in events]
    needle = search.strip().lower()
    if needle:
        lines = [x for x in lines if needle in x.sentence.lower() or needle in x.action.lower()]
    return lines


def _of_community(session: Session, events: list[Any], community_id: int | None) -> list[Any]:
    """The events of one community (decision 0025): done by its staff or residents, about its
    consultations or anything inside them (themes, opinions, comments, polls, owners' votes), or
    about the community itself; and the deployment-wide ones every admin must see (a database
    restored from a backup). The chain stays whole; this is only what one community's admin reads
    (the system, ``consult audit verify``, reads everything)."""
    from portal.models import (
        Comment,
        CommitteeUser,
        Consultation,
        Opinion,
        OwnersVote,
        Poll,
        Resident,
        Theme,
    )

    staff = {str(i) for i in session.exec(select(CommitteeUser.id).where(CommitteeUser.community_id == community_id))}
    people = {str(i) for i in session.exec(select(Resident.id).where(Resident.community_id == community_id))}
    consultations = set(session.exec(select(Consultation.id).where(Consultation.community_id == community_id)))

    def ids(kind: str) -> list[int]:
        return [int(e.target_id) for e in events
                if e.target_type == kind and str(e.target_id or "").isdigit()]

    def inside(model: Any, kind: str) -> set[str]:
        wanted = ids(kind)
        if not wanted:
            return set()
        rows = session.exec(select(model.id).where(model.id.in_(wanted),
                                                   model.consultation_id.in_(consultations)))
        return {str(i) for i in rows}

    within = {kind: inside(model, kind) for kind, model in
              (("theme", Theme), ("opinion", Opinion), ("poll", Poll), ("owners_vote", OwnersVote))}
    comment_ids = ids("comment")
    within["comment"] = {str(i) for i in session.exec(
        select(Comment.id).join(Opinion, col(Comment.opinion_id) == col(Opinion.id))
        .where(col(Comment.id).in_(comment_ids), col(Opinion.consultation_id).in_(consultations)))} if comment_ids else set()
    own = {"consultation": {str(i) for i in consultations}, "community": {str(community_id)},
           "user": staff, "resident": people, **within}

    def mine(e: Any) -> bool:
        kind, _, ident = (e.actor or "").partition(":")
        if (kind == "committee" and ident in staff) or (kind == "resident" and ident in people):
            return True
        if e.target_type in DEPLOYMENT_WIDE:
            return True
        return str(e.target_id) in own.get(e.target_type or "", set())

    return [e for e in events if mine(e)]
