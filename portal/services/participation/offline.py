"""Offline voices: opinions a clerk takes on paper, by phone, at the door or from the 12345
hotline, entered on a resident's behalf.

They are ordinary Opinion rows (same phase rule, same redaction, same length limits) with their
channel, the day the resident gave them, and the clerk who typed them in, so they count exactly
as opinions given on the web.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, func, select

from portal.models import CHANNEL_LABELS, Area, Channel, Consultation, Opinion, Resident
from portal.services import audit
from portal.services.actors import Actor, require
from portal.services.consultations import ensure_can_submit
from portal.services.errors import InvalidInput, NotFound
from portal.services.identity.roster import normalise_building
from portal.services.participation.moderation import auto_flags
from portal.services.tables import read_table
from portal.services.text import public_text
from portal.settings import get_settings
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


def _check(session: Session, c: Consultation, item: OfflineOpinion, *, today: date) -> tuple[str, int | None]:
    """Validate one offline opinion; returns (cleaned text, area id)."""
    s = get_settings()
    text = item.text.strip()
    if len(text) < s.opinion_min_chars:
        raise InvalidInput(f"意见内容太短，至少 {s.opinion_min_chars} 个字。")
    if len(text) > s.opinion_max_chars:
        raise InvalidInput(f"意见内容太长，最多 {s.opinion_max_chars} 个字，可以分成几条录入。")
    if Channel(item.channel) not in OFFLINE_CHANNELS:
        raise InvalidInput("请选择线下渠道：纸质、电话、上门走访或 12345 热线。")
    if not item.received_on:
        raise InvalidInput("请填写收到意见的日期。")
    if item.received_on > today:
        raise InvalidInput("收到日期不能晚于今天。")
    opened = local_date(c.opens_at)
    if opened and item.received_on < opened:
        raise InvalidInput(f"收到日期早于议题开始征集的日期（{format_date(opened, year=False)}）。")
    area_id = item.area_id
    if item.resident_id is not None:
        resident = session.get(Resident, item.resident_id)
        if resident is None or resident.community_id != c.community_id or not resident.active:
            raise NotFound("找不到所选的居民记录。")
        if area_id is not None and area_id != resident.area_id:
            raise InvalidInput("所选楼栋与该居民在名册中的楼栋不一致。")
        area_id = resident.area_id
    elif area_id is not None:
        area = session.get(Area, area_id)
        if area is None or area.community_id != c.community_id:
            raise NotFound("找不到所选的楼栋。")
    return text, area_id


def _add(session: Session, *, actor: Actor, c: Consultation, item: OfflineOpinion, text: str,
         area_id: int | None) -> Opinion:
    public, kinds = public_text(text)
    op = Opinion(
        consultation_id=c.id, resident_id=item.resident_id, area_id=area_id,  # type: ignore[arg-type]
        channel=Channel(item.channel), text_original=text, text_public=public, pii_kinds=kinds,
        flags=auto_flags(text), anonymous=item.anonymous,
        entered_by=getattr(actor, "user_id", None), received_at=_received_at(item.received_on),
    )
    session.add(op)
    session.flush()
    return op


def _consultation(session: Session, consultation_id: int) -> Consultation:
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    ensure_can_submit(c)
    return c


def enter_offline_opinion(
    session: Session, *, actor: Actor, consultation_id: int, item: OfflineOpinion,
    today: date | None = None,
) -> Opinion:
    """Record one offline opinion on a resident's behalf. The caller commits."""
    require(actor, "enter_offline")
    c = _consultation(session, consultation_id)
    text, area_id = _check(session, c, item, today=today or today_local())
    op = _add(session, actor=actor, c=c, item=item, text=text, area_id=area_id)
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


@dataclass
class OfflinePreview:
    rows: list[OfflinePreviewRow]
    items: list[OfflineOpinion]
    encoding: str = ""

    @property
    def errors(self) -> list[OfflinePreviewRow]:
        return [r for r in self.rows if r.problem]

    @property
    def ok(self) -> bool:
        return not self.errors


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


def preview_offline_import(
    session: Session, *, consultation_id: int, data: bytes, filename: str, today: date | None = None,
) -> OfflinePreview:
    """Check every row of an upload without saving. Raises InvalidInput for an unreadable file."""
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    today = today or today_local()
    table = read_table(data, filename, columns=OFFLINE_COLUMNS, required=OFFLINE_REQUIRED)
    areas = {a.name: a.id for a in session.exec(select(Area).where(Area.community_id == c.community_id))}
    rows: list[OfflinePreviewRow] = []
    items: list[OfflineOpinion] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        v = row.values
        problems = []
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
        if text and text in seen:
            problems.append(f"与第 {seen[text]} 行的意见内容完全相同")
        elif text:
            seen[text] = row.number
        if channel and day:
            item = OfflineOpinion(text=text, channel=channel, received_on=day, area_id=area_id)
            try:
                _check(session, c, item, today=today)
            except (InvalidInput, NotFound) as exc:
                problems.append(str(exc).rstrip("。"))
            else:
                if not problems:
                    items.append(item)
        rows.append(OfflinePreviewRow(row.number, text, channel_label, day.isoformat() if day else
                                      v.get("收到日期", ""), building,
                                      "；".join(problems) + "。" if problems else ""))
    return OfflinePreview(rows, items, table.encoding)


def import_offline_opinions(
    session: Session, *, actor: Actor, consultation_id: int, data: bytes, filename: str,
    today: date | None = None,
) -> int:
    """Import offline opinions from CSV/xlsx, all or nothing. Returns how many; caller commits."""
    require(actor, "enter_offline")
    c = _consultation(session, consultation_id)
    preview = preview_offline_import(session, consultation_id=consultation_id, data=data,
                                     filename=filename, today=today)
    if not preview.ok:
        first = "；".join(f"第 {r.number} 行：{r.problem}" for r in preview.errors[:3])
        raise InvalidInput(f"有 {len(preview.errors)} 行有误，未导入任何意见。{first}")
    for item in preview.items:
        _add(session, actor=actor, c=c, item=item, text=item.text.strip(), area_id=item.area_id)
    audit.record(session, actor=actor.audit_name, action="opinion.offline_import",
                 target_type="consultation", target_id=consultation_id,
                 detail={"file": filename, "opinions": len(preview.items)})
    return len(preview.items)


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
    return list(session.exec(
        select(Opinion).where(Opinion.consultation_id == consultation_id,
                              col(Opinion.channel).in_(list(OFFLINE_CHANNELS)))
        .order_by(col(Opinion.id).desc()).limit(limit)
    ))
