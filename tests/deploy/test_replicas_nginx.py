"""Two portal replicas on one PostgreSQL behind nginx, configured with the files shipped in
deploy/nginx/ (issue 17): a resident and a staff member sign in through nginx in Chromium, the
replica serving them is stopped, and the other one takes over: both stay signed in, and the
resident's three votes (one before, two after the failover) are all counted."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from portal.db import make_engine, upgrade
from portal.models import Role, Vote
from portal.services.actors import SystemActor
from portal.services.identity import create_user, issue_code
from portal.settings import get_settings
from tests.neighbourhood import build_neighbourhood
from tests.support import (
    BROWSER_TIMEOUT_MS,
    NGINX,
    free_port,
    render_nginx,
    settle,
    start_nginx,
    start_portal,
    wait_for_port,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

SECRET = "replica-test-secret"  # the same on both replicas, as deploy/portal.env.example says
ROUTE_COOKIE = "yst_route"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def behind_nginx(pg_url, tmp_path, monkeypatch):
    """A neighbourhood in a fresh PostgreSQL schema (built by the migrations), two replicas on
    it and nginx in front; yields (nginx url, {port: process}, engine, hood, participation code)."""
    if NGINX is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's nginx-light): replica test skipped")
    monkeypatch.setenv("PORTAL_SECRET_KEY", SECRET)  # codes are hashed with the servers' key
    get_settings.cache_clear()
    upgrade(pg_url)
    engine = make_engine(pg_url)
    with Session(engine, expire_on_commit=False) as s:
        hood = build_neighbourhood(s)
        create_user(s, actor=SystemActor("test"), username="zhao.ganshi", password="Yishiting2026",
                    role=Role.CLERK, display_name="赵干事")
        code = issue_code(s, actor=SystemActor("test"), resident_id=hood.residents[0].id)
        s.commit()
    get_settings.cache_clear()

    env = {"PORTAL_SECRET_KEY": SECRET, "PORTAL_TRUSTED_PROXIES": "127.0.0.1"}
    procs: dict[int, subprocess.Popen] = {}
    nginx = None
    try:
        for _ in range(2):
            port = free_port()
            proc, _url = start_portal(tmp_path / f"var-{port}", database_url=pg_url, port=port,
                                      log=tmp_path / f"replica-{port}.log", extra_env=env)
            procs[port] = proc
        listen = free_port()
        nginx = start_nginx(render_nginx(tmp_path, listen, list(procs)))
        wait_for_port(listen)
        yield f"http://127.0.0.1:{listen}", procs, engine, hood, code
    finally:
        if nginx is not None:
            stop(nginx)
        for proc in procs.values():
            stop(proc)
        engine.dispose()


def _context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    return ctx


def _replica(ctx, url: str) -> int:
    """The port of the replica nginx sends this browser to (its X-Portal-Replica header)."""
    response = ctx.request.get(f"{url}/_stcore/health")
    assert response.ok
    return int(response.headers["x-portal-replica"].rsplit(":", 1)[1])


def _votes_so_far(pg, n: int) -> None:
    expect(pg.get_by_text(re.compile(f"已表态 {n} 条"))).to_be_visible()


def test_sessions_and_votes_survive_losing_the_replica(behind_nginx, browser, shots):
    url, procs, engine, hood, code = behind_nginx
    resident = _context(browser)
    staff = _context(browser)
    try:
        res = resident.new_page()
        res.goto(f"{url}/sign_in")
        route = [c for c in resident.cookies(url) if c["name"] == ROUTE_COOKIE]
        assert route and route[0]["httpOnly"], "nginx gives a new browser its route cookie"
        # The staff member sits at the same table (same route), so one stop hits both.
        staff.add_cookies([{"name": ROUTE_COOKIE, "value": route[0]["value"], "url": url}])

        res.get_by_label("参与码").fill(code)
        res.get_by_role("button", name="登录").click()
        expect(res.get_by_text("您已登录。")).to_be_visible()
        st = staff.new_page()
        st.goto(f"{url}/login")
        st.get_by_label("用户名").fill("zhao.ganshi")
        st.get_by_label("密码").fill("Yishiting2026")
        st.get_by_role("button", name="登录").click()
        expect(st.get_by_text("已登录 ·")).to_be_visible()

        serving = _replica(resident, url)
        assert serving in procs and _replica(staff, url) == serving
        other = next(p for p in procs if p != serving)

        res.goto(f"{url}/vote?id={hood.collecting.id}")
        res.locator("[class*='st-key-vote-agree-'] button").click()
        _votes_so_far(res, 1)
        st.goto(f"{url}/participation")
        expect(st.get_by_role("heading", name="参与情况").first).to_be_visible()
        settle(res)
        res.screenshot(path=shots / "1-before-failover.png")

        stop(procs[serving])  # the replica goes away (a crash, a deploy, a reboot)

        # The open tab reconnects through nginx to the other replica, still signed in, and the
        # next press counts there; then F5 on the new replica, and one more vote.
        res.locator("[class*='st-key-vote-disagree-'] button").click()
        _votes_so_far(res, 2)
        res.screenshot(path=shots / "2-voted-after-failover.png")
        res.reload()
        expect(res.get_by_text(re.compile("已登录居民"))).to_be_visible()
        res.locator("[class*='st-key-vote-pass-'] button").click()
        _votes_so_far(res, 3)
        assert _replica(resident, url) == other

        st.reload()
        expect(st.get_by_text("已登录 · 赵干事")).to_be_visible()
        expect(st.get_by_role("heading", name="参与情况").first).to_be_visible()
        assert "用户名" not in st.content()  # not sent back to the sign-in page
        st.screenshot(path=shots / "3-staff-after-failover.png")

        with Session(engine) as s:
            mine = s.exec(select(Vote).where(Vote.resident_id == hood.residents[0].id)).all()
        assert len(mine) == 3 and len({v.opinion_id for v in mine}) == 3
        assert sorted(v.value for v in mine) == ["agree", "disagree", "pass"]
    finally:
        resident.close()
        staff.close()
