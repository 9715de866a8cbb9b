"""A small review database for page tests (no analysis run needed): see tests/portal/review_world.py."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.factories import seed_app_database
from tests.portal.review_world import World, build_world
from tests.support import ROOT


def make_review_db(tmp_path, monkeypatch) -> tuple[object, World]:
    """The review world in a fresh SQLite file behind the app; the caller disposes of the engine."""
    return seed_app_database(tmp_path, monkeypatch, "review.sqlite", build_world)


def open_direct(page: str, *, actor=None, timeout: float = 30) -> AppTest:
    """Run one page file on its own (bypassing navigation), to test its own access check."""
    from datetime import UTC, datetime

    at = AppTest.from_file(str(ROOT / "portal" / page), default_timeout=timeout)
    if actor is not None:
        at.session_state["auth.actor"] = actor
        at.session_state["auth.since"] = datetime.now(UTC)
    return at.run()
