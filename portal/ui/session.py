"""Who is signed in, kept in this browser session's state.

Committee sign-ins expire after ``PORTAL_SESSION_HOURS`` and the account is re-read on every
page run, so a deactivated user or a changed role takes effect at once.

A resident's sign-in also survives a reload (phones drop background tabs): a signed token that
names the resident and their current code is kept in a cookie for ``PORTAL_SESSION_HOURS``;
revoking the code, or signing out, ends it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import streamlit as st

from portal.services.actors import Actor, CommitteeActor, ResidentActor
from portal.ui.resources import db_session, settings

ACTOR_KEY = "auth.actor"
COOKIE_KEY = "auth.cookie"  # a cookie change to send to the browser on this run
SIGNED_OUT_KEY = "auth.signed_out"  # no resuming from the cookie after signing out
RESIDENT_COOKIE = "yst_resident"
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
    st.session_state.pop(SIGNED_OUT_KEY, None)
    if isinstance(actor, ResidentActor):
        from portal.services.identity import resident_session_token

        with db_session() as session:
            token = resident_session_token(session, actor=actor)
        st.session_state[COOKIE_KEY] = token


def sign_out() -> None:
    was_resident = isinstance(st.session_state.get(ACTOR_KEY), ResidentActor)
    for key in (ACTOR_KEY, SINCE_KEY):
        st.session_state.pop(key, None)
    st.session_state[SIGNED_OUT_KEY] = True
    if was_resident or _cookie() is not None:
        st.session_state[COOKIE_KEY] = ""


def sync_cookie() -> None:
    """Send a pending change of the resident's sign-in cookie to the browser (once per run)."""
    if COOKIE_KEY not in st.session_state:
        return
    token = st.session_state.pop(COOKIE_KEY)
    max_age = settings().session_hours * 3600 if token else 0
    # The token is URL-safe base64 and dots: nothing in it can break out of the string.
    st.html(f"<script>document.cookie = '{RESIDENT_COOKIE}={token}; Max-Age={max_age}; Path=/; "
            "SameSite=Strict';</script>", unsafe_allow_javascript=True)


def _cookie() -> str | None:
    token = st.context.cookies.get(RESIDENT_COOKIE)
    return token if isinstance(token, str) and token else None  # (AppTest has no real cookies)


def _resume_resident() -> ResidentActor | None:
    token = _cookie()
    if token is None or st.session_state.get(SIGNED_OUT_KEY):
        return None
    from portal.services.identity import resume_resident_session

    with db_session() as session:
        actor = resume_resident_session(session, token=token)
    if actor is None:
        st.session_state[COOKIE_KEY] = ""  # stale or revoked: drop it
        return None
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SINCE_KEY] = datetime.now(UTC)
    return actor


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        actor = _resume_resident()
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
