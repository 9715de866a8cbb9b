"""Real-browser fixtures: the portal on a free port with demo data, driven by Debian's chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import ROOT, demo_database, demo_env, start_portal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


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


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it): browser tests skipped")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (30 s): a rerun under CI load (two test workers,
    # portals and browsers on 2 cores) took longer than expect's 5 s default (seen once: the
    # report confirmation in test_resident).
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def shots(request) -> Path:
    """Folder for this test's screenshots: test-output/<test name>/."""
    folder = ROOT / "test-output" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
