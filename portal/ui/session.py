"""Who is signed in, kept in this browser session's state.

Committee sign-ins expire after ``PORTAL_SESSION_HOURS`` and the account is re-read on every
page run, so a deactivated user or a changed role takes effect at once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import streamlit as st

from portal.services.actors import Actor, CommitteeActor, ResidentActor
from portal.ui.resources import db_session, settings

ACTOR_KEY = "auth.actor"
SINCE_KEY = "auth.since"
BROWSER_KEY = "auth.browser_id"


def browser_id() -> str:
    """A random id for this browser session (used to throttle code guessing)."""
    if BROWSER_KEY not in st.session_state:
        st.session_state[BROWSER_KEY] = secrets.token_hex(8)
    return st.session_state[BROWSER_KEY]


def throttle_key() -> str:
    ip = getattr(st.context, "ip_address", None)
    return f"{ip or 'unknown'}:{browser_id()}"


def sign_in(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SINCE_KEY] = datetime.now(UTC)


def sign_out() -> None:
    for key in (ACTOR_KEY, SINCE_KEY):
        st.session_state.pop(key, None)


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    if isinstance(actor, CommitteeActor):
        since = st.session_state.get(SINCE_KEY)
        if since is None or datetime.now(UTC) - since > timedelta(hours=settings().session_hours):
            sign_out()
            st.session_state["auth.expired"] = True
            return None
        from portal.services.identity import get_committee_actor

        with db_session() as session:
            fresh = get_committee_actor(session, actor.user_id)
        if fresh is None:
            sign_out()
            return None
        st.session_state[ACTOR_KEY] = fresh
        return fresh
    return actor


def current_resident() -> ResidentActor | None:
    actor = current_actor()
    return actor if isinstance(actor, ResidentActor) else None


def current_committee() -> CommitteeActor | None:
    actor = current_actor()
    return actor if isinstance(actor, CommitteeActor) else None
