"""Shared fixtures: a fresh database per test, settings pointing at a temporary folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def _one_blas_kernel() -> None:
    """The golden theme output (tests/analysis/golden/) depends on the last bits of OpenBLAS's sums,
    which differ between its CPU kernels (AVX2's 'Haswell' and 'Zen' agree; 'Sandybridge' and the
    AVX-512 kernels do not). Tests use the one kernel every AVX2 machine has, so a CI machine with
    another CPU computes the same themes. Must run before numpy is loaded; subprocesses inherit it."""
    try:
        cpu = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    if " avx2" in cpu and " fma" in cpu:
        os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")


_one_blas_kernel()
assert "numpy" not in __import__("sys").modules, "numpy was loaded before the BLAS kernel was chosen"

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import portal.models  # noqa: F401, E402
from portal.db import make_engine  # noqa: E402
from portal.settings import PACKAGED_DATA, Settings, get_settings  # noqa: E402
from tests.support import TEST_CONTACT_KEY  # noqa: E402

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
