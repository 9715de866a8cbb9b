"""Who took part in a consultation: one ``Participant`` row per (consultation, resident),
written in the same transaction as the resident's first opinion or vote (decision 0028).

Counting participants is then a count over an index, not a UNION over every opinion and vote:
at street scale (2 million votes) that UNION took seconds on every dashboard view. The row is
inserted with ``ON CONFLICT DO NOTHING``, so two first votes of one resident arriving at once
both succeed and the row exists once. Bulk builders (the demo, benchmarks, imports that write
rows directly) call :func:`rebuild` afterwards; the migration that made the table filled it
the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import label
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from portal.models import Consultation, Opinion, Participant, Vote, utcnow


def record(session: Session, *, consultation_id: int, resident_id: int | None,
           at: datetime | None = None) -> None:
    """Note that ``resident_id`` took part in ``consultation_id`` (no-op for an anonymous
    paper entry without a resident, and when the row exists)."""
    if resident_id is None:
        return
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    table = Participant.__table__  # type: ignore[attr-defined]
    conn.execute(dialect.insert(table)
                 .values(consultation_id=consultation_id, resident_id=resident_id, first_at=at or utcnow())
                 .on_conflict_do_nothing(index_elements=[table.c.consultation_id, table.c.resident_id]))


def _sources(consultation_ids: Iterable[int] | None) -> Any:
    """(consultation, resident, first time) of every author and voter, as one subquery."""
    authors: Any = (select(label("cid", col(Opinion.consultation_id)), label("rid", col(Opinion.resident_id)),
                           label("at", col(Opinion.created_at)))
                    .where(col(Opinion.resident_id).is_not(None)))
    voters: Any = (select(label("cid", col(Opinion.consultation_id)), label("rid", col(Vote.resident_id)),
                          label("at", col(Vote.created_at)))
                   .join(Opinion, col(Opinion.id) == col(Vote.opinion_id)))
    if consultation_ids is not None:
        ids = list(consultation_ids)
        authors = authors.where(col(Opinion.consultation_id).in_(ids))
        voters = voters.where(col(Opinion.consultation_id).in_(ids))
    return authors.union_all(voters).subquery()


def rebuild(session: Session, consultation_ids: Iterable[int] | None = None) -> int:
    """Recompute the rows of the given consultations (all when None) from the opinions and
    votes themselves; returns how many rows there are now. Used after bulk writes that insert
    rows directly (the demo, benchmarks); the caller commits."""
    ids = None if consultation_ids is None else list(consultation_ids)
    table = Participant.__table__  # type: ignore[attr-defined]
    delete = table.delete()
    if ids is not None:
        if not ids:
            return 0
        delete = delete.where(table.c.consultation_id.in_(ids))
    session.execute(delete)
    src = _sources(ids)
    firsts = select(src.c.cid, src.c.rid, func.min(src.c.at)).group_by(src.c.cid, src.c.rid)
    session.execute(table.insert().from_select(["consultation_id", "resident_id", "first_at"], firsts))
    count = select(func.count()).select_from(Participant)
    if ids is not None:
        count = count.where(col(Participant.consultation_id).in_(ids))
    return int(session.exec(count).one())


def by_consultation(session: Session, consultation_ids: list[int]) -> dict[int, int]:
    """Distinct participants per consultation."""
    if not consultation_ids:
        return {}
    rows = session.exec(select(Participant.consultation_id, func.count())
                        .where(col(Participant.consultation_id).in_(consultation_ids))
                        .group_by(col(Participant.consultation_id))).all()
    return dict(rows)


def by_community(session: Session, consultation_ids: list[int]) -> dict[int, int]:
    """Distinct residents per community over the given consultations (a resident who took part
    in two of them counts once)."""
    if not consultation_ids:
        return {}
    rows = session.exec(select(Consultation.community_id, func.count(func.distinct(col(Participant.resident_id))))
                        .join(Consultation, col(Consultation.id) == col(Participant.consultation_id))
                        .where(col(Participant.consultation_id).in_(consultation_ids))
                        .group_by(col(Consultation.community_id))).all()
    return {k: v for k, v in rows if k is not None}


def of_consultation(session: Session, consultation_id: int) -> set[int]:
    """The residents who took part in ``consultation_id`` (wrote an opinion or voted)."""
    return set(session.exec(select(Participant.resident_id)
                            .where(Participant.consultation_id == consultation_id)).all())


def resident_ids(consultation_id: int) -> Any:
    """Subquery: the resident ids (column ``rid``) who took part in ``consultation_id``."""
    return (select(col(Participant.resident_id).label("rid"))
            .where(Participant.consultation_id == consultation_id).subquery())
