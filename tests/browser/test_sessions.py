"""Sign-in that survives the browser (issue 12 item 3, issue 13 item 1), in real Chromium over
`streamlit run portal/server.py`: staff stay signed in through F5, a new tab and another
replica on the same database; a staff link opened while signed out goes through the sign-in
page and back; a resident's 退出登录 ends the session on the server, so replaying the old cookie
in a new browser does not resume it; no English "Page not found" anywhere."""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, SQLModel, select

from portal.db import make_engine
from portal.models import AuthSession, Role
from portal.services.actors import SystemActor
from portal.services.identity import create_user, issue_code
from portal.services.identity.sessions import COOKIE_NAME
from portal.settings import get_settings
from tests.neighbourhood import build_neighbourhood
from tests.support import BROWSER_TIMEOUT_MS, settle, sign_out, start_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SECRET = "test-secret-key"  # what tests.support.demo_env gives the server
NOT_FOUND = "Page not found"


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Two portal processes on one database; yields (url1, url2, engine, new_code())."""
    workdir = tmp_path_factory.mktemp("sessions-portal")
    db = workdir / "portal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        hood = build_neighbourhood(s)
        create_user(s, actor=SystemActor("test"), username="wang.zhuren", password="Juweihui2026",
                    role=Role.CLERK, display_name="王主任")
        s.commit()

    def new_code(index: int = 0) -> str:
        # hashed with the key the servers use (services read it from the settings)
        old = os.environ.get("PORTAL_SECRET_KEY")
        os.environ["PORTAL_SECRET_KEY"] = SECRET
        get_settings.cache_clear()
        try:
            with Session(engine) as s:
                code = issue_code(s, actor=SystemActor("test"), resident_id=hood.residents[index].id)
                s.commit()
        finally:
            if old is None:
                os.environ.pop("PORTAL_SECRET_KEY", None)
            else:
                os.environ["PORTAL_SECRET_KEY"] = old
            get_settings.cache_clear()
        return code

    one, url1 = start_portal(workdir / "var1", db)
    two, url2 = start_portal(workdir / "var2", db)
    yield url1, url2, engine, new_code
    _stop(one)
    _stop(two)
    engine.dispose()


def _context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    return ctx


def _staff_sign_in(pg, *, expect_title: str = "工作台") -> None:
    pg.get_by_label("用户名").fill("wang.zhuren")
    pg.get_by_label("密码").fill("Juweihui2026")
    pg.get_by_role("button", name="登录").click()
    expect(pg.get_by_text("已登录 ·")).to_be_visible()
    expect(pg.get_by_role("heading", name=expect_title).first).to_be_visible()


def _no_english_dialog(pg) -> None:
    settle(pg)
    assert NOT_FOUND not in pg.content()


def _session_cookie(ctx, url: str) -> dict:
    """The session cookie, once the browser has been through /auth/session (the page shows
    “已登录” a moment before, from the run that opened the session)."""
    deadline = time.monotonic() + 30
    while not (found := [c for c in ctx.cookies(url) if c["name"] == COOKIE_NAME]):
        assert time.monotonic() < deadline, "/auth/session did not set the session cookie"
        time.sleep(0.2)
    (cookie,) = found
    return cookie


def test_staff_stay_signed_in_through_refresh_new_tab_and_another_replica(replicas, browser, shots):
    url1, url2, _, _ = replicas
    ctx = _context(browser)
    pg = ctx.new_page()
    pg.goto(f"{url1}/login")
    _staff_sign_in(pg)
    cookie = _session_cookie(ctx, url1)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert pg.evaluate("document.cookie").find(COOKIE_NAME) == -1  # scripts cannot read it
    pg.screenshot(path=shots / "1-signed-in.png")

    pg.reload()  # F5
    expect(pg.get_by_text("已登录 ·")).to_be_visible()
    expect(pg.get_by_role("heading", name="工作台").first).to_be_visible()
    _no_english_dialog(pg)
    pg.screenshot(path=shots / "2-after-f5.png")

    tab = ctx.new_page()  # a new tab, straight to a staff page by its address
    tab.goto(f"{url1}/participation")
    expect(tab.get_by_text("已登录 ·")).to_be_visible()
    expect(tab.get_by_role("heading", name="参与情况").first).to_be_visible()
    _no_english_dialog(tab)
    tab.screenshot(path=shots / "3-new-tab.png")

    other = _context(browser)  # the other replica, with the same cookie
    other.add_cookies([{"name": COOKIE_NAME, "value": cookie["value"], "url": url2}])
    pg2 = other.new_page()
    pg2.goto(f"{url2}/participation")
    expect(pg2.get_by_text("已登录 ·")).to_be_visible()
    expect(pg2.get_by_role("heading", name="参与情况").first).to_be_visible()
    _no_english_dialog(pg2)
    pg2.screenshot(path=shots / "4-other-replica.png")

    # signing out in one tab ends the session everywhere
    sign_out(pg)
    expect(pg.get_by_role("link", name="工作人员登录").first).to_be_visible()
    pg2.reload()
    expect(pg2.get_by_label("用户名")).to_be_visible()  # its sign-in page, to come back after
    assert "已登录 ·" not in pg2.content()
    pg2.screenshot(path=shots / "5-other-replica-after-sign-out.png")
    other.close()
    ctx.close()


def test_staff_link_opened_signed_out_goes_through_sign_in_and_back(replicas, browser, shots):
    url1, _, _, _ = replicas
    ctx = _context(browser)
    pg = ctx.new_page()
    pg.goto(f"{url1}/participation")
    expect(pg.get_by_label("用户名")).to_be_visible()  # the sign-in page in its place
    _no_english_dialog(pg)
    pg.screenshot(path=shots / "1-deep-link-signed-out.png")
    _staff_sign_in(pg, expect_title="参与情况")
    assert pg.url.rstrip("/").endswith("/participation")
    _no_english_dialog(pg)
    pg.screenshot(path=shots / "2-back-at-the-page.png")
    ctx.close()


def test_resident_sign_out_cannot_be_replayed(replicas, browser, shots):
    url1, _, engine, new_code = replicas
    ctx = _context(browser)
    pg = ctx.new_page()
    pg.goto(f"{url1}/sign_in")
    pg.get_by_label("参与码").fill(new_code(1))
    pg.get_by_role("button", name="登录").click()
    expect(pg.get_by_text("您已登录。")).to_be_visible()
    old = _session_cookie(ctx, url1)
    assert old["httpOnly"]
    pg.reload()  # a phone dropping the tab: still signed in
    expect(pg.get_by_text("您已登录。")).to_be_visible()
    pg.screenshot(path=shots / "1-resident-signed-in.png")
    sign_out(pg, within=pg.get_by_test_id("stMain"))  # the page's own button: back to 居民登录
    expect(pg.get_by_role("heading", name="居民登录")).to_be_visible()
    with Session(engine) as s:
        rows = s.exec(select(AuthSession).where(AuthSession.resident_id.is_not(None))).all()  # type: ignore[union-attr]
        assert rows and all(r.revoked_at is not None for r in rows)

    replay = _context(browser)  # someone who copied the cookie before 退出登录
    replay.add_cookies([{"name": COOKIE_NAME, "value": old["value"], "url": url1}])
    pg2 = replay.new_page()
    pg2.goto(f"{url1}/my")
    expect(pg2.get_by_role("heading", name="居民登录")).to_be_visible()
    assert "您已登录" not in pg2.content()
    _no_english_dialog(pg2)
    pg2.screenshot(path=shots / "2-replayed-cookie.png")
    replay.close()
    ctx.close()
