"""A reviewer, in a real browser: name a theme with keywords on the 确认归类 tab, then confirm the
opinions the system chooses, one at a time."""

from __future__ import annotations

import importlib.util
import re

import pytest
from sqlmodel import Session, select

from portal.db import make_engine
from portal.models import AuditEvent, Theme, ThemeRejection
from tests.support import settle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("analysis.guided") is None,
                       reason="the queue needs analysis.guided"),
]

NAME = "楼道堆物"


def test_reviewer_names_a_theme_and_confirms_opinions(portal_url, portal_env, page, shots):
    try:
        page.goto(portal_url)
        nav = page.locator(".st-key-nav")
        nav.get_by_text("工作人员登录").click()
        page.get_by_label("用户名").fill("reviewer")
        page.get_by_label("密码").fill("Review2026")
        page.get_by_test_id("stFormSubmitButton").click()
        page.get_by_text("已登录 · 李委员").wait_for()

        nav.get_by_text("主题研判").click()
        page.get_by_role("heading", name="主题研判").wait_for()
        page.get_by_role("tab", name="确认归类").click()
        page.get_by_label("主题名称", exact=True).fill(NAME)
        page.get_by_label("关键词（用顿号或空格分开）").first.fill("楼道、杂物、堆放")
        page.get_by_role("button", name="保存主题").click()
        page.get_by_text(f"已新建主题“{NAME}”，可以开始确认归类。").wait_for()
        settle(page)
        page.get_by_role("tab", name="确认归类").click()
        card = page.locator(".st-key-confirm-item")
        card.wait_for()
        card.scroll_into_view_if_needed()
        page.screenshot(path=shots / "1-queue.png")

        # the demo's committee already filed opinions under its themes: the system proposes any
        # of them, the new one included
        card.get_by_text("系统建议").wait_for()
        page.get_by_role("button", name=re.compile("^不属于「")).click()
        page.get_by_text(re.compile(r"已记录：意见 #\d+ 不属于「.+」。")).wait_for()
        settle(page)
        page.get_by_role("tab", name="确认归类").click()
        settle(page)  # the next opinion is on the card before its buttons are clicked
        card.get_by_text("系统建议").wait_for()
        page.get_by_role("button", name=re.compile("^属于「")).click()
        page.get_by_text(re.compile(r"已记录：意见 #\d+ 属于「.+」。")).wait_for()
        settle(page)
        page.get_by_role("tab", name="确认归类").click()
        page.locator(".st-key-confirm-item").scroll_into_view_if_needed()
        page.screenshot(path=shots / "2-answered.png")
    finally:
        page.screenshot(path=shots / "last.png")
    engine = make_engine(portal_env["DATABASE_URL"])
    with Session(engine) as s:
        theme = s.exec(select(Theme).where(Theme.label == NAME)).one()
        assert theme.curated and theme.seed_words == ["楼道", "杂物", "堆放"]
        assert len(s.exec(select(ThemeRejection)).all()) == 1  # one 不属于, stored once
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "theme.confirm")).all()
        assert len(events) == 2
    engine.dispose()
