"""Browser fixtures shared by tests/browser/ and tests/deploy/: Debian's chromium through
Playwright (it cannot download its own browsers here), and a screenshot folder per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import BROWSER_TIMEOUT_MS, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it): browser tests skipped")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (BROWSER_TIMEOUT_MS): a rerun under CI load (two test workers,
    # portals and browsers on 2 cores) took longer than expect's 5 s default (seen once: the
    # report confirmation in test_resident).
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
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


