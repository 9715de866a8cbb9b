"""Offline voices: opinions a clerk takes on paper, by phone, at the door or from the 12345
hotline, entered on a resident's behalf.

They are ordinary Opinion rows, made by the same ``new_opinion`` as the web form (same cleaning,
same refusals and messages, same redaction and flags, same phase rule) with their channel, the
day the resident gave them, and the clerk who typed them in, so they count exactly as opinions
given on the web.

A bulk import is all or nothing, reports every problem of every row, and recognises a file (by
its SHA-256, kept in the audit log) or rows (same text, channel, building and day) that were
imported before: it then asks whether to skip them or import them anyway before writing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlmodel import Session, col, func, select

from portal.models import (
    CHANNEL_LABELS,
    Area,
    AuditEvent,
    Channel,
    Consultation,
    Opinion,
    Resident,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, SystemActor, require
from portal.services.consultations import ensure_can_submit
from portal.services.errors import InvalidInput, NotFound, ServiceError
from portal.services.identity.roster import normalise_building
from portal.services.participation.idempotency import by_token
from portal.services.participation.opinions import (
    NewOpinion,
    PreparedOpinion,
    new_opinion,
    new_opinions,
    prepare_opinion,
)
from portal.services.tables import read_table
from portal.timefmt import format_date, local_date, today_local

OFFLINE_CHANNELS = (Channel.PAPER, Channel.PHONE, Channel.DOOR, Channel.HOTLINE)
_CHANNEL_SPELLINGS = {
    Channel.PAPER: ["纸质", "纸质意见", "意见箱", "书面", "paper"],
    Channel.PHONE: ["电话", "phone"],
    Channel.DOOR: ["上门走访", "上门", "走访", "入户", "door"],
    Channel.HOTLINE: ["12345热线", "12345", "热线", "市民热线", "hotline"],
}


def parse_channel(text: str) -> Channel:
    key = text.replace(" ", "").lower()
    for channel, spellings in _CHANNEL_SPELLINGS.items():
        if key in [s.lower() for s in spellings]:
            return channel
    raise ValueError(text)


@dataclass(frozen=True)
class OfflineOpinion:
    """One opinion as the clerk records it."""

    text: str
    channel: Channel
    received_on: date
    area_id: int | None = None
    resident_id: int | None = None
    anonymous: bool = True  # offline opinions are shown without the building unless asked


def _received_at(day: date) -> datetime:
    # noon in China: the day stays the same whichever way it is displayed
    return datetime.combine(day, time(4, 0), tzinfo=UTC)


def _problems(
    session: Session, c: Consultation, item: OfflineOpinion, *, today: date,
) -> tuple[PreparedOpinion | None, int | None, list[ServiceError]]:
    """Check one offline opinion and return (prepared text, area id, every problem found).

    The text goes through the web form's ``prepare_opinion``; the other checks are the offline
    ones (channel, day, building, resident). All of them run, so a clerk fixing a row on paper
    learns everything wrong with it at once.
    """
    problems: list[ServiceError] = []
    prepared = None
    try:
        prepared = prepare_opinion(item.text)
    except InvalidInput as exc:
        problems.append(exc)
    if Channel(item.channel) not in OFFLINE_CHANNELS:
        problems.append(InvalidInput("请选择线下渠道：纸质、电话、上门走访或 12345 热线。"))
    opened = local_date(c.opens_at)
    if not item.received_on:
        problems.append(InvalidInput("请填写收到意见的日期。"))
    elif item.received_on > today:
        problems.append(InvalidInput("收到日期不能晚于今天。"))
    elif opened and item.received_on < opened:
        problems.append(InvalidInput(f"收到日期早于议题开始征集的日期（{format_date(opened, year=False)}）。"))
    area_id = item.area_id
    if item.resident_id is not None:
        resident = session.get(Resident, item.resident_id)
        if resident is None or resident.community_id != c.community_id or not resident.active:
            problems.append(NotFound("找不到所选的居民记录。"))
        elif area_id is not None and area_id != resident.area_id:
            problems.append(InvalidInput("所选楼栋与该居民在名册中的楼栋不一致。"))
        else:
            area_id = resident.area_id
    elif area_id is not None:
        area = session.get(Area, area_id)
        if area is None or area.community_id != c.community_id:
            problems.append(NotFound("找不到所选的楼栋。"))
    return prepared, area_id, problems


def _refuse(problems: list[ServiceError]) -> None:
    """Raise the problem, or all of them in one InvalidInput."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InvalidInput("".join(str(p) for p in problems))


