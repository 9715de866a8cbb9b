"""Shared fixtures: a fresh database per test, settings pointing at a temporary folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401
from portal.db import make_engine
from portal.settings import PACKAGED_DATA, Settings, get_settings
from tests.support import TEST_CONTACT_KEY

# Chromium and screenshot fixtures for tests/browser/ and tests/deploy/.
pytest_plugins = ["tests.browser_fixtures"]

SHARED_CACHE = Path(__file__).resolve().parent.parent / "var" / "test-cache"


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Iterator[Settings]:
    """Settings for one test: its own var folder and SQLite file, a shared jieba cache."""
    monkeypatch.setenv("PORTAL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'portal.sqlite'}")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("PORTAL_CONTACT_KEY", TEST_CONTACT_KEY)
    get_settings.cache_clear()
    s = get_settings()
    yield s
    get_settings.cache_clear()


@pytest.fixture
def engine(settings) -> Iterator[Engine]:
    eng = make_engine(settings.database_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _pg_base_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = _pg_base_url()
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url) -> Iterator[Engine]:
    eng = make_engine(pg_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return PACKAGED_DATA
