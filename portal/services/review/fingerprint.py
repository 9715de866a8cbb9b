"""What a run reads, as one digest: the batch job analyses a consultation only when it changed."""

from __future__ import annotations

import hashlib
import json

from sqlmodel import Session, col, select

from portal.models import (
    AnalysisRun,
    AssignmentSource,
    Opinion,
    RunStatus,
    Theme,
    ThemeAssignment,
    ThemeRejection,
)
from portal.services.queries import visible_opinions_of


def input_fingerprint(session: Session, consultation_id: int) -> str:
    """A digest of everything a run reads: the visible opinions (ids and text) and the
    committee's curation (curated themes, their names and keywords, committee assignments,
    不属于 answers). Equal digests mean a new run would have nothing new to work on."""
    h = hashlib.sha256()
    for oid, text in session.exec(
        select(Opinion.id, Opinion.text_public).where(visible_opinions_of(consultation_id))
        .order_by(col(Opinion.id))
    ):
        h.update(f"o{oid}:{hashlib.md5(text.encode()).hexdigest()}|".encode())
    for tid, label, seeds, active in session.exec(
        select(Theme.id, Theme.label, Theme.seed_words, Theme.active)
        .where(Theme.consultation_id == consultation_id, col(Theme.curated).is_(True)).order_by(col(Theme.id))
    ):
        h.update(f"t{tid}:{label}:{json.dumps(seeds or [], ensure_ascii=False)}:{active}|".encode())
    for oid, tid in session.exec(
        select(ThemeAssignment.opinion_id, ThemeAssignment.theme_id)
        .join(Opinion, col(Opinion.id) == col(ThemeAssignment.opinion_id))
        .where(Opinion.consultation_id == consultation_id,
               ThemeAssignment.source == AssignmentSource.COMMITTEE).order_by(col(ThemeAssignment.opinion_id))
    ):
        h.update(f"a{oid}:{tid}|".encode())
    for oid, tid in session.exec(
        select(ThemeRejection.opinion_id, ThemeRejection.theme_id)
        .join(Opinion, col(Opinion.id) == col(ThemeRejection.opinion_id))
        .where(Opinion.consultation_id == consultation_id).order_by(col(ThemeRejection.id))
    ):
        h.update(f"r{oid}:{tid}|".encode())
    return h.hexdigest()


def needs_analysis(session: Session, consultation_id: int) -> bool:
    """Whether the visible opinions or the curation changed since the last successful run."""
    last = session.exec(
        select(AnalysisRun)
        .where(AnalysisRun.consultation_id == consultation_id, AnalysisRun.status == RunStatus.SUCCEEDED)
        .order_by(col(AnalysisRun.id).desc())
    ).first()
    if last is None:
        return True
    return (last.params or {}).get("fingerprint") != input_fingerprint(session, consultation_id)
