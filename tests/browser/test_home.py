"""A visitor opens the portal in a real browser; a demo resident signs in with a code."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_home_lists_consultations_and_resident_signs_in(portal_url, portal_env, page, shots):
    page.goto(f"{portal_url}/?c=wutongli")  # the demo is a street: 梧桐里社区's own home
    page.get_by_text("梧桐里社区 · 社区议事厅").wait_for()
    for title in ("老旧小区加装电梯", "停车难"):
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
    page.screenshot(path=shots / "home.png", full_page=True)

    page.locator(".st-key-nav").get_by_text("居民登录").click()
    page.get_by_label("参与码").wait_for()
    # The committee issues a code in the server's own database, as `consult codes` does.
    out = subprocess.run([sys.executable, "-m", "portal.cli", "codes", "--demo", "1", "--community", "wutongli"],
                         env=portal_env, capture_output=True, text=True, check=True)
    code = out.stdout.strip().split()[-1]
    page.get_by_label("参与码").fill(code)
    page.get_by_test_id("stFormSubmitButton").click()
    page.get_by_text("已登录居民").wait_for()
    page.screenshot(path=shots / "signed-in.png", full_page=True)
