"""Storing a submission once, however often it is sent.

Every submission (an opinion, a comment, an offline entry) carries a token: the form makes one
per draft and keeps it across reruns; a caller without one gets a token derived from what was
sent. The token column is unique, and the row is written with ``INSERT … ON CONFLICT DO
NOTHING``: when two copies of the same submission arrive at once, the database keeps the first
and the second finds it, without an error and without leaving the caller's transaction (no
savepoint is needed, which pysqlite does not handle well).
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

TOKEN_MAX = 64
M = TypeVar("M", bound=SQLModel)


def given_token(token: str | None) -> str | None:
    """The caller's token, trimmed to the column's size; None when there is none."""
    return (token or "").strip()[:TOKEN_MAX] or None


def derived_token(kind: str, *parts: Any) -> str:
    """A token for a caller that sent none: the same content from the same person gives the same
    token, so a re-sent request without a token is still stored once."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in (kind, *parts)).encode("utf-8")).hexdigest()
    return f"{kind}:{digest[:40]}"


def by_token(session: Session, model: type[M], token: str) -> M | None:
    """The row stored with ``token``, if any."""
    return session.exec(select(model).where(model.client_token == token)).first()  # type: ignore[attr-defined]


def insert_once(session: Session, row: M) -> tuple[M, bool]:
    """Insert ``row`` in the caller's transaction unless a row with its ``client_token`` exists.

    Returns (the stored row, created). The row's Python-side defaults are already filled in by
    the model, so the INSERT carries every column but the id.
    """
    model = type(row)
    table = model.__table__  # type: ignore[attr-defined]
    token = row.client_token  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(table).values(**values)
            .on_conflict_do_nothing(index_elements=[table.c.client_token])
            .returning(table.c.id))
    new_id = conn.execute(stmt).scalar()
    if new_id is None:  # someone else's copy of the same submission was stored first
        earlier = by_token(session, model, token)
        assert earlier is not None, "a conflicting token always belongs to a stored row"
        return earlier, False
    stored = session.get(model, new_id)
    assert stored is not None
    return stored, True
