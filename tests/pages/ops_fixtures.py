"""A small neighbourhood database for the committee-operations page tests (no analysis needed)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from portal.db import make_engine
from portal.settings import PACKAGED_DATA, get_settings
from tests.ops_support import build_hood
from tests.support import ROOT

PAGES = ROOT / "portal" / "app_pages"


def ops_database(tmp_path, monkeypatch):
    """Generator for an ``ops_db`` fixture: environment pointing at a fresh small database;
    yields (engine, hood)."""
    db = tmp_path / "ops.sqlite"
    env = {"PORTAL_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{db}",
           "PORTAL_SECRET_KEY": "test-secret-key", "PORTAL_DATA_DIR": str(PACKAGED_DATA)}
    for key, value in env.items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = make_engine(env["DATABASE_URL"])
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        hood = build_hood(session)
    yield engine, hood
    engine.dispose()
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def run_page(path: str, actor=None, timeout: float = 30) -> AppTest:
    """Run one page file on its own (as the router would), signed in as ``actor``."""
    at = AppTest.from_file(str(PAGES / path), default_timeout=timeout)
    if actor is not None:
        at.session_state["auth.actor"] = actor
        at.session_state["auth.since"] = datetime.now(UTC)
    return at.run()
