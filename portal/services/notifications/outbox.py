"""Delivering the outbox: ``consult outbox send`` (cron-safe, several machines at once).

A sender claims due rows with a lease (``lease_owner`` until ``lease_until``): on PostgreSQL it
picks them with ``SELECT … FOR UPDATE SKIP LOCKED`` and leases them in the same transaction, so
two senders never claim the same row and never wait for each other; on SQLite a conditional
``UPDATE … WHERE <still due>`` does it under the database's single write lock. Each claimed row is then prepared (consent, quiet hours,
daily cap checked; the attempt counted), sent outside any transaction, and recorded. A sender
killed mid-send leaves its rows leased; when the lease ends another run sends them again, so a
message whose SMTP "250 OK" arrived just before the kill can reach the resident twice: SMTP
itself is at-least-once, and that window is one message per killed sender (decision 0024).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from portal.db import unit_of_work
from portal.models import (
    Area,
    ContactPoint,
    DeliveryChannel,
    Notification,
    OutboxMessage,
    OutboxStatus,
    Resident,
    utcnow,
)
from portal.services import tenancy
from portal.services.actors import Actor, require
from portal.services.notifications import contacts, crypto
from portal.services.notifications.transports import (
    DeliveryError,
    Email,
    HttpSmsGateway,
    PermanentFailure,
    SmtpConfig,
    SmtpMailer,
)
from portal.settings import get_settings
from portal.timefmt import local_day_bounds, local_minute_of_day, next_local_clock

MAX_BACKOFF = timedelta(hours=6)
SIGNATURE = "【社区议事厅】"


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """"21:00-08:00" -> (1260, 480) minutes of the China day; "" or "off" -> None."""
    text = (text or "").strip()
    if text.lower() in {"", "off", "none", "0"}:
        return None
    try:
        start, end = (part.strip() for part in text.replace("–", "-").split("-"))
        s_h, s_m = (int(x) for x in (start.split(":") + ["0"])[:2])
        e_h, e_m = (int(x) for x in (end.split(":") + ["0"])[:2])
    except ValueError:
        raise ValueError(f"PORTAL_SMS_QUIET_HOURS 格式不正确：{text!r}（示例：21:00-08:00，或 off）") from None
    return s_h * 60 + s_m, e_h * 60 + e_m


def quiet_until(now: datetime, quiet: tuple[int, int] | None) -> datetime | None:
    """When the quiet hours holding ``now`` end (None outside them)."""
    if quiet is None:
        return None
    start, end = quiet
    minute = local_minute_of_day(now)
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    return next_local_clock(now, end) if inside else None


@dataclass
class SendReport:
    """What one run did, per outcome."""

    sent: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def n_sent(self) -> int:
        return sum(self.sent.values())


@dataclass(frozen=True)
class _Delivery:
    id: int
    channel: DeliveryChannel
    address: str
    subject: str
    text: str
    unsubscribe_url: str


def _claim(session: Session, *, worker: str, now: datetime, until: datetime, channels: list[DeliveryChannel],
           batch: int) -> list[int]:
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    due = sa.and_(t.c.status == OutboxStatus.PENDING.value, t.c.channel.in_([c.value for c in channels]),
                  t.c.due_at <= now, sa.or_(t.c.lease_until.is_(None), t.c.lease_until < now))
    pick = sa.select(t.c.id).where(due).order_by(t.c.due_at, t.c.id).limit(batch)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Rows another sender holds are skipped, not waited for. Two statements on purpose: as
        # ``IN (subquery)`` PostgreSQL may re-run the locking subquery and claim past the LIMIT.
        pick = pick.with_for_update(skip_locked=True)
    ids = list(conn.execute(pick).scalars())
    if not ids:
        return []
    stmt = (sa.update(t).where(t.c.id.in_(ids), due)  # SQLite: still due under the write lock
            .values(lease_owner=worker, lease_until=until).returning(t.c.id))
    return sorted(conn.execute(stmt).scalars())


def _release(msg: OutboxMessage, due_at: datetime | None = None) -> None:
    msg.lease_owner, msg.lease_until = None, None
    if due_at is not None:
        msg.due_at = due_at


def _prepare(session: Session, *, msg_id: int, worker: str, now: datetime, report: SendReport) -> _Delivery | None:
    s = get_settings()
    msg = session.get(OutboxMessage, msg_id)
    if msg is None or msg.lease_owner != worker or msg.status != OutboxStatus.PENDING:
        return None
    contact = session.get(ContactPoint, msg.contact_id) if msg.contact_id else None
    if contact is None or not contact.consent:
        msg.status, msg.last_error = OutboxStatus.CANCELLED, "居民已退订"
        _release(msg)
        session.add(msg)
        report.cancelled += 1
        return None
    later = quiet_until(now, parse_quiet_hours(s.quiet_hours)) if msg.channel == DeliveryChannel.SMS else None
    if later is None:
        day_start, day_end = local_day_bounds(now)
        # Two senders preparing messages of one resident take turns here (the resident's row is
        # locked until this transaction ends; SQLite has one writer anyway), and each counts the
        # other's message in flight: the cap holds with any number of senders.
        session.exec(select(Resident.id).where(Resident.id == msg.resident_id).with_for_update())
        sent_today = session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.resident_id == msg.resident_id, OutboxMessage.id != msg.id,
            col(OutboxMessage.sent_at) >= day_start, col(OutboxMessage.sent_at) < day_end,
            sa.or_(OutboxMessage.status == OutboxStatus.SENT,
                   sa.and_(OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.lease_until) > now)),
        )).one()
        if sent_today >= s.daily_cap:
            later = next_local_clock(day_end - timedelta(minutes=1), 8 * 60)  # 08:00 the next China day
    if later is not None:
        _release(msg, later)
        session.add(msg)
        report.deferred += 1
        return None
    note = session.get(Notification, msg.notification_id)
    assert note is not None
    msg.attempts += 1  # counted before sending: a sender that dies mid-send still used an attempt
    msg.sent_at = now  # while PENDING and leased: the attempt under way, counted by the daily cap
    session.add(msg)
    address = crypto.decrypt(contact.value_encrypted, s.contact_keys)
    url = s.public_link(note.link) if note.link else s.public_link("/")
    unsubscribe = contacts.unsubscribe_link(contact.id)  # type: ignore[arg-type]
    if msg.channel == DeliveryChannel.SMS:
        text = f"{SIGNATURE}{note.body}详情：{url} 回复退订不再接收"
        return _Delivery(msg_id, DeliveryChannel.SMS, address, note.title, text, "")
    text = (f"{note.body}\n\n查看详情：{url}\n\n——\n这封邮件来自社区议事厅，因为您同意接收议事通知。"
            f"\n不想再收到邮件，请打开：{unsubscribe}\n")
    subject = " ".join(f"{SIGNATURE}{note.title}".split())  # one line: no header can be smuggled in
    return _Delivery(msg_id, DeliveryChannel.EMAIL, address, subject, text, unsubscribe)


def _record(session: Session, *, msg_id: int, worker: str, now: datetime, error: DeliveryError | None,
            report: SendReport) -> None:
    s = get_settings()
    msg = session.get(OutboxMessage, msg_id)
    if msg is None or msg.status != OutboxStatus.PENDING:
        return
    if error is None:  # sent: recorded even if our lease ran out meanwhile, to stop a second send
        msg.status, msg.sent_at, msg.last_error = OutboxStatus.SENT, now, ""
        _release(msg)
        report.sent[msg.channel] += 1
    elif msg.lease_owner != worker:
        return  # another sender owns it now and decides
    elif isinstance(error, PermanentFailure) or msg.attempts >= s.max_attempts:
        msg.status, msg.sent_at, msg.last_error = OutboxStatus.FAILED, None, str(error)[:500]
        _release(msg)
        report.failed += 1
    else:
        backoff = min(timedelta(seconds=s.retry_base_seconds * 2 ** max(msg.attempts - 1, 0)), MAX_BACKOFF)
        msg.last_error, msg.sent_at = str(error)[:500], None
        _release(msg, now + backoff)
        report.retried += 1
    session.add(msg)


def configured_channels() -> list[DeliveryChannel]:
    s = get_settings()
    return ([DeliveryChannel.EMAIL] if s.smtp_url else []) + ([DeliveryChannel.SMS] if s.sms_url else [])


def default_worker() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def send_due(engine: Engine, *, now: datetime | None = None, worker: str | None = None, batch: int = 20,
             lease_seconds: int = 300, limit: int | None = None) -> SendReport:
    """Send every due e-mail and SMS (channels without configuration wait), batch by batch, until
    none is due or ``limit`` messages were tried. ``now`` fixes the clock (tests)."""
    s = get_settings()
    worker = worker or default_worker()
    report = SendReport()
    channels = configured_channels()
    mailer = SmtpMailer(SmtpConfig.from_url(s.smtp_url, s.smtp_from)) if s.smtp_url else None
    sms = HttpSmsGateway(s.sms_url, s.sms_token, s.sms_timeout_seconds) if s.sms_url else None
    tried = 0
    try:
        while channels and (limit is None or tried < limit):
            at = now or utcnow()
            size = batch if limit is None else min(batch, limit - tried)
            ids = unit_of_work(engine, partial(_claim, worker=worker, now=at, until=at + timedelta(seconds=lease_seconds),
                                               channels=channels, batch=size))
            if not ids:
                break
            for msg_id in ids:
                tried += 1
                at = now or utcnow()
                delivery = unit_of_work(engine, partial(_prepare, msg_id=msg_id, worker=worker, now=at, report=report))
                if delivery is None:
                    continue
                error: DeliveryError | None = None
                try:
                    if delivery.channel == DeliveryChannel.SMS:
                        assert sms is not None
                        sms.send(delivery.address, delivery.text)
                    else:
                        assert mailer is not None
                        mailer.send(Email(delivery.address, delivery.subject, delivery.text, delivery.unsubscribe_url))
                except DeliveryError as exc:
                    error = exc
                    report.errors.append(str(exc))
                done_at = now or utcnow()
                unit_of_work(engine, partial(_record, msg_id=msg_id, worker=worker, now=done_at, error=error,
                                             report=report))
    finally:
        if mailer is not None:
            mailer.close()
    return report


# ---------------------------------------------------------------- what staff see


@dataclass(frozen=True)
class OutboxFailure:
    id: int
    channel_label: str
    building: str
    error: str
    attempts: int
    created_at: datetime
    title: str


@dataclass(frozen=True)
class OutboxStatusView:
    counts: dict[tuple[str, str], int]  # (channel, status) -> n
    due_now: int
    failures: list[OutboxFailure]
    unconfigured: list[str]  # channel labels with pending messages but no configuration

    def count(self, channel: DeliveryChannel | str, status: OutboxStatus | str) -> int:
        return self.counts.get((str(DeliveryChannel(channel)), str(OutboxStatus(status))), 0)


def outbox_status(session: Session, *, actor: Actor, failures: int = 20, now: datetime | None = None) -> OutboxStatusView:
    """Counts per channel and state, what is due, and the latest failures (no addresses)."""
    require(actor, "view_committee")
    # the staff's own community's messages only (decision 0025)
    mine = col(OutboxMessage.resident_id).in_(
        select(Resident.id).where(Resident.community_id == tenancy.home_community(session, actor).id))
    now = now or utcnow()
    counts = {(str(ch), str(st)): n for ch, st, n in session.exec(
        select(OutboxMessage.channel, OutboxMessage.status, func.count()).where(mine).group_by(
            col(OutboxMessage.channel), col(OutboxMessage.status)))}
    due = session.exec(select(func.count()).select_from(OutboxMessage).where(
        mine, OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.channel != DeliveryChannel.PAPER,
        col(OutboxMessage.due_at) <= now)).one()
    rows = session.exec(
        select(OutboxMessage, Area.name, Notification.title)
        .join(Resident, col(Resident.id) == OutboxMessage.resident_id)
        .join(Area, col(Area.id) == Resident.area_id)
        .join(Notification, col(Notification.id) == OutboxMessage.notification_id)
        .where(OutboxMessage.status == OutboxStatus.FAILED, mine)
        .order_by(col(OutboxMessage.id).desc()).limit(failures)).all()
    fails = [OutboxFailure(m.id, DeliveryChannel(m.channel).label, area, m.last_error, m.attempts,  # type: ignore[arg-type]
                           m.created_at, title) for m, area, title in rows]
    have = set(configured_channels())
    unconfigured = [ch.label for ch in (DeliveryChannel.EMAIL, DeliveryChannel.SMS)
                    if ch not in have and counts.get((str(ch), "pending"), 0)]
    return OutboxStatusView(counts, due, fails, unconfigured)
