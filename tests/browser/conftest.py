"""Real-browser fixtures: the portal on a free port with demo data, driven by Debian's chromium."""

from __future__ import annotations

import pytest

from tests.support import BROWSER_TIMEOUT_MS, demo_database, demo_env, start_portal

# `browser` and `shots` come from tests/browser_fixtures.py (a plugin of tests/conftest.py),
# shared with tests/deploy/.


@pytest.fixture(scope="module")
def _portal(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("portal")
    db = demo_database(workdir)
    proc, url = start_portal(workdir / "var", db)
    yield url, demo_env(workdir / "var", db)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()


@pytest.fixture(scope="module")
def portal_url(_portal) -> str:
    """URL of a portal started on a copy of the demo database (one per test module)."""
    return _portal[0]


@pytest.fixture(scope="module")
def portal_env(_portal) -> dict[str, str]:
    """Environment pointing at that portal's database, e.g. to run `consult` against it."""
    return _portal[1]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield pg
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield pg
    context.close()
