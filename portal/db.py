"""Database engine, sessions and schema migrations.

SQLite (the default) runs in WAL mode with a busy timeout so readers never block the writer and
concurrent writers wait instead of failing. PostgreSQL is used through ``DATABASE_URL``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000

T = TypeVar("T")


class DatabaseConfigError(RuntimeError):
    """The database URL is malformed or the database cannot be reached (message in Chinese)."""


def _normalise_url(url: str) -> sa.URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"DATABASE_URL 格式不正确：{url!r}（示例：sqlite:///var/portal.sqlite 或 "
            "postgresql://user@host:5432/dbname）"
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise DatabaseConfigError(f"不支持的数据库类型 {backend!r}：请使用 sqlite 或 postgresql")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, check: bool = True) -> Engine:
    """Build an engine for ``url``; with ``check`` connect once so a bad URL fails here, clearly."""
    parsed = _normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in {"", ":memory:"}
        if not in_memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=StaticPool if in_memory else None,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            connect_args={"connect_timeout": 5},
        )
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            where = parsed.render_as_string(hide_password=True)
            raise DatabaseConfigError(f"无法连接数据库 {where}：{reason}") from exc
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for reading; anything raised rolls back. Changes are saved by ``unit_of_work``."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


def is_retryable(exc: BaseException) -> bool:
    """A transient conflict worth retrying: SQLite lock, PostgreSQL serialization/deadlock."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return "database is locked" in text or "busy" in text or sqlstate in {"40001", "40P01"}


def unit_of_work(engine: Engine, work: Callable[[Session], T], *, attempts: int = 6) -> T:
    """The one way a change is saved: ``work(session)`` in a fresh session, committed once.

    Services do their work on the session they are given and never commit; pages (through
    ``portal.ui.actions``), the CLI and the demo builder wrap them in this. Anything raised rolls
    the whole change back (a ``ServiceError`` propagates with its Chinese message). A busy SQLite
    database or a PostgreSQL serialization conflict is retried with back-off, re-running ``work``
    from the start in a new session, so ``work`` must not have effects outside the database.
    """
    delay = 0.05
    for attempt in range(attempts):
        try:
            with session_scope(engine) as session:
                result = work(session)
                session.commit()
                return result
        except (OperationalError, DBAPIError) as exc:
            if attempt == attempts - 1 or not is_retryable(exc):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", _normalise_url(url).render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (creates the schema on an empty database)."""
    from alembic import command

    make_engine(url).dispose()  # fail early with a clear message
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
