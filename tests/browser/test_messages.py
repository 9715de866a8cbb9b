"""我的消息 in a real browser: the resident sees the unread count in the menu, reads a message,
and the count goes down."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, SQLModel

from portal.db import make_engine
from portal.models import Phase
from portal.services import consultations
from portal.services.identity import issue_code
from portal.services.notifications import send_announcement
from tests.portal.notify_support import SYSTEM, build_hood
from tests.support import demo_env, server_settings, settle, start_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def messages_portal(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("messages-portal")
    db = workdir / "portal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    server = demo_env(workdir / "var", db)
    with server_settings(server):  # this process writes with the server's keys
        with Session(engine, expire_on_commit=False) as s:
            hood = build_hood(s)
            consultations.change_phase(s, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
            send_announcement(s, actor=hood.admin, consultation_id=hood.consultation_id, title="3号楼停水通知",
                              body="12月5日上午九点到十二点3号楼停水，请提前储水。")
            code = issue_code(s, actor=SYSTEM, resident_id=hood.paper)
            s.commit()
    proc, url = start_portal(workdir / "var", db)
    yield url, code
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
    engine.dispose()


def test_resident_sees_unread_count_and_reads_a_message(page, messages_portal, shots):
    url, code = messages_portal
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("您已登录。登记住址：第一网格 · 3号楼")).to_be_visible()
    nav = page.locator(".st-key-nav")
    expect(nav.get_by_text("我的消息（2 条未读）")).to_be_visible()
    nav.get_by_text("我的消息（2 条未读）").click()
    expect(page.get_by_role("heading", name="我的消息")).to_be_visible()
    expect(page.get_by_text("共 2 条，2 条未读。")).to_be_visible()
    expect(page.get_by_text("12月5日上午九点到十二点3号楼停水，请提前储水。")).to_be_visible()
    settle(page)
    page.locator('[class*="st-key-message-"]').first.get_by_role("button", name="标为已读").click()
    expect(page.get_by_text("共 2 条，1 条未读。")).to_be_visible()
    expect(nav.get_by_text("我的消息（1 条未读）")).to_be_visible()
    page.screenshot(path=str(shots / "messages-read.png"), full_page=True)
