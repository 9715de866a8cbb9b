"""A resident answers the lift-scheme poll in a real browser (radio, a capped multiple choice, a
ranking picked in order), sees it saved, and finds the answer filled in when coming back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, SQLModel, select

from portal.db import make_engine
from portal.models import PollResponse
from portal.services.actors import SystemActor
from portal.services.identity import issue_code
from tests.portal.decisions_world import CONCERNS, SCHEMES, SLOTS, lift_decision
from tests.support import demo_env, server_settings, start_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lift_portal(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("poll-portal")
    db = workdir / "portal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        w, poll_id = lift_decision(s)
    server = demo_env(workdir / "var", db)
    with server_settings(server), Session(engine) as s:  # issue_code reads the server's secret
        code = issue_code(s, actor=SystemActor("test"), resident_id=w.others[0].resident_id)
        s.commit()
    proc, url = start_portal(workdir / "var", db)
    yield url, code, engine, w
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
    engine.dispose()


def _pick(pg, box: int, labels: list[str]) -> None:
    """Choose ``labels`` in order in the ``box``-th multiselect of the page."""
    select = pg.get_by_test_id("stMultiSelect").nth(box)
    for label in labels:
        select.locator("input").click()
        pg.get_by_role("option", name=label).click()
    pg.keyboard.press("Escape")


def test_a_resident_answers_a_poll_in_the_browser(page, lift_portal, shots):
    url, code, engine, w = lift_portal
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("您已登录", exact=False).first).to_be_visible()
    page.goto(f"{url}/decide")
    expect(page.get_by_text("电梯方案问卷")).to_be_visible()
    page.get_by_text(SCHEMES[1]).click()
    _pick(page, 0, [CONCERNS[0], CONCERNS[2]])
    _pick(page, 1, [SLOTS[2], SLOTS[0], SLOTS[1]])
    page.screenshot(path=shots / "poll-filled.png", full_page=True)
    page.get_by_test_id("stFormSubmitButton").get_by_text("提交答卷").click()
    expect(page.get_by_text("已提交答卷，谢谢参与！")).to_be_visible()
    with Session(engine) as s:
        answers = s.exec(select(PollResponse)).one().answers
    assert list(answers.values()) == [[1], [0, 2], [2, 0, 1]]
    # back on the page, the answer is there to change
    page.reload()
    expect(page.get_by_text("您已填写过这份问卷")).to_be_visible()
    expect(page.get_by_test_id("stFormSubmitButton").get_by_text("修改答卷")).to_be_visible()
    page.screenshot(path=shots / "poll-answered.png", full_page=True)
