"""Cached reads for the public results pages.

Every cached function takes the consultation id AND a version string from
``services.results.results_version``: a new analysis run, a committee answer, a status update,
a hidden opinion or any audited action gives a new version, so the cache never serves stale
results, while repeat views of an unchanged consultation skip the database entirely.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from portal import charts
from portal.db import unit_of_work
from portal.services.decisions import OwnersVoteCard, PollCard, owners_votes_of, polls_of
from portal.services.publishing import accountability as accountability_service
from portal.services.publishing import notice_pdf, opendata, results, snapshot
from portal.timefmt import format_date
from portal.ui import public_cache
from portal.ui.resources import db_session, engine, settings

TTL = 6 * 3600


def version(consultation_id: int, snapshot: str) -> str:
    """The results version, read again only when the database's change marker ``snapshot``
    (``public_cache.marker()``) moves — every change that reaches the results page is an
    audited action, a new opinion or a vote — or after ``public_cache.TTL`` seconds (the date
    is part of the version): one cheap query per view instead of the six aggregates of
    ``results_version``."""
    return _version(consultation_id, public_cache.keyed(snapshot))


@st.cache_data(show_spinner=False, ttl=public_cache.TTL, max_entries=128)
def _version(consultation_id: int, marker: str) -> str:
    with db_session() as session:
        return results.results_version(session, consultation_id)


def decisions(consultation_id: int, snapshot: str) -> tuple[list[PollCard], list[OwnersVoteCard]]:
    """The consultation's polls and owners' votes as the public sees them (results tab 问卷与表决),
    read again when the change marker moves (closing a poll, publishing a vote are audited)."""
    return _decisions(consultation_id, public_cache.keyed(snapshot))


@st.cache_data(show_spinner=False, ttl=public_cache.TTL, max_entries=64)
def _decisions(consultation_id: int, marker: str) -> tuple[list[PollCard], list[OwnersVoteCard]]:
    with db_session() as session:
        return (polls_of(session, consultation_id=consultation_id),
                owners_votes_of(session, consultation_id=consultation_id, public=True))


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=64)
def load(consultation_id: int, version: str) -> results.ConsultationResults:
    """The stored snapshot when it is current (one row, on every replica); otherwise computed,
    and stored for the next visitor (publishing.snapshot, decision 0021)."""
    return unit_of_work(engine(), lambda session: snapshot.current_results(session, consultation_id,
                                                                           version=version))


def chart_specs(r: results.ConsultationResults, version: str) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs of the page's charts: stored with the snapshot, so nothing is built here;
    built once per version for a snapshot stored before specs were."""
    if r.charts is not None:
        return r.charts
    return _built_chart_specs(r.consultation_id, version)


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=64)
def _built_chart_specs(consultation_id: int, version: str) -> dict[str, dict[str, Any]]:
    return charts.results_chart_specs(load(consultation_id, version))


@st.cache_data(show_spinner=False, max_entries=64, persist="disk")  # survives restarts; keyed by version
def word_cloud(consultation_id: int, version: str, theme_id: int | None = None) -> bytes | None:
    """PNG word cloud of the consultation (or one theme); None when there are no words."""
    with db_session() as session:
        freqs = results.word_frequencies(session, consultation_id, theme_id)
    if not freqs:
        return None
    return results.word_cloud_png(freqs, font_path=settings().font_path)


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=32)
def downloads(consultation_id: int, version: str, kind: str) -> bytes:
    """Open data (csv / json / zip) or the printable notice (pdf)."""
    with db_session() as session:
        if kind == "pdf":
            return notice_pdf.notice_pdf(session, consultation_id)
        data = opendata.collect(session, consultation_id)
    return {"csv": opendata.opinions_csv, "json": opendata.to_json_bytes, "zip": opendata.to_zip_bytes}[kind](data)


@st.cache_data(show_spinner=False, ttl=300, max_entries=4)
def accountability(audit_version: str, community_id: int | None = None) -> list[accountability_service.AccountabilityItem]:
    with db_session() as session:
        return accountability_service.accountability_items(session, community_id=community_id)


def accountability_version() -> str:
    with db_session() as session:
        return accountability_service.accountability_version(session)


def published(community_id: int | None = None) -> list[tuple[int, str, str]]:
    """(id, title, publication date) of consultations with public results (of one community)."""
    with db_session() as session:
        return [(c.id, c.title, format_date(c.published_at))  # type: ignore[misc]
                for c in results.list_published(session, community_id)]


def data_dictionary():  # type: ignore[no-untyped-def]
    return opendata.dictionary_frame()
