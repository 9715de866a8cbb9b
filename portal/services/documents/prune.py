"""Stored files nothing refers to any more (``consult files prune``).

A ``StoredFile`` is kept as long as a ``ConsultationDocument`` or an ``OpinionPhoto`` refers to
it. A removed document leaves its bytes behind, and with an S3-compatible store a transaction
that rolled back leaves an object without a row (``storage``). Pruning removes both once they are
older than a grace period, so the bytes of an upload still in progress are never taken. A
rejected photo is still referred to (its author sees it, staff may change their mind): it stays.

The rows go in the caller's transaction, each deleted only while still unreferenced (the check is
part of the DELETE, so a document attached to the same content a moment earlier keeps it). S3
objects are deleted after that transaction committed (``delete_objects``), and only when no row
names their content again; an object whose deletion failed is found again by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal.models import ConsultationDocument, OpinionPhoto, StoredFile, utcnow
from portal.services import audit
from portal.services.actors import SystemActor
from portal.services.documents.storage import OBJECT_PREFIX, object_key, s3_store

DEFAULT_GRACE = timedelta(days=1)


@dataclass
class PrunePlan:
    """What a prune finds (and, unless a dry run, removes)."""

    rows: int = 0  # unreferenced StoredFile rows older than the grace period
    row_bytes: int = 0
    s3_keys: list[str] = field(default_factory=list)  # objects to delete: of those rows, and rowless ones
    stray_objects: int = 0  # S3 objects with no row at all (a rolled-back upload)
    stray_bytes: int = 0
    s3_deleted: int = 0
    s3_failed: int = 0

    @property
    def files(self) -> int:
        return self.rows + self.stray_objects

    @property
    def bytes(self) -> int:
        return self.row_bytes + self.stray_bytes


def _unreferenced() -> Any:
    return sa.and_(
        ~sa.exists().where(col(ConsultationDocument.file_id) == col(StoredFile.id)),
        ~sa.exists().where(col(OpinionPhoto.file_id) == col(StoredFile.id)),
    )


def _stray_objects(session: Session, cutoff: datetime) -> list[tuple[str, int]]:
    """S3 objects under ``files/`` older than ``cutoff`` whose content no row names."""
    store = s3_store()
    if store is None:
        return []
    client, bucket = store
    found: list[tuple[str, int]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=OBJECT_PREFIX):
        batch = [(o["Key"], int(o["Size"])) for o in page.get("Contents", []) if o["LastModified"] < cutoff]
        shas = [k[len(OBJECT_PREFIX):] for k, _ in batch]
        known = set(session.exec(select(StoredFile.sha256).where(col(StoredFile.sha256).in_(shas)))) if shas else set()
        found += [(k, size) for k, size in batch if k[len(OBJECT_PREFIX):] not in known]
    return found


def prune_files(session: Session, *, actor: SystemActor, grace: timedelta = DEFAULT_GRACE, dry_run: bool = False,
                now: datetime | None = None) -> PrunePlan:
    """Find (and unless ``dry_run`` delete, with an audit event) the stored files nothing refers
    to, older than ``grace`` (only the system prunes: the command line, a scheduled job). The
    caller commits, then calls :func:`delete_objects` with the plan."""
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    cutoff = (now or utcnow()) - grace
    orphans = session.exec(select(StoredFile.id, StoredFile.sha256, StoredFile.size, StoredFile.storage)
                           .where(col(StoredFile.created_at) < cutoff, _unreferenced())
                           .order_by(col(StoredFile.id))).all()
    plan = PrunePlan()
    ids = [int(i) for i, _, _, _ in orphans if i is not None]
    if dry_run:
        plan.rows, plan.row_bytes = len(ids), sum(size for _, _, size, _ in orphans)
        s3_rows = [object_key(sha) for _, sha, _, storage in orphans if storage == "s3"]
    else:
        deleted: list[tuple[str, int, str]] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            # the reference check is repeated inside the DELETE: a file attached again meanwhile stays
            deleted += [tuple(r) for r in session.connection().execute(  # type: ignore[misc]
                sa.delete(StoredFile).where(col(StoredFile.id).in_(chunk), _unreferenced())
                .returning(col(StoredFile.sha256), col(StoredFile.size), col(StoredFile.storage)))]
        plan.rows, plan.row_bytes = len(deleted), sum(size for _, size, _ in deleted)
        s3_rows = [object_key(sha) for sha, _, storage in deleted if storage == "s3"]
    listed = set(s3_rows)  # this run's rows are gone already: their objects are not strays
    stray = [(k, size) for k, size in _stray_objects(session, cutoff) if k not in listed]
    plan.stray_objects, plan.stray_bytes = len(stray), sum(size for _, size in stray)
    plan.s3_keys = s3_rows + [k for k, _ in stray]
    if not dry_run and plan.files:
        audit.record(session, actor=actor.audit_name, action="files.prune", target_type="storage",
                     detail={"rows": plan.rows, "bytes": plan.bytes, "s3_objects": len(plan.s3_keys),
                             "stray_objects": plan.stray_objects, "grace_hours": grace.total_seconds() / 3600})
    return plan


def delete_objects(session: Session, plan: PrunePlan) -> PrunePlan:
    """After the prune committed: delete its S3 objects whose content no row names again (the
    same photo uploaded anew meanwhile keeps its object). Failures are counted, not raised."""
    store = s3_store()
    if store is None or not plan.s3_keys:
        return plan
    client, bucket = store
    for start in range(0, len(plan.s3_keys), 1000):  # the S3 API's limit per request
        keys = plan.s3_keys[start:start + 1000]
        shas = [k[len(OBJECT_PREFIX):] for k in keys]
        back = set(session.exec(select(StoredFile.sha256).where(col(StoredFile.sha256).in_(shas))))
        keys = [k for k in keys if k[len(OBJECT_PREFIX):] not in back]
        if not keys:
            continue
        try:
            answer = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys],
                                                                  "Quiet": True})
        except Exception:  # noqa: BLE001 - botocore's errors are many; the next run tries again
            plan.s3_failed += len(keys)
            continue
        failed = len(answer.get("Errors", []))
        plan.s3_failed += failed
        plan.s3_deleted += len(keys) - failed
    return plan
