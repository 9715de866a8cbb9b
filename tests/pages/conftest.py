"""AppTest fixtures: pages run headlessly against a copy of the demo database."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from portal.models import CommitteeUser, Resident
from portal.services.identity import committee_actor, resident_actor
from tests.factories import point_app_at, release_app_database
from tests.support import ROOT, demo_database

APP = str(ROOT / "portal" / "app.py")


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    """Environment pointing at a fresh copy of the demo database; yields its engine."""
    engine = point_app_at(tmp_path, monkeypatch, demo_database(tmp_path))
    yield engine
    release_app_database(engine)


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
