"""The results page kept ready in the database (table ``resultssnapshot``).

Computing a published consultation's results reads every visible opinion, vote and theme (about
3 s at 10,000 opinions and 100,000 votes). The in-process cache of the page only helps the
second visitor on the same replica, so the first visitor after publishing waited. Now the
results are computed when they change — on publishing, at the end of an analysis run, and when
the committee answers a theme or records progress on a published one — and stored with the
``results_version`` they belong to. A visitor's replica reads that one row; when the version no
longer matches (an opinion hidden, the date moved past a deadline) the first reader recomputes
and stores it again.

The page's charts are built with them (``charts.results_chart_specs``, ~50 ms each to build and
validate) and stored in the same payload as Vega-Lite specs, so the first visitor only draws them.

The payload is a pickle of ``ConsultationResults``. Only this module writes it, into our own
database; a payload that cannot be read back (another ``FORMAT``, a changed class) is rebuilt.
"""

from __future__ import annotations

import dataclasses
import pickle

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portal.charts import results_chart_specs
from portal.models import Consultation, ResultsSnapshot, utcnow
from portal.services.consultations.phases import results_public

# The module, not its names: publishing.results imports review, whose answers import this module,
# so whichever of them is imported first, the other may still be half-initialised here.
from portal.services.publishing import results as _results

FORMAT = 1  # bump when ConsultationResults changes shape


def _version_as_stored(session: Session, consultation_id: int) -> str:
    """``results_version`` as any later reader will compute it: values this transaction just
    wrote are read back from the database first (an aware datetime in memory is naive once
    SQLite stores it, and the version string would differ)."""
    session.flush()
    c = session.get(Consultation, consultation_id)
    if c is not None:
        session.refresh(c)
    return _results.results_version(session, consultation_id)


def _computed(session: Session, consultation_id: int) -> _results.ConsultationResults:
    """The results as they are now, with their charts built (what a snapshot stores)."""
    results = _results.load_results(session, consultation_id)
    return dataclasses.replace(results, charts=results_chart_specs(results))


def _store(session: Session, consultation_id: int, version: str, results: _results.ConsultationResults) -> None:
    payload = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
    row = session.get(ResultsSnapshot, consultation_id)
    if row is None:
        try:
            with session.begin_nested():  # another replica may be storing the same one
                session.add(ResultsSnapshot(consultation_id=consultation_id, version=version, format=FORMAT,
                                            payload=payload, built_at=utcnow()))
        except IntegrityError:
            return
        return
    row.version, row.format, row.payload, row.built_at = version, FORMAT, payload, utcnow()
    session.add(row)


def refresh_snapshot(session: Session, consultation_id: int) -> bool:
    """Compute and store the results of ``consultation_id`` if they are public (the caller's
    transaction commits it). Returns whether a snapshot was stored. Called by the services that
    publish, re-analyse, answer or update a published consultation."""
    c = session.get(Consultation, consultation_id)
    if c is None or not results_public(c):
        return False
    version = _version_as_stored(session, consultation_id)
    _store(session, consultation_id, version, _computed(session, consultation_id))
    return True


def _read(row: ResultsSnapshot | None, version: str) -> _results.ConsultationResults | None:
    if row is None or row.version != version or row.format != FORMAT:
        return None
    try:
        results = pickle.loads(row.payload)  # noqa: S301 - written only by _store, into our own database
    except Exception:  # noqa: BLE001 - a payload of an older class: rebuilt below
        return None
    return results if isinstance(results, _results.ConsultationResults) else None


def current_results(session: Session, consultation_id: int, *, version: str | None = None) -> _results.ConsultationResults:
    """The results page's data: the stored snapshot when it is current, else computed now and
    stored for the next visitor (the caller's unit of work commits). Raises like
    ``load_results`` when the results are not public."""
    version = version or _results.results_version(session, consultation_id)
    found = _read(session.get(ResultsSnapshot, consultation_id), version)
    if found is not None:
        return found
    results = _computed(session, consultation_id)
    if _results.results_version(session, consultation_id) == version:  # nothing changed while computing
        _store(session, consultation_id, version, results)
    return results


def snapshot_version(session: Session, consultation_id: int) -> str | None:
    """The version the stored snapshot was computed for (None without one): for tests and ops."""
    row = session.get(ResultsSnapshot, consultation_id)
    return row.version if row else None
