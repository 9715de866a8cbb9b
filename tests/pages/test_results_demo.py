"""The demo's published consultation (加装电梯) on the public pages: real analysis output."""

import re

from sqlmodel import Session, select

from portal.models import Consultation, Opinion, Phase, Visibility
from tests.pages.conftest import open_page
from tests.pages.public_support import RESULTS_TABS, page_text, results_tabs
from tests.results_fixtures import demo_hidden, demo_pii


def _published(engine) -> Consultation:
    with Session(engine) as s:
        return s.exec(select(Consultation).where(Consultation.phase == Phase.PUBLISHED)).one()


def test_demo_results_page_has_answers_charts_cloud_and_nothing_private(demo_db):
    c = _published(demo_db)
    assert "加装电梯" in c.title
    tabs = results_tabs(c.id, (*RESULTS_TABS, "问卷与表决"))
    assert not any(t.exception for t in tabs)
    assert tabs[0].title[0].value == c.title
    assert sum(len(t.get("vega_lite_chart")) for t in tabs) >= 5 and tabs[0].get("image")
    text = "\n".join(page_text(t) for t in tabs)
    assert "居委会决定" in text and "办理进展" in text
    with Session(demo_db) as s:
        hidden = s.exec(select(Opinion.text_public).where(Opinion.consultation_id == c.id,
                                                          Opinion.visibility == Visibility.HIDDEN)).all()
    assert hidden, "the demo hides abusive opinions"
    flat = re.sub(r"\s+", "", text)
    for secret in [*demo_pii(), *demo_hidden(), *hidden]:
        assert re.sub(r"\s+", "", secret) not in flat, secret


def test_demo_accountability_lists_the_answered_elevator_themes(demo_db):
    c = _published(demo_db)
    at = open_page("app_pages/public/accountability.py")
    assert not at.exception
    df = at.dataframe[0].value
    assert len(df) >= 4 and set(df["议题"]) == {c.title}
