"""What residents are told, written in the same transaction as the event that causes it.

Each event calls :func:`notify` with the residents concerned. ``notify`` writes one inbox row
(我的消息) per resident and, in the same transaction, one outbox row per channel the resident
consented to (e-mail, SMS); a resident with neither, who has never signed in with their code, gets
a paper notice for door-to-door delivery instead. ``event_key`` names the event, and a resident
is never told the same event twice (unique per resident; a repeated event adds nothing).

Messages are short Chinese with the essential fact; the link is a path on the portal, made
absolute from ``PORTAL_PUBLIC_URL`` when an e-mail or SMS is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal.models import (
    Consultation,
    ConsultationArea,
    ContactPoint,
    DeliveryChannel,
    Notification,
    Opinion,
    OutboxMessage,
    ParticipationCode,
    Phase,
    Resident,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    Vote,
    VoteValue,
    utcnow,
)
from portal.services import participants
from portal.services.consultations import phases
from portal.timefmt import format_date

KIND_LABELS = {
    "open": "新议题",
    "closing": "即将截止",
    "answer": "回应",
    "status": "办理进展",
    "results": "结果公示",
    "announcement": "居民通知",
}


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def notify(
    session: Session, *, resident_ids: Iterable[int], kind: str, event_key: str, title: str, body: str,
    link: str = "", consultation_id: int | None = None, now: datetime | None = None,
) -> int:
    """Tell ``resident_ids`` about one event: inbox rows and outbox rows in the caller's
    transaction. Returns how many residents were newly told."""
    now = now or utcnow()
    wanted = sorted(set(resident_ids))
    if not wanted:
        return 0
    active: list[int] = []
    already: set[int] = set()
    for chunk in _chunks(wanted):
        active += [r for r in session.exec(select(Resident.id).where(col(Resident.id).in_(chunk), col(Resident.active)))
                   if r is not None]
        already |= set(session.exec(select(Notification.resident_id).where(
            col(Notification.resident_id).in_(chunk), Notification.event_key == event_key)).all())
    new = [rid for rid in active if rid not in already]
    if not new:
        return 0
    rows = {rid: Notification(resident_id=rid, kind=kind, event_key=event_key[:120], title=title[:100],
                              body=body, link=link[:300], consultation_id=consultation_id, created_at=now)
            for rid in new}
    session.add_all(rows.values())
    session.flush()
    contacts: dict[int, list[ContactPoint]] = {}
    signed_in: set[int] = set()
    for chunk in _chunks(new):
        for cp in session.exec(select(ContactPoint).where(col(ContactPoint.resident_id).in_(chunk),
                                                          col(ContactPoint.consent))):
            contacts.setdefault(cp.resident_id, []).append(cp)
        signed_in |= set(session.exec(select(ParticipationCode.resident_id).where(
            col(ParticipationCode.resident_id).in_(chunk), col(ParticipationCode.last_used_at).is_not(None))).all())
    for rid, note in rows.items():
        assert note.id is not None
        if contacts.get(rid):
            for cp in contacts[rid]:
                session.add(OutboxMessage(notification_id=note.id, resident_id=rid, contact_id=cp.id,
                                          channel=DeliveryChannel(cp.channel), due_at=now, created_at=now))
        elif rid not in signed_in:
            session.add(OutboxMessage(notification_id=note.id, resident_id=rid, channel=DeliveryChannel.PAPER,
                                      due_at=now, created_at=now))
    session.flush()
    return len(new)


# ---------------------------------------------------------------- who is concerned


def area_residents(session: Session, c: Consultation) -> list[int]:
    """Active residents of the consultation's buildings (the whole community when it names none)."""
    area_ids = list(session.exec(select(ConsultationArea.area_id).where(ConsultationArea.consultation_id == c.id)))
    q = select(col(Resident.id)).where(Resident.community_id == c.community_id, col(Resident.active))
    if area_ids:
        q = q.where(col(Resident.area_id).in_(area_ids))
    return [r for r in session.exec(q) if r is not None]


def theme_followers(session: Session, theme_id: int) -> set[int]:
    """Residents who raised an opinion filed under the theme, or agreed with one."""
    opinion_ids = select(ThemeAssignment.opinion_id).where(ThemeAssignment.theme_id == theme_id)
    raisers = session.exec(select(Opinion.resident_id).where(
        col(Opinion.id).in_(opinion_ids), col(Opinion.resident_id).is_not(None))).all()
    supporters = session.exec(select(Vote.resident_id).where(
        col(Vote.opinion_id).in_(opinion_ids), Vote.value == VoteValue.AGREE)).all()
    return {r for r in [*raisers, *supporters] if r is not None}


