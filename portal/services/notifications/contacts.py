"""Residents' e-mail addresses and mobile numbers, and their consent to be told things there.

A resident opts in per channel on 我的账号 (source: web); staff record a signed paper form
(source: paper, with who recorded it). Values are stored encrypted with a keyed lookup hash
(``crypto``); pages, exports and the audit log only ever see the masked form. Withdrawing
consent (on 我的账号, through the link in every e-mail, or by replying 退订 to an SMS) keeps the
row as the record of it and cancels whatever was still waiting for that channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from portal.models import (
    ConsentSource,
    ContactChannel,
    ContactPoint,
    OutboxMessage,
    OutboxStatus,
    Resident,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require, require_resident
from portal.services.errors import InvalidInput, NotFound
from portal.services.notifications import crypto
from portal.settings import get_settings

# Replies that mean "stop": the carriers' convention (退订 / TD) and a few the elderly type.
STOP_WORDS = {"退订", "TD", "T", "N", "STOP", "取消", "退定", "不要再发"}


@dataclass(frozen=True)
class ContactView:
    """A contact point as people see it: masked, never the value itself."""

    id: int
    channel: ContactChannel
    masked: str
    consent: bool
    source: ConsentSource
    consented_at: datetime
    withdrawn_at: datetime | None

    @property
    def channel_label(self) -> str:
        return self.channel.label

    @property
    def state_label(self) -> str:
        return f"已同意（{self.source.label}）" if self.consent else "已退订"


def _view(row: ContactPoint, keys: tuple[str, ...]) -> ContactView:
    assert row.id is not None
    return ContactView(row.id, ContactChannel(row.channel), crypto.mask(row.channel, crypto.decrypt(row.value_encrypted, keys)),
                       row.consent, ConsentSource(row.consent_source), row.consented_at, row.withdrawn_at)


def _upsert(session: Session, resident_id: int, channel: ContactChannel, raw: str,
            source: ConsentSource, recorded_by: int | None) -> ContactPoint:
    s = get_settings()
    value = crypto.normalise(channel, raw)
    now = utcnow()
    # One row per resident and channel, also when the same form is sent twice at once: the row is
    # made with INSERT … ON CONFLICT DO NOTHING, then locked and filled in.
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    table = ContactPoint.__table__  # type: ignore[attr-defined]
    conn.execute(dialect.insert(table).values(
        resident_id=resident_id, channel=channel.value, value_encrypted="", lookup_hash="", consent=False,
        consent_source=source.value, consented_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=[table.c.resident_id, table.c.channel]))
    row = session.exec(select(ContactPoint).where(ContactPoint.resident_id == resident_id,
                                                  ContactPoint.channel == channel)
                       .with_for_update().execution_options(populate_existing=True)).one()
    row.value_encrypted = crypto.encrypt(value, s.contact_keys)
    row.lookup_hash = crypto.lookup_hash(channel, value, s.secret_key)
    row.consent, row.consent_source, row.consent_recorded_by = True, source, recorded_by
    row.consented_at, row.withdrawn_at, row.updated_at = now, None, now
    session.add(row)
    session.flush()
    return row


def set_my_contact(session: Session, *, actor: Actor, channel: ContactChannel | str, value: str) -> ContactView:
    """The signed-in resident agrees to be told by ``channel`` at ``value`` (replaces an earlier one)."""
    me = require_resident(actor)
    try:
        channel = ContactChannel(channel)
    except ValueError:
        raise InvalidInput("请选择通知方式：电子邮件或短信。") from None
    row = _upsert(session, me.resident_id, channel, value, ConsentSource.WEB, None)
    audit.record(session, actor=me.audit_name, action="contact.consent", target_type="resident",
                 target_id=me.resident_id, detail={"channel": channel.value, "source": "web"})
    return _view(row, get_settings().contact_keys)


def record_paper_consent(session: Session, *, actor: Actor, resident_id: int,
                         channel: ContactChannel | str, value: str) -> ContactView:
    """Staff record a resident's signed paper consent to be told by ``channel`` at ``value``."""
    require(actor, "record_consent")
    resident = session.get(Resident, resident_id)
    if resident is not None:
        tenancy.require_for(actor, resident.community_id)
    if resident is None or not resident.active:
        raise NotFound("名册中找不到这位居民（可能已注销），请重新选择。")
    try:
        channel = ContactChannel(channel)
    except ValueError:
        raise InvalidInput("请选择同意书上勾选的通知方式：电子邮件或短信。") from None
    row = _upsert(session, resident_id, channel, value, ConsentSource.PAPER, getattr(actor, "user_id", None))
    audit.record(session, actor=actor.audit_name, action="contact.consent", target_type="resident",
                 target_id=resident_id, detail={"channel": channel.value, "source": "paper"})
    return _view(row, get_settings().contact_keys)


