"""A small review database for page tests (no analysis run needed): see tests/portal/review_world.py."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from portal.db import make_engine
from portal.settings import get_settings
from tests.portal.review_world import World, build_world
from tests.support import ROOT, demo_env


def make_review_db(tmp_path, monkeypatch) -> tuple[object, World]:
    db = tmp_path / "review.sqlite"
    for key, value in demo_env(tmp_path / "var", db).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = make_engine(get_settings().database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
    return engine, world


def open_direct(page: str, *, actor=None, timeout: float = 30) -> AppTest:
    """Run one page file on its own (bypassing navigation), to test its own access check."""
    from datetime import UTC, datetime

    at = AppTest.from_file(str(ROOT / "portal" / page), default_timeout=timeout)
    if actor is not None:
        at.session_state["auth.actor"] = actor
        at.session_state["auth.since"] = datetime.now(UTC)
    return at.run()