def _short(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------- the events


def consultation_opened(session: Session, c: Consultation) -> int:
    """A consultation starts collecting: tell the residents of its buildings."""
    assert c.id is not None
    until = f"，{format_date(c.closes_at, year=False)}截止" if c.closes_at else ""
    return notify(session, resident_ids=area_residents(session, c), kind="open",
                  event_key=f"consultation.open:{c.id}", title=f"新议题：{_short(c.title, 40)}",
                  body=f"您所在的楼栋有新议题“{_short(c.title, 40)}”正在征求意见{until}，欢迎说说您的看法。",
                  link=f"/consultation?id={c.id}", consultation_id=c.id)


def results_published(session: Session, c: Consultation) -> int:
    """Results and answers are public: tell everyone who took part."""
    assert c.id is not None
    return notify(session, resident_ids=participants.of_consultation(session, c.id), kind="results",
                  event_key=f"consultation.results:{c.id}", title=f"结果已公布：{_short(c.title, 40)}",
                  body=f"您参与的议题“{_short(c.title, 40)}”已公布意见归纳和居委会对每个主题的回应。",
                  link=f"/results?id={c.id}", consultation_id=c.id)


def theme_answered(session: Session, theme: Theme, decision_label: str) -> int:
    """A theme got its answer while results are public (before that, publishing tells people)."""
    c = session.get(Consultation, theme.consultation_id)
    if c is None or not phases.results_public(c) or theme.id is None:
        return 0
    return notify(session, resident_ids=theme_followers(session, theme.id), kind="answer",
                  event_key=f"theme.answer:{theme.id}", title=f"您关注的“{_short(theme.label, 30)}”有回应了",
                  body=f"居委会对“{_short(theme.label, 30)}”作出回应：{decision_label}。",
                  link=f"/results?id={c.id}", consultation_id=c.id)


def status_updated(session: Session, theme: Theme, update: StatusUpdate) -> int:
    """A new entry on the public timeline of a theme the resident raised or supported."""
    c = session.get(Consultation, theme.consultation_id)
    if c is None or not phases.results_public(c) or theme.id is None or update.id is None:
        return 0
    return notify(session, resident_ids=theme_followers(session, theme.id), kind="status",
                  event_key=f"theme.status:{update.id}", title=f"“{_short(theme.label, 30)}”办理进展",
                  body=f"“{_short(theme.label, 30)}”的办理状态更新为“{update.status.label}”：{_short(update.note, 60)}",
                  link=f"/accountability?id={c.id}", consultation_id=c.id)


def queue_closing_soon(session: Session, *, hours: int = 24, now: datetime | None = None) -> int:
    """Consultations whose collection closes within ``hours``: remind the residents of their
    buildings who have not given an opinion yet (once per consultation)."""
    now = now or utcnow()
    due = session.exec(select(Consultation).where(
        phases.phase_clause([Phase.COLLECTING], now), col(Consultation.closes_at).is_not(None),
        col(Consultation.closes_at) <= now + timedelta(hours=hours))).all()
    told = 0
    for c in due:
        assert c.id is not None
        gave = set(session.exec(select(Opinion.resident_id).where(Opinion.consultation_id == c.id)).all())
        who = [r for r in area_residents(session, c) if r not in gave]
        for link, group in _closing_links(session, c, who, now).items():
            told += notify(session, resident_ids=group, kind="closing", event_key=f"consultation.closing:{c.id}",
                           title=f"即将截止：{_short(c.title, 40)}",
                           body=f"议题“{_short(c.title, 40)}”将于{format_date(c.closes_at, year=False)}截止征求意见，还没发表看法的居民抓紧时间。",
                           link=link, consultation_id=c.id, now=now)
    told += _polls_closing_soon(session, hours=hours, now=now)
    return told


def _polls_closing_soon(session: Session, *, hours: int, now: datetime) -> int:
    """Polls and owners' votes closing within ``hours`` (``decisions.closing_within``): remind
    the residents of the consultation's buildings, once per poll or vote."""
    from portal.services.decisions import closing_within

    told = 0
    for item in closing_within(session, hours, now=now):
        c = session.get(Consultation, item.consultation_id)
        if c is None:
            continue
        for link, group in _closing_links(session, c, area_residents(session, c), now).items():
            told += notify(session, resident_ids=group, kind="closing",
                           event_key=f"{item.kind}.closing:{item.item_id}",
                           title=f"{item.kind_label}即将截止：{_short(item.title, 36)}",
                           body=f"{item.kind_label}“{_short(item.title, 36)}”将于{format_date(item.closes_at, year=False)}截止，"
                                "还没参与的居民抓紧时间。",
                           link=link, consultation_id=c.id, now=now)
    return told


def _closing_links(session: Session, c: Consultation, resident_ids: list[int], now: datetime) -> dict[str, list[int]]:
    """Where a reminder leads each resident: 参与表决 for this consultation when a poll or an
    owners' vote there still waits for their answer, the consultation's page otherwise."""
    from portal.services.decisions import still_to_decide

    pending = still_to_decide(session, c, resident_ids, now=now)
    links: dict[str, list[int]] = {}
    for rid in resident_ids:
        links.setdefault(f"/decide?id={c.id}" if rid in pending else f"/consultation?id={c.id}", []).append(rid)
    return links


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "消息")


def unread_clause() -> sa.ColumnElement[bool]:
    return col(Notification.read_at).is_(None)
