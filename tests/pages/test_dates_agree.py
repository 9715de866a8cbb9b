"""The home page, the results page and the printed notice give the same closing date.

Times are stored in UTC; each screen must show the calendar day in China (UTC+8). A closing time
between 16:00 and 24:00 UTC already falls on the next day in Beijing, which is where a screen
that formats the UTC value directly says one day too early.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from portal.models import Consultation
from portal.services.publishing.notice_pdf import notice_pdf
from tests.factories import seeded_app_database
from tests.pages.conftest import open_page
from tests.pages.public_support import page_text
from tests.pdf_text import pdf_text
from tests.results_fixtures import Seeded, seed_results

OPENS = datetime(2026, 8, 1, 0, 0, tzinfo=UTC)  # 08:00 on 1 August in Beijing
# 23:59:59 on 31 August in Beijing, as the committee's form stores it
LAST_SECOND_OF_AUGUST = datetime(2026, 8, 31, 15, 59, 59, tzinfo=UTC)
# 18:00 UTC on 31 August (the demo's closing hour) is 02:00 on 1 September in Beijing
EARLY_SEPTEMBER = datetime(2026, 8, 31, 18, 0, tzinfo=UTC)


def _seed_closing_at(closes_at: datetime):  # type: ignore[no-untyped-def]
    def build(session: Session) -> Seeded:
        seeded = seed_results(session)
        c = session.get(Consultation, seeded.consultation_id)
        assert c is not None
        c.opens_at, c.closes_at = OPENS, closes_at
        session.add(c)
        session.commit()
        return seeded

    return build


@pytest.mark.parametrize(("closes_at", "shown"), [
    (LAST_SECOND_OF_AUGUST, "2026年8月31日"),
    (EARLY_SEPTEMBER, "2026年9月1日"),
])
def test_home_results_and_notice_agree_on_the_closing_day(tmp_path, monkeypatch, closes_at, shown):
    fixture = seeded_app_database(tmp_path, monkeypatch, "dates.sqlite", _seed_closing_at(closes_at))
    engine, seeded = next(fixture)
    try:
        home = page_text(open_page("app_pages/public/home.py"))
        results = page_text(open_page("app_pages/public/results.py", query={"id": str(seeded.consultation_id)}))

        with Session(engine) as session:
            notice = pdf_text(notice_pdf(session, seeded.consultation_id))
    finally:
        next(fixture, None)
    period = f"2026年8月1日 — {shown}"
    assert f"征集时间 {period}" in home
    assert f"征集时间 {period}" in results
    assert "于2026年8月1日至" + shown + "就" in notice
