import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from portal.db import DatabaseConfigError, current_revision, make_engine, upgrade
from portal.models import Community


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_create_the_whole_schema_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    assert _tables(engine) == set(SQLModel.metadata.tables)
    assert current_revision(engine) is not None
    upgrade(url)  # a second upgrade is a no-op, not an error


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000


def test_models_and_migrations_agree(tmp_path):
    """A model change without a migration fails here (alembic autogenerate finds a diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    with make_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


@pytest.mark.postgres
def test_migrations_run_on_postgresql(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    assert _tables(engine) == set(SQLModel.metadata.tables)
    with Session(engine) as session:
        session.add(Community(name="梧桐里社区"))
        session.commit()
    engine.dispose()


def test_malformed_database_url_gives_one_clear_line():
    with pytest.raises(DatabaseConfigError, match="DATABASE_URL 格式不正确"):
        make_engine("this is not a url")
    with pytest.raises(DatabaseConfigError, match="不支持的数据库类型"):
        make_engine("mysql://root@localhost/x")


def test_unreachable_postgresql_names_the_problem():
    with pytest.raises(DatabaseConfigError, match="无法连接数据库"):
        make_engine("postgresql://nobody@127.0.0.1:1/nothing")


@pytest.mark.parametrize("url, expected", [
    ("not a url", "DATABASE_URL 格式不正确"),
    ("postgresql://nobody@127.0.0.1:1/nothing", "无法连接数据库"),
])
def test_cli_reports_bad_database_without_traceback(tmp_path, url, expected):
    env = {"DATABASE_URL": url, "PORTAL_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "portal.cli", "init-db"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
