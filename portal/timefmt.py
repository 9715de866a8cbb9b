"""Stored times as people in the neighbourhood read them: the one home for dates and times.

Times are stored in UTC (SQLite hands them back naive, PostgreSQL aware); everything a person
reads, on a page, a printed notice, a code slip, an export or the command line, is the calendar
day or clock time in China (Asia/Shanghai, UTC+8 all year, no daylight saving). Formatting the
stored value directly gives the UTC day, which is one day early for times after 16:00 UTC.

One convention for a missing value: every formatter shows :data:`EMPTY` unless its caller says
what a gap means there (``empty="从未登录"``; data files pass ``empty=""`` for an empty cell).

Only the standard library is imported, so services, pages, the PDF writers and the CLI can all
use this module without Streamlit or a database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import overload

# China Standard Time. A fixed offset equals Asia/Shanghai for every date the portal stores (no
# daylight saving since 1991) and needs no tz database on the server.
LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

EMPTY = "—"
OPEN_END = "未定"  # an end of a period that is not set yet


def as_local(dt: datetime) -> datetime:
    """A stored time in China Standard Time (a naive value is taken as UTC, as SQLite stores it)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(LOCAL_TZ)


@overload
def local_date(value: None) -> None: ...
@overload
def local_date(value: datetime | date) -> date: ...
def local_date(value: datetime | date | None) -> date | None:
    """The calendar day in China of a stored time; a date is already one and is returned as is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_local(value).date()
    return value


def now_local() -> datetime:
    """The time now in China, whatever the server's own time zone (for file names, stamps)."""
    return datetime.now(LOCAL_TZ)


def today_local() -> date:
    """Today's date in China, whatever the server's own time zone."""
    return now_local().date()


def format_date(value: datetime | date | None, *, empty: str = EMPTY, year: bool = True) -> str:
    """2026年8月31日 (no leading zeros), the way a notice writes dates; ``year=False``: 8月31日."""
    day = local_date(value)
    if day is None:
        return empty
    return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"


def format_datetime(value: datetime | None, *, empty: str = EMPTY, seconds: bool = False) -> str:
    """2026-08-31 23:59 (Beijing time): the sortable form staff tables and exports use."""
    if value is None:
        return empty
    return as_local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_period(start: datetime | date | None, end: datetime | date | None) -> str:
    """2026年8月1日 — 2026年8月31日; an end not yet set reads 未定."""
    return f"{format_date(start, empty=OPEN_END)} — {format_date(end, empty=OPEN_END)}"


def iso_date(value: datetime | date | None) -> str | None:
    """2026-08-31 (the day in China) for machine-readable data; None stays None."""
    day = local_date(value)
    return None if day is None else day.isoformat()


# ---------------------------------------------------------------- clock hours in China (quiet hours, daily caps)


def local_minute_of_day(value: datetime) -> int:
    """Minutes since local midnight in China of a stored time (21:30 -> 1290)."""
    t = as_local(value)
    return t.hour * 60 + t.minute


def local_day_bounds(value: datetime) -> tuple[datetime, datetime]:
    """The China calendar day holding ``value``, as [start, end) in UTC."""
    start = as_local(value).replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def next_local_clock(after: datetime, minute_of_day: int) -> datetime:
    """The first moment strictly after ``after`` whose China clock shows ``minute_of_day``, in UTC."""
    t = as_local(after)
    candidate = t.replace(hour=minute_of_day // 60, minute=minute_of_day % 60, second=0, microsecond=0)
    if candidate <= t:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)
