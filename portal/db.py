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
MAINTENANCE_MESSAGE = "系统正在恢复数据，请稍后再试。"
MAINTENANCE_SUFFIX = ".maintenance"

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


# ---------------------------------------------------------------- maintenance during a restore
#
# A SQLite restore (portal.services.backup.restore_sqlite) replaces the database under running
# portals. It announces itself in a small file beside the database, ``<db>.maintenance``, which
# every process on the machine sees: ``restoring <epoch> <pid>`` while it runs, ``ready <epoch>``
# after. A unit of work notes the state when it starts and checks it again just before its
# commit, after its writes hold the database's write lock; a restore that began in between (or
# ran entirely in between, so the work read the old database) makes it roll back with
# MAINTENANCE_MESSAGE instead of committing stale work or surfacing a StaleDataError.


def maintenance_file(engine: Engine) -> Path | None:
    """The marker file beside a SQLite database file; None for PostgreSQL or an in-memory database
    (a PostgreSQL restore is pg_restore's own single transaction)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in {None, "", ":memory:"}:
        return None
    path = Path(url.database).expanduser()  # type: ignore[arg-type]
    return path.with_name(path.name + MAINTENANCE_SUFFIX)


def maintenance_state(marker: Path | None) -> tuple[bool, int]:
    """(restoring now, restore epoch) as the marker file says; (False, 0) without one."""
    if marker is None:
        return False, 0
    try:
        parts = marker.read_text(encoding="ascii").split()
    except FileNotFoundError:
        return False, 0
    except (OSError, UnicodeDecodeError):
        return True, -1  # unreadable mid-write: treat as restoring, the caller is told to retry
    if len(parts) < 2 or not parts[1].lstrip("-").isdigit():
        return True, -1
    return parts[0] == "restoring", int(parts[1])


def _under_maintenance(cause: BaseException | None = None) -> Exception:
    from portal.services.errors import UnderMaintenance

    err = UnderMaintenance(MAINTENANCE_MESSAGE)
    err.__cause__ = cause
    return err


def check_not_restoring(engine: Engine) -> None:
    """Raise ``UnderMaintenance`` (Chinese message) while a restore of this database runs."""
    if maintenance_state(maintenance_file(engine))[0]:
        raise _under_maintenance()


def unit_of_work(engine: Engine, work: Callable[[Session], T], *, attempts: int = 6,
                 during_restore: bool = False) -> T:
    """The one way a change is saved: ``work(session)`` in a fresh session, committed once.

    Services do their work on the session they are given and never commit; pages (through
    ``portal.ui.actions``), the CLI and the demo builder wrap them in this. Anything raised rolls
    the whole change back (a ``ServiceError`` propagates with its Chinese message). A busy SQLite
    database or a PostgreSQL serialization conflict is retried with back-off, re-running ``work``
    from the start in a new session, so ``work`` must not have effects outside the database.

    While a restore runs, or when one ran while ``work`` was under way, nothing is committed and
    ``UnderMaintenance`` ("系统正在恢复数据，请稍后再试。") is raised, also in place of the
    StaleDataError, database error or refusal that the swap of the file caused. ``during_restore`` is for the
    restore's own steps only.
    """
    marker = None if during_restore else maintenance_file(engine)
    delay = 0.05
    for attempt in range(attempts):
        restoring, epoch = maintenance_state(marker)
        if restoring:
            raise _under_maintenance()
        try:
            with session_scope(engine) as session:
                result = work(session)
                if marker is not None:
                    # The writes now hold SQLite's write lock, which a restore's copy needs too:
                    # if no restore has started or finished by now, none can before the commit.
                    session.flush()
                    if maintenance_state(marker) != (False, epoch):
                        raise _under_maintenance()
                session.commit()
                return result
        except Exception as exc:
            # Whatever the swapped file caused (StaleDataError, a database error, a row that is
            # suddenly missing): the user hears that a restore is under way, nothing was saved.
            if marker is not None and maintenance_state(marker) != (False, epoch):
                raise _under_maintenance(exc) from exc
            if (not isinstance(exc, OperationalError | DBAPIError) or attempt == attempts - 1
                    or not is_retryable(exc)):
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


# What the public pages show changes only when one of these moves: a new opinion, vote or
# comment (their ids only grow), an audited action (moderation, phase changes, edits, answers,
# analysis runs: the audit log only grows), a consultation row or a new community. Each is a max over a primary
# key or a small table, so the marker costs a few index lookups, on SQLite and PostgreSQL alike.
_CHANGE_MARKER = sa.text(
    "SELECT (SELECT max(id) FROM auditevent), (SELECT max(id) FROM opinion),"
    " (SELECT max(id) FROM vote), (SELECT max(id) FROM comment),"
    " (SELECT max(updated_at) FROM consultation), (SELECT count(*) FROM consultation),"
    " (SELECT max(id) FROM community)"  # a new community appears on the street home at once
)


def change_marker(session: Session) -> str:
    """A fingerprint of the shared database that moves whenever public content may have changed.

    It lives in the database, so every replica sees the same marker: a page cache keyed on it
    is invalidated on all replicas by a change made on any one of them. A changed vote (同意 →
    不同意) updates a row without a new id; caches keyed on the marker therefore also expire
    after a short time (``portal/ui/public_cache.py``)."""
    row = session.connection().execute(_CHANGE_MARKER).one()
    return "|".join("" if v is None else str(v) for v in row)
