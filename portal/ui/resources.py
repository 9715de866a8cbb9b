"""Cached process-wide resources. Cache the engine, never a Session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.db import session_scope
from portal.settings import Settings, get_settings


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    from portal.db import make_engine

    return make_engine(url)


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    return _engine_for(get_settings().database_url)


@contextmanager
def db_session() -> Iterator[Session]:
    """One session per interaction, for reading (changes are saved through ``portal.ui.actions``)."""
    with session_scope(engine()) as session:
        yield session


@st.cache_resource(show_spinner=False)
def warm_up_similarity() -> bool:
    """Start loading the similar-opinion machinery in the background, once per process."""
    import threading

    from portal.services.participation import warm_up

    threading.Thread(target=warm_up, args=(engine(),), name="warm-up-similarity", daemon=True).start()
    return True