def _store(session: Session, *, actor: Actor, c: Consultation, item: OfflineOpinion,
           prepared: PreparedOpinion, area_id: int | None, client_token: str | None = None,
           ) -> tuple[Opinion, bool]:
    assert c.id is not None
    return new_opinion(
        session, consultation_id=c.id, prepared=prepared, channel=Channel(item.channel),
        resident_id=item.resident_id, area_id=area_id, anonymous=item.anonymous,
        received_at=_received_at(item.received_on), entered_by=getattr(actor, "user_id", None),
        client_token=client_token)


def _consultation(session: Session, consultation_id: int, actor: Actor) -> Consultation:
    c = tenancy.consultation_for(session, actor, consultation_id)
    ensure_can_submit(c)
    return c


def enter_offline_opinion(
    session: Session, *, actor: Actor, consultation_id: int, item: OfflineOpinion,
    today: date | None = None, client_token: str | None = None,
) -> Opinion:
    """Record one offline opinion on a resident's behalf. The caller commits.

    ``client_token`` (one per draft, from the form) makes a repeated 保存 return the opinion
    already stored instead of a second one.
    """
    require(actor, "enter_offline")
    if client_token and (earlier := by_token(session, Opinion, client_token.strip()[:64])) is not None:
        if earlier.entered_by != getattr(actor, "user_id", None):
            raise InvalidInput("提交编号冲突，请刷新页面后重新录入。")
        return earlier
    c = _consultation(session, consultation_id, actor)
    prepared, area_id, problems = _problems(session, c, item, today=today or today_local())
    _refuse(problems)
    assert prepared is not None  # no problems: the text was prepared
    op, created = _store(session, actor=actor, c=c, item=item, prepared=prepared, area_id=area_id,
                         client_token=client_token)
    if created:
        audit.record(session, actor=actor.audit_name, action="opinion.offline", target_type="opinion",
                     target_id=op.id, detail={"consultation": consultation_id, "channel": str(item.channel),
                                              "pii": op.pii_kinds})
    return op


# ---------------------------------------------------------------- bulk import

OFFLINE_COLUMNS = {
    "意见内容": ["意见", "内容", "opinion", "text", "意见原文"],
    "渠道": ["来源", "来源渠道", "channel"],
    "收到日期": ["日期", "收集日期", "date", "received"],
    "楼栋": ["楼号", "building"],
}
OFFLINE_REQUIRED = ["意见内容", "渠道", "收到日期"]


@dataclass(frozen=True)
class OfflinePreviewRow:
    number: int
    text: str
    channel: str  # Chinese label or what the file said
    received_on: str
    building: str
    problem: str  # "" when the row is fine


@dataclass(frozen=True)
class EarlierImport:
    """An earlier import of the same file into the same consultation."""

    on: date | None  # the day it was imported (Beijing time)
    by: str  # who imported it, as the audit log names them
    opinions: int


@dataclass
class OfflinePreview:
    rows: list[OfflinePreviewRow]
    items: list[OfflineOpinion]
    encoding: str = ""
    sha256: str = ""  # of the uploaded bytes: the same file is recognised however it is named
    earlier_imports: list[EarlierImport] = field(default_factory=list)
    repeated_rows: list[int] = field(default_factory=list)  # row numbers already imported before
    # parallel to ``items``: the row each came from and its prepared text (cleaned, redacted)
    item_rows: list[int] = field(default_factory=list)
    prepared: list[PreparedOpinion] = field(default_factory=list)

    @property
    def errors(self) -> list[OfflinePreviewRow]:
        return [r for r in self.rows if r.problem]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def repeats(self) -> bool:
        """The file, or some of its rows, were imported into this consultation before."""
        return bool(self.earlier_imports or self.repeated_rows)

    @property
    def n_new(self) -> int:
        """How many rows would be imported when the repeated ones are skipped."""
        return len(self.items) - len(set(self.repeated_rows) & set(self.item_rows))

    def repeat_notice(self) -> str:
        """What the clerk is asked before anything is written (empty when there is nothing to ask)."""
        parts = []
        for e in self.earlier_imports:
            when = format_date(e.on, year=False, empty="之前")
            parts.append(f"这个文件已在{when}导入过（{e.opinions} 条意见）。")
        if self.repeated_rows:
            parts.append(f"其中 {len(self.repeated_rows)} 行与已导入的意见相同（内容、渠道、楼栋和收到日期都一样）。")
        if not parts:
            return ""
        return "".join(parts) + "请选择“跳过已导入的”或“仍然导入”。"


