"""One analysis per consultation at a time, across processes and machines (decision 0025).

PostgreSQL: a session-level advisory lock keyed on the consultation, held on its own connection
for the whole run. It is released by the server when the process dies, so a run left 'running'
by a crashed process is recognised at once by whoever takes the lock next and closed as failed.
SQLite (one machine): the unique index on running runs (``uq_analysisrun_one_running``) is the
lock; a crashed run is recognised by its dead process id or its age (``runs.is_stale``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

LOCK_SPACE = 0x5052  # first key of the two-key advisory lock: "analysis of a consultation"


def uses_advisory_locks(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def consultation_lock(engine: Engine, consultation_id: int) -> Iterator[bool]:
    """Try to take the consultation's analysis lock without waiting; yields whether it was taken
    (always True on SQLite, where the running-run row decides)."""
    if not uses_advisory_locks(engine):
        yield True
        return
    conn = engine.connect()
    try:
        got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"),
                                {"a": LOCK_SPACE, "b": consultation_id}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), {"a": LOCK_SPACE, "b": consultation_id})
                conn.commit()
    finally:
        conn.close()
