"""Cached data of the public pages (首页, 议题详情), shared by every visitor of one replica.

A WeChat-group announcement brings a hundred neighbours to the same two pages within a minute;
each of them would otherwise run the same counting queries. Every cached function is keyed by
what the page shows (the community, the consultation, the sort order) AND the database's
change marker (``portal.db.change_marker``): a new opinion, vote, comment or any audited action
on any replica moves the marker, so the next visitor on every replica gets fresh data. Entries
also expire after ``TTL`` seconds, which bounds what the marker cannot see (a vote changed from
同意 to 不同意, a phase that ends by the clock).

Only what is the same for every visitor is cached: a signed-in resident's own votes and
"我的意见" marks are read fresh (decision 0026).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from portal.db import change_marker
from portal.models import Consultation
from portal.services.consultations import (
    ConsultationCard,
    community_name,
    get_consultation,
    list_consultations,
    participation_counts,
)
from portal.services.participation import OpinionList, list_opinions
from portal.services.street import StreetCard, public_directory
from portal.ui.resources import db_session, settings

TTL = 20  # seconds


def marker() -> str:
    """The database's change marker now (one query of a few index lookups); a page reads it
    once per run and passes it to the functions below."""
    with db_session() as session:
        return change_marker(session)


@dataclass(frozen=True)
class HomeData:
    name: str
    cards: list[ConsultationCard]


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=64)
def _home(community_id: int | None, marker: str) -> HomeData:
    with db_session() as session:
        return HomeData(community_name(session, community_id),
                        list_consultations(session, community_id=community_id))


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=16)
def _directory(marker: str) -> list[StreetCard]:
    with db_session() as session:
        return public_directory(session)


def directory(snapshot: str) -> list[StreetCard]:
    """The streets and their communities, for the street home (decision 0025)."""
    return _directory(keyed(snapshot))


def several_communities(snapshot: str) -> bool:
    return sum(len(s.communities) for s in directory(snapshot)) > 1


def home(snapshot: str, community_id: int | None = None) -> HomeData:
    """The community's name and its public consultations with their counts."""
    return _home(community_id, keyed(snapshot))


def keyed(snapshot: str) -> str:
    """The cache key for the change marker ``snapshot``, also used by the other page caches
    keyed on it (results, attachments). The database in use is part of every key: two
    databases can have the same marker."""
    return f"{settings().database_url}#{snapshot}"


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=256)
def _consultation(consultation_id: int, marker: str) -> tuple[Consultation, tuple[int, int, int]]:
    with db_session() as session:
        c = get_consultation(session, consultation_id)  # NotFound is raised, never cached
        return c, participation_counts(session, [consultation_id])[consultation_id]


def consultation(snapshot: str, consultation_id: int) -> tuple[Consultation, tuple[int, int, int]]:
    """A public consultation and its (opinions, people, votes); raises NotFound like the service
    (call it through ``portal.ui.actions.read`` to show the refusal in Chinese)."""
    return _consultation(consultation_id, keyed(snapshot))


@st.cache_data(show_spinner=False, ttl=TTL, max_entries=512)
def _opinions(consultation_id: int, sort: str, limit: int, marker: str) -> OpinionList:
    with db_session() as session:
        return list_opinions(session, consultation_id=consultation_id, viewer=None, sort=sort, limit=limit)


def anonymous_opinions(snapshot: str, consultation_id: int, *, sort: str, limit: int) -> OpinionList:
    """The first ``limit`` public opinions as a visitor who is not signed in sees them."""
    return _opinions(consultation_id, sort, limit, keyed(snapshot))
