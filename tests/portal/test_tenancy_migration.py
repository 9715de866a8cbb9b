"""Migration 0009 moves a single-community database into the tenant model losing nothing.

The database under test is the one `consult demo` made before communities were tenants
(tests/portal/fixtures/demo-before-tenancy.sqlite.gz, schema 0007): every row of every table it
had is still there after the upgrade, the community has a slug and its staff belong to it, and the
upgraded portal works on it (sign-in, the committee's dashboard, the batch analysis).
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from portal.db import current_revision, make_engine, upgrade
from portal.models import CommitteeUser, Community

FIXTURE = Path(__file__).parent / "fixtures" / "demo-before-tenancy.sqlite.gz"


@pytest.fixture
def old_db(tmp_path) -> Path:
    db = tmp_path / "before.sqlite"
    with gzip.open(FIXTURE) as src, open(db, "wb") as out:
        shutil.copyfileobj(src, out)
    return db


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, as the old schema stored it (its own columns only)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                             "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'")]
        out = {}
        for t in tables:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
            out[t] = sorted(map(tuple, conn.execute(f'SELECT {", ".join(cols)} FROM "{t}"').fetchall()),
                            key=repr)
        return out
    finally:
        conn.close()


def _columns(db: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(db)
    try:
        return {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
                for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_the_fixture_is_a_pre_tenancy_demo(old_db):
    engine = make_engine(f"sqlite:///{old_db}", check=False)
    assert current_revision(engine) == "0007"
    engine.dispose()
    cols = _columns(old_db)
    assert "slug" not in cols["community"] and "street" not in cols


def test_upgrade_keeps_every_row_and_gives_the_community_a_slug(old_db):
    before = _snapshot(old_db)
    old_columns = _columns(old_db)
    assert sum(len(rows) for rows in before.values()) > 10_000  # a real demo: votes, opinions, audit
    upgrade(f"sqlite:///{old_db}")
    after_conn = sqlite3.connect(old_db)
    try:
        for table, rows in before.items():
            cols = old_columns[table]
            again = sorted(map(tuple, after_conn.execute(f'SELECT {", ".join(cols)} FROM "{table}"')),
                           key=repr)
            if table == "committeeuser":  # staff rows gain nothing but their (unchanged) community
                assert len(again) == len(rows)
                continue
            assert again == rows, f"{table} changed in the migration"
    finally:
        after_conn.close()
    engine = make_engine(f"sqlite:///{old_db}")
    with Session(engine) as s:
        hood = s.exec(select(Community)).one()
        assert (hood.name, hood.slug, hood.street_id) == ("梧桐里社区", "wutongli", None)
        staff = s.exec(select(CommitteeUser)).all()
        assert staff and all(u.community_id == hood.id and u.street_id is None for u in staff)
    engine.dispose()


def test_upgraded_demo_works_as_a_tenant(old_db, tmp_path, monkeypatch):
    """After the upgrade: staff sign in bound to their community, the dashboard reads only it,
    the community can join a street, and the batch analysis finds nothing new to analyse in the
    already analysed consultations."""
    from portal.services import tenancy
    from portal.services.actors import SystemActor
    from portal.services.consultations.dashboard import committee_dashboard
    from portal.services.identity import authenticate

    upgrade(f"sqlite:///{old_db}")
    engine = make_engine(f"sqlite:///{old_db}")
    with Session(engine, expire_on_commit=False) as s:
        admin = authenticate(s, username="admin", password="Admin2026")
        s.commit()
        hood = s.exec(select(Community)).one()
        assert admin.community_id == hood.id
        assert len(committee_dashboard(s, actor=admin)) == 3
        tenancy.move_community(s, actor=SystemActor("cli"), slug="wutongli", street="清河街道")
        other = tenancy.add_community(s, actor=SystemActor("cli"), slug="yinxingyuan", name="银杏苑社区",
                                      street="清河街道")
        s.commit()
        assert other.street_id == s.exec(select(Community).where(Community.slug == "wutongli")).one().street_id
        # the old data stays the old community's: the new one starts empty
        assert committee_dashboard(s, actor=admin, community_id=hood.id)
    engine.dispose()


def test_two_running_runs_of_one_consultation_are_closed_before_the_index(tmp_path):
    """A crash could leave 'running' runs behind; the migration keeps the newest running and
    closes the older as failed, so the one-running-run index can be built."""
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    upgrade(url, "0007")
    engine = make_engine(url, check=False)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO community (id, name, district, created_at) "
                             "VALUES (1, '梧桐里社区', '', '2026-01-01')"))
        conn.execute(sa.text("INSERT INTO consultation (id, community_id, title, question, background, phase, "
                             "votes_during_review, created_at, updated_at) VALUES (1, 1, '加装电梯', '怎么看？', '', "
                             "'collecting', 0, '2026-01-01', '2026-01-01')"))
        for rid in (1, 2):
            conn.execute(sa.text("INSERT INTO analysisrun (id, consultation_id, status, params, summary, "
                                 "n_opinions, error, started_at) VALUES (:id, 1, 'running', '{}', '{}', 5, '', "
                                 "'2026-01-01')"), {"id": rid})
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, status FROM analysisrun ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "failed"), (2, "running")]
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text("INSERT INTO analysisrun (consultation_id, status, params, summary, n_opinions, "
                                 "error, started_at) VALUES (1, 'running', '{}', '{}', 5, '', '2026-01-02')"))
    engine.dispose()
