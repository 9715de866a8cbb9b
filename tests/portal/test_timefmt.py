"""portal.timefmt: stored UTC times as days and clock times in China, one convention for gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from portal.timefmt import (
    EMPTY,
    as_local,
    format_date,
    format_datetime,
    format_period,
    iso_date,
    local_date,
    today_local,
)

# 16:30 UTC on 20 May is 00:30 on 21 May in Beijing: the day a UTC formatter gets wrong
LATE_EVENING_UTC = datetime(2026, 5, 20, 16, 30, tzinfo=UTC)


def test_staff_see_beijing_time():
    assert format_datetime(LATE_EVENING_UTC) == "2026-05-21 00:30"
    assert format_datetime(LATE_EVENING_UTC, seconds=True) == "2026-05-21 00:30:00"


def test_sqlite_naive_values_are_read_as_utc():
    naive = LATE_EVENING_UTC.replace(tzinfo=None)
    assert as_local(naive) == as_local(LATE_EVENING_UTC)
    assert format_date(naive) == "2026年5月21日"


def test_a_time_in_another_zone_is_converted_not_relabelled():
    new_york = datetime(2026, 5, 20, 12, 30, tzinfo=timezone(timedelta(hours=-4)))  # 16:30 UTC
    assert format_datetime(new_york) == "2026-05-21 00:30"


def test_dates_are_written_the_way_a_notice_writes_them():
    assert format_date(LATE_EVENING_UTC) == "2026年5月21日"
    assert format_date(date(2026, 3, 5)) == "2026年3月5日"  # no leading zeros
    assert format_date(date(2026, 3, 5), year=False) == "3月5日"
    assert local_date(date(2026, 3, 5)) == date(2026, 3, 5)
    assert local_date(LATE_EVENING_UTC) == date(2026, 5, 21)
    assert iso_date(LATE_EVENING_UTC) == "2026-05-21"


def test_a_period_names_an_open_end():
    start = datetime(2026, 5, 1, tzinfo=UTC)
    assert format_period(start, LATE_EVENING_UTC) == "2026年5月1日 — 2026年5月21日"
    assert format_period(start, None) == "2026年5月1日 — 未定"


def test_one_convention_for_a_missing_value():
    assert format_date(None) == format_datetime(None) == EMPTY == "—"
    assert format_datetime(None, empty="从未登录") == "从未登录"
    assert local_date(None) is None and iso_date(None) is None


def test_today_is_the_day_in_china():
    now_utc = datetime.now(UTC)
    assert today_local() in {(now_utc + timedelta(hours=8)).date(), (now_utc + timedelta(hours=8, seconds=5)).date()}
