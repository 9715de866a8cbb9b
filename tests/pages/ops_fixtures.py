"""A small neighbourhood database for the committee-operations page tests (no analysis needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from tests.factories import seeded_app_database
from tests.ops_support import build_hood
from tests.support import ROOT

PAGES = ROOT / "portal" / "app_pages"


def ops_database(tmp_path, monkeypatch):
    """Generator for an ``ops_db`` fixture: environment pointing at a fresh small database;
    yields (engine, hood)."""
    yield from seeded_app_database(tmp_path, monkeypatch, "ops.sqlite", build_hood)


def run_page(path: str, actor=None, timeout: float = 30) -> AppTest:
    """Run one page file on its own (as the router would), signed in as ``actor``."""
    at = AppTest.from_file(str(PAGES / path), default_timeout=timeout)
    if actor is not None:
        at.session_state["auth.actor"] = actor
        at.session_state["auth.since"] = datetime.now(UTC)
    return at.run()
