"""AppTest fixtures: pages run headlessly against a copy of the demo database."""

from __future__ import annotations

import os
from datetime import UTC

import pytest
import streamlit as st
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from portal.db import make_engine
from portal.models import CommitteeUser, Resident
from portal.services.identity import committee_actor, resident_actor
from portal.settings import get_settings
from tests.support import ROOT, demo_database, demo_env

APP = str(ROOT / "portal" / "app.py")


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    """Environment pointing at a fresh copy of the demo database; yields its engine."""
    db = demo_database(tmp_path)
    for key, value in demo_env(tmp_path / "var", db).items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = make_engine(get_settings().database_url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(page: str, *, actor=None, query: dict | None = None, timeout: float = 30) -> AppTest:
    """Run the app, optionally signed in as ``actor``, and switch to ``page``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if actor is not None:
        at.session_state["auth.actor"] = actor
        from datetime import datetime

        at.session_state["auth.since"] = datetime.now(UTC)
    at.run()
    if query:
        for k, v in query.items():
            at.query_params[k] = v
    at.switch_page(page)
    at.run()
    return at


def demo_committee(engine, role: str = "admin"):
    with Session(engine) as s:
        user = s.exec(select(CommitteeUser).where(CommitteeUser.username == role)).one()
        return committee_actor(user)


def demo_resident(engine, index: int = 0):
    with Session(engine) as s:
        r = s.exec(select(Resident).order_by(col(Resident.id)).offset(index)).first()
        return resident_actor(s, r)
