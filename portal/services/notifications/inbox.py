"""我的消息: a resident's inbox (read state, unread count) and staff announcements (居民通知)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from portal.models import Announcement, Consultation, Notification, utcnow
from portal.services import audit, tenancy
from portal.services.actors import Actor, require, require_resident
from portal.services.errors import InvalidInput
from portal.services.notifications import events


@dataclass(frozen=True)
class Message:
    id: int
    kind_label: str
    title: str
    body: str
    link: str
    created_at: datetime
    read: bool


def unread_count(session: Session, *, actor: Actor) -> int:
    me = require_resident(actor)
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.resident_id == me.resident_id, events.unread_clause())).one()


def my_messages(session: Session, *, actor: Actor, limit: int = 100) -> list[Message]:
    """The resident's messages, newest first."""
    me = require_resident(actor)
    rows = session.exec(select(Notification).where(Notification.resident_id == me.resident_id)
                        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(limit))
    return [Message(r.id, events.kind_label(r.kind), r.title, r.body, r.link, r.created_at,  # type: ignore[arg-type]
                    r.read_at is not None) for r in rows]


def mark_read(session: Session, *, actor: Actor, notification_ids: list[int] | None = None) -> int:
    """Mark the resident's own messages read (all unread ones when ``notification_ids`` is None)."""
    me = require_resident(actor)
    q = select(Notification).where(Notification.resident_id == me.resident_id, events.unread_clause())
    if notification_ids is not None:
        q = q.where(col(Notification.id).in_(notification_ids))
    now = utcnow()
    n = 0
    for row in session.exec(q):
        row.read_at = now
        session.add(row)
        n += 1
    session.flush()
    return n


# ---------------------------------------------------------------- 居民通知 (staff announcements)


def send_announcement(session: Session, *, actor: Actor, consultation_id: int, title: str, body: str) -> Announcement:
    """Staff write to the residents of a consultation's buildings (e.g. 施工通知). Goes through
    the same inbox, outbox and consent rules as every other notice."""
    require(actor, "send_announcements")
    c = tenancy.consultation_for(session, actor, consultation_id)
    title, body = " ".join((title or "").split()), (body or "").strip()
    if not 2 <= len(title) <= 60:
        raise InvalidInput("通知标题需为 2–60 个字，例如“3号楼加装电梯施工通知”。")
    if not 10 <= len(body) <= 500:
        raise InvalidInput("通知内容需为 10–500 个字：短信和纸条都要放得下。")
    _refuse_pii(title, "通知标题")
    _refuse_pii(body, "通知内容")
    ann = Announcement(consultation_id=consultation_id, title=title, body=body,
                       created_by=getattr(actor, "user_id", None))
    session.add(ann)
    session.flush()
    assert ann.id is not None
    ann.n_recipients = events.notify(
        session, resident_ids=events.area_residents(session, c), kind="announcement",
        event_key=f"announcement:{ann.id}", title=title, body=body, link=f"/consultation?id={c.id}",
        consultation_id=c.id)
    session.add(ann)
    audit.record(session, actor=actor.audit_name, action="notify.announcement", target_type="consultation",
                 target_id=consultation_id, detail={"title": title, "recipients": ann.n_recipients})
    return ann


def _refuse_pii(text: str, what: str) -> None:
    """An announcement reaches every resident of the buildings: no one's personal details."""
    from analysis import find_pii

    found = list(dict.fromkeys(m.label for m in find_pii(text)))
    if found:
        raise InvalidInput(f"{what}会发给楼栋里的所有居民，其中含有{'、'.join(found)}，请删去或改写后再发送。")


def list_announcements(session: Session, *, actor: Actor, limit: int = 20) -> list[Announcement]:
    require(actor, "view_committee")
    community = tenancy.home_community(session, actor)  # the staff's own community's announcements
    return list(session.exec(
        select(Announcement).join(Consultation, col(Consultation.id) == col(Announcement.consultation_id))
        .where(Consultation.community_id == community.id)
        .order_by(col(Announcement.id).desc()).limit(limit)))