def _parse_day(text: str) -> date:
    t = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    t = t.split(" ")[0].split("T")[0]
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in t.split("-")))
    except ValueError:
        pass
    if t.isdigit() and len(t) == 8:
        return date(int(t[:4]), int(t[4:6]), int(t[6:]))
    if t.replace("-", "").isdigit() and len(t) <= 6 and "-" not in t:  # Excel serial day
        return date(1899, 12, 30) + timedelta(days=int(t))
    raise ValueError(text)


def _row_key(text: str, channel: Channel | str, area_id: int | None, day: date) -> tuple[str, str, int | None, date]:
    return (text, str(Channel(channel)), area_id, day)


def _imported_keys(session: Session, consultation_id: int) -> set[tuple[str, str, int | None, date]]:
    """(text, channel, building, day) of the consultation's offline opinions already stored."""
    rows = session.exec(
        select(Opinion.text_original, Opinion.channel, Opinion.area_id, Opinion.received_at)
        .where(Opinion.consultation_id == consultation_id, col(Opinion.channel).in_(list(OFFLINE_CHANNELS)))
    ).all()
    return {_row_key(t, ch, a, day) for t, ch, a, at in rows if (day := local_date(at)) is not None}


def _earlier_imports(session: Session, consultation_id: int, sha256: str) -> list[EarlierImport]:
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "opinion.offline_import",
                                 AuditEvent.target_type == "consultation",
                                 AuditEvent.target_id == str(consultation_id))
        .order_by(col(AuditEvent.id))
    ).all()
    return [EarlierImport(local_date(e.at), e.actor, int(e.detail.get("opinions", 0)))
            for e in events if e.detail.get("sha256") == sha256]


def preview_offline_import(
    session: Session, *, consultation_id: int, data: bytes, filename: str, today: date | None = None,
    actor: Actor | None = None,
) -> OfflinePreview:
    """Check every row of an upload without saving. Raises InvalidInput for an unreadable file.

    Each row lists all its problems. The preview also says whether the same file, or rows equal
    to ones already stored, were imported into this consultation before (``repeats``).
    """
    c = tenancy.consultation_for(session, actor if actor is not None else SystemActor(), consultation_id)
    today = today or today_local()
    table = read_table(data, filename, columns=OFFLINE_COLUMNS, required=OFFLINE_REQUIRED)
    areas = {a.name: a.id for a in session.exec(select(Area).where(Area.community_id == c.community_id))}
    stored = _imported_keys(session, consultation_id)
    preview = OfflinePreview([], [], table.encoding, hashlib.sha256(data).hexdigest())
    preview.earlier_imports = _earlier_imports(session, consultation_id, preview.sha256)
    seen: dict[str, int] = {}
    for row in table.rows:
        v = row.values
        problems: list[str] = []
        channel_label = v.get("渠道", "")
        channel = None
        try:
            channel = parse_channel(channel_label)
            channel_label = CHANNEL_LABELS[channel]
        except ValueError:
            problems.append(f"渠道“{channel_label}”无法识别（可填：纸质、电话、上门走访、12345热线）")
        day = None
        try:
            day = _parse_day(v.get("收到日期", ""))
        except ValueError:
            problems.append(f"收到日期“{v.get('收到日期', '')}”无法识别（请写成 2026-05-20）")
        building = normalise_building(v.get("楼栋", "")) if v.get("楼栋") else ""
        area_id = None
        if building:
            area_id = areas.get(building)
            if area_id is None:
                problems.append(f"楼栋“{building}”不在本社区的名册里")
        text = v.get("意见内容", "")
        # Every check runs even when the channel or the day could not be read: the text and the
        # day's range are checked with stand-ins, and only their own problems are kept.
        item = OfflineOpinion(text=text, channel=channel or OFFLINE_CHANNELS[0], received_on=day or today,
                              area_id=area_id)
        prepared, _, found = _problems(session, c, item, today=today)
        if day is None:
            found = [p for p in found if "收到日期" not in str(p)]
        problems += [str(p).rstrip("。") for p in found]
        if prepared is not None:
            if prepared.text in seen:
                problems.append(f"与第 {seen[prepared.text]} 行的意见内容完全相同")
            else:
                seen[prepared.text] = row.number
        if not problems and prepared is not None and channel is not None and day is not None:
            preview.items.append(item)
            preview.item_rows.append(row.number)
            preview.prepared.append(prepared)
            if _row_key(prepared.text, channel, area_id, day) in stored:
                preview.repeated_rows.append(row.number)
        preview.rows.append(OfflinePreviewRow(row.number, text, channel_label, day.isoformat() if day else
                                              v.get("收到日期", ""), building,
                                              "；".join(problems) + "。" if problems else ""))
    return preview