def _withdraw(session: Session, rows: list[ContactPoint], how: str, who: str) -> int:
    now = utcnow()
    n = 0
    for row in rows:
        if not row.consent:
            continue
        row.consent, row.withdrawn_at, row.updated_at = False, now, now
        session.add(row)
        for msg in session.exec(select(OutboxMessage).where(OutboxMessage.contact_id == row.id,
                                                            OutboxMessage.status == OutboxStatus.PENDING)):
            msg.status, msg.last_error = OutboxStatus.CANCELLED, "居民已退订"
            session.add(msg)
        audit.record(session, actor=who, action="contact.withdraw", target_type="resident",
                     target_id=row.resident_id, detail={"channel": row.channel, "how": how})
        n += 1
    session.flush()
    return n


def withdraw_my_consent(session: Session, *, actor: Actor, channel: ContactChannel | str) -> int:
    me = require_resident(actor)
    rows = list(session.exec(select(ContactPoint).where(ContactPoint.resident_id == me.resident_id,
                                                        ContactPoint.channel == ContactChannel(channel))))
    return _withdraw(session, rows, "web", me.audit_name)


def my_contacts(session: Session, *, actor: Actor) -> list[ContactView]:
    me = require_resident(actor)
    rows = session.exec(select(ContactPoint).where(ContactPoint.resident_id == me.resident_id)
                        .order_by(col(ContactPoint.channel)))
    return [_view(r, get_settings().contact_keys) for r in rows]


def resident_contacts(session: Session, *, actor: Actor, resident_id: int) -> list[ContactView]:
    """What staff see of one resident's contact points: masked."""
    require(actor, "record_consent")
    tenancy.resident_for(session, actor, resident_id, write=False)
    rows = session.exec(select(ContactPoint).where(ContactPoint.resident_id == resident_id)
                        .order_by(col(ContactPoint.channel)))
    return [_view(r, get_settings().contact_keys) for r in rows]


# ---------------------------------------------------------------- unsubscribing from outside


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt="notify-unsubscribe")


def unsubscribe_token(contact_id: int) -> str:
    """The token in an e-mail's unsubscribe link: the contact point's id, signed."""
    return _serializer().dumps(contact_id)


def unsubscribe_link(contact_id: int) -> str:
    return get_settings().public_link(f"/notify/unsubscribe?t={unsubscribe_token(contact_id)}")


def unsubscribe(session: Session, *, token: str) -> bool:
    """Withdraw the consent an unsubscribe link names; False for a forged or broken link."""
    try:
        contact_id = int(_serializer().loads(token))
    except (BadSignature, ValueError, TypeError):
        return False
    row = session.get(ContactPoint, contact_id)
    if row is None:
        return False
    _withdraw(session, [row], "link", "system:unsubscribe")
    return True


def is_stop_reply(text: str) -> bool:
    return "".join((text or "").split()).upper() in STOP_WORDS or "退订" in (text or "")


def sms_reply(session: Session, *, phone: str, text: str) -> int:
    """An SMS reply the gateway passed on: 退订 (and the like) withdraws SMS consent for that
    number, for every resident who gave it. Returns how many consents were withdrawn."""
    if not is_stop_reply(text):
        return 0
    try:
        value = crypto.normalise(ContactChannel.SMS, phone)
    except InvalidInput:
        return 0
    digest = crypto.lookup_hash(ContactChannel.SMS, value, get_settings().secret_key)
    rows = list(session.exec(select(ContactPoint).where(ContactPoint.lookup_hash == digest,
                                                        ContactPoint.channel == ContactChannel.SMS)))
    return _withdraw(session, rows, "sms-reply", "system:sms-reply")
