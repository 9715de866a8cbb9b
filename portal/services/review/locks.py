"""One analysis per consultation at a time, across processes and machines (decision 0025).

PostgreSQL: a session-level advisory lock keyed on the consultation, held on its own connection
for the whole run. It is released by the server when the process dies, so a run left 'running'
by a crashed process is recognised at once by whoever takes the lock next and closed as failed.
SQLite (one machine): the unique index on running runs (``uq_analysisrun_one_running``) is the
lock; a crashed run is recognised by its dead process id or its age (``runs.is_stale``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.models import AnalysisRun, RunStatus, utcnow
from portal.services.errors import InvalidInput

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


# A run still 'running' after this long was killed (no analysis of a neighbourhood takes it).
STALE_RUN_AFTER = timedelta(minutes=30)
STALE_RUN_ERROR = "分析进程意外中断（进程被终止或机器重启），本次结果未保存；之前的主题保持不变。"


def _worker() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_stale(run: AnalysisRun, *, now: datetime | None = None,
             older_than: timedelta = STALE_RUN_AFTER) -> bool:
    """A 'running' run whose process is gone (same machine) or that is older than ``older_than``."""
    if run.status != RunStatus.RUNNING:
        return False
    worker = (run.params or {}).get("worker") or {}
    if worker.get("host") == socket.gethostname() and isinstance(worker.get("pid"), int):
        if worker["pid"] != os.getpid() and not _process_alive(worker["pid"]):
            return True
    now = now or utcnow()
    return now - _aware_utc(run.started_at) > older_than


def mark_stale_runs(session: Session, *, consultation_id: int | None = None,
                    older_than: timedelta = STALE_RUN_AFTER) -> list[int]:
    """Mark runs left 'running' by a killed process as failed; returns their ids.

    Their partial work never reached the database (a run writes in one transaction), so only
    the run row itself needs closing. The caller commits.
    """
    query = select(AnalysisRun).where(AnalysisRun.status == RunStatus.RUNNING)
    if consultation_id is not None:
        query = query.where(AnalysisRun.consultation_id == consultation_id)
    now = utcnow()
    marked = []
    for run in session.exec(query):
        if is_stale(run, now=now, older_than=older_than):
            run.status = RunStatus.FAILED
            run.error = STALE_RUN_ERROR
            run.finished_at = now
            session.add(run)
            marked.append(run.id)
    return [m for m in marked if m is not None]


class AnalysisBusy(InvalidInput):
    """Another process is analysing this consultation right now."""


def _aware_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