Repeats = Literal["ask", "skip", "import"]


class AlreadyImported(InvalidInput):
    """The file or some of its rows were imported before and the caller did not say what to do."""


def import_offline_opinions(
    session: Session, *, actor: Actor, consultation_id: int, data: bytes, filename: str,
    today: date | None = None, repeats: Repeats = "ask",
) -> int:
    """Import offline opinions from CSV/xlsx, all or nothing. Returns how many; caller commits.

    When the same file or rows already stored were imported before, ``repeats`` says what to do:
    ``"ask"`` (the default) refuses with ``AlreadyImported`` and writes nothing, ``"skip"``
    imports only the new rows (跳过已导入的), ``"import"`` imports every row (仍然导入).
    """
    require(actor, "enter_offline")
    c = _consultation(session, consultation_id, actor)
    preview = preview_offline_import(session, consultation_id=consultation_id, data=data,
                                     filename=filename, today=today, actor=actor)
    if not preview.ok:
        first = "；".join(f"第 {r.number} 行：{r.problem}" for r in preview.errors[:3])
        raise InvalidInput(f"有 {len(preview.errors)} 行有误，未导入任何意见。{first}")
    if preview.repeats and repeats == "ask":
        raise AlreadyImported(preview.repeat_notice())
    skip = set(preview.repeated_rows) if repeats == "skip" else set()
    # Everything above only read; the write below is one statement, so it holds the database's
    # write lock briefly even for a 20,000-row file (votes arriving meanwhile barely wait).
    assert c.id is not None
    n = new_opinions(session, consultation_id=c.id, entered_by=getattr(actor, "user_id", None), items=[
        NewOpinion(prepared=prepared, channel=Channel(item.channel),
                   received_at=_received_at(item.received_on), area_id=item.area_id,
                   resident_id=item.resident_id, anonymous=item.anonymous)
        for number, item, prepared in zip(preview.item_rows, preview.items, preview.prepared, strict=True)
        if number not in skip
    ])
    audit.record(session, actor=actor.audit_name, action="opinion.offline_import",
                 target_type="consultation", target_id=consultation_id,
                 detail={"file": filename, "sha256": preview.sha256, "opinions": n,
                         "skipped": len(preview.items) - n})
    return n


# ---------------------------------------------------------------- channel mix


@dataclass(frozen=True)
class ChannelCount:
    channel: Channel
    label: str
    count: int
    share: float


def channel_mix(session: Session, *, consultation_id: int) -> list[ChannelCount]:
    """How many opinions came through each channel (every channel listed, even with 0)."""
    counts = dict(session.exec(
        select(Opinion.channel, func.count()).where(Opinion.consultation_id == consultation_id)
        .group_by(Opinion.channel)
    ).all())
    total = sum(counts.values())
    return [ChannelCount(ch, ch.label, int(counts.get(ch, 0)),
                         (counts.get(ch, 0) / total) if total else 0.0) for ch in Channel]


def recent_offline(session: Session, *, actor: Actor, consultation_id: int, limit: int = 20) -> list[Opinion]:
    require(actor, "enter_offline")
    tenancy.consultation_for(session, actor, consultation_id, write=False)
    return list(session.exec(
        select(Opinion).where(Opinion.consultation_id == consultation_id,
                              col(Opinion.channel).in_(list(OFFLINE_CHANNELS)))
        .order_by(col(Opinion.id).desc()).limit(limit)
    ))
