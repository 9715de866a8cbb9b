"""deploy/backup.sh, the nightly backup the systemd timer runs: a usable dump of PostgreSQL or a
consistent copy of SQLite, under its final name only when finished, old ones pruned."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from portal.db import make_engine, upgrade
from tests import factories
from tests.support import ROOT, demo_env

SCRIPT = ROOT / "deploy" / "backup.sh"


def _community(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        factories.community(s, district="静安区")
        s.commit()
    engine.dispose()


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_sqlite_backup_is_a_consistent_copy_and_old_ones_go(tmp_path):
    db = tmp_path / "portal.sqlite"
    upgrade(f"sqlite:///{db}")
    _community(f"sqlite:///{db}")
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "portal-20260101T000000Z.sqlite"
    old.write_bytes(b"an old backup")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    keep = backups / "notes.txt"  # not a backup: never deleted
    keep.write_text("机房钥匙在居委会办公室")
    os.utime(keep, (month_ago, month_ago))

    env = demo_env(tmp_path / "var", db) | {"BACKUP_DIR": str(backups), "KEEP_DAYS": "14",
                                           "CONSULT": f"{sys.executable} -m portal.cli"}
    done = _run(env)
    assert done.returncode == 0, done.stderr
    made = sorted(p for p in backups.glob("portal-*.sqlite") if p != old)
    assert len(made) == 1 and "backup written" in done.stdout
    assert not old.exists() and keep.exists()
    assert not list(backups.glob("*.part*"))
    with sqlite3.connect(made[0]) as conn:
        assert conn.execute("SELECT name FROM community").fetchall() == [("梧桐里社区",)]


@pytest.mark.postgres
def test_postgresql_backup_is_a_restorable_dump(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not shutil.which("pg_dump"):
        pytest.skip("TEST_DATABASE_URL or pg_dump missing: PostgreSQL backup test skipped")
    name = f"backup_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        _community(url)
        backups = tmp_path / "backups"
        env = dict(os.environ) | {"DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
                                  "BACKUP_DIR": str(backups)}
        done = _run(env)
        assert done.returncode == 0, done.stderr
        (dump,) = backups.glob("portal-*.dump")
        listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public community" in listing.stdout
        assert "TABLE DATA public vote" in listing.stdout
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
