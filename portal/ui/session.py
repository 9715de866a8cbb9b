"""Who is signed in: a server-side session (portal/services/identity/sessions.py), the same for
residents and staff.

The browser keeps only the signed session id in an HttpOnly cookie (set by the ``/auth/session``
route of portal/server.py); every page run looks the session up again, so 退出登录 in one tab,
expiry (``PORTAL_SESSION_HOURS``), a deactivated account or a revoked code end it everywhere at
once, on every replica. Signing in here opens the session and keeps its id in this browser
session until the browser has followed the handoff link that sets the cookie.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import streamlit as st

from portal.db import unit_of_work
from portal.services.actors import Actor, CommitteeActor, ResidentActor
from portal.services.identity import sessions, throttle
from portal.ui.resources import db_session, engine, settings

ACTOR_KEY = "auth.actor"
SID_KEY = "auth.sid"  # this browser session's server-side session id
SINCE_KEY = "auth.since"
NEXT_KEY = "auth.next"  # the page to go back to after signing in
REDIRECT_KEY = "auth.redirect"  # a full-page visit to a sign-in route, sent once
BROWSER_KEY = "auth.browser_id"


def browser_id() -> str:
    """A random id for this browser session (one of the two keys that throttle code guessing)."""
    if BROWSER_KEY not in st.session_state:
        st.session_state[BROWSER_KEY] = secrets.token_hex(8)
    return st.session_state[BROWSER_KEY]


def throttle_key() -> str:
    """The per-session throttle key: the session cookie when there is one, else this tab."""
    return _cookie_sid() or browser_id()


def client_address() -> str:
    """The client's address, from the connection; X-Forwarded-For only from a trusted proxy."""
    peer = getattr(st.context, "ip_address", None)
    forwarded = st.context.headers.get("X-Forwarded-For") if st.context.headers else None
    return throttle.client_address(peer, forwarded, throttle.parse_trusted_proxies(settings().trusted_proxies))


def _cookie_sid() -> str | None:
    value = st.context.cookies.get(sessions.COOKIE_NAME)  # (AppTest has no cookies)
    return sessions.unsign_cookie(value if isinstance(value, str) else None, secret=settings().secret_key)


def _user_agent() -> str | None:
    return st.context.headers.get("User-Agent") if st.context.headers else None


def sign_in(actor: Actor, *, next_path: str | None = None) -> None:
    """Open a server-side session for ``actor`` and send the browser to the route that sets
    the cookie, then on to the page asked for before signing in, else ``next_path``."""
    sid, handoff = unit_of_work(engine(), lambda session: sessions.open_session(
        session, actor=actor, hours=settings().session_hours, user_agent=_user_agent()))
    st.session_state[SID_KEY] = sid
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SINCE_KEY] = datetime.now(UTC)
    target = sessions.safe_next(st.session_state.pop(NEXT_KEY, None) or next_path)
    if st.query_params.get("big") == "1" and "big=" not in target:  # keep 大字模式 on
        target += ("&" if "?" in target else "?") + "big=1"
    st.session_state[REDIRECT_KEY] = "/auth/session?" + urlencode({"t": handoff, "next": target})


def sign_out(*, next_path: str = "/") -> None:
    """End the session on the server (the old cookie never resumes again), then clear the
    cookie and go to ``next_path``."""
    sid = st.session_state.get(SID_KEY) or _cookie_sid()
    unit_of_work(engine(), lambda session: sessions.end_session(session, sid))
    for key in (ACTOR_KEY, SID_KEY, SINCE_KEY):
        st.session_state.pop(key, None)
    if _cookie_sid() is not None:
        st.session_state[REDIRECT_KEY] = "/auth/logout?" + urlencode({"next": sessions.safe_next(next_path)})


def sign_out_and_leave(*, next_path: str = "/") -> None:
    """``sign_out``, then leave this run at once: through /auth/logout when the browser has a
    cookie to clear, else by a rerun. (Leaving at once matters: the page the visitor is on may
    now be a stand-in that switches to the sign-in page, which would cut off the redirect.)"""
    sign_out(next_path=next_path)
    if follow_redirect():
        st.stop()
    st.rerun()


def follow_redirect() -> bool:
    """Send the browser to a pending sign-in route (a full page load, so the route can set or
    clear the HttpOnly cookie). Called once per run by app.py; True if it did."""
    target = st.session_state.pop(REDIRECT_KEY, None)
    if not target:
        return False
    # json.dumps makes a safe JS string; the target is our own path with URL-encoded values.
    st.html(f"<script>window.location.replace({json.dumps(target)});</script>",
            unsafe_allow_javascript=True)
    return True


def remember_next(path: str) -> None:
    """Remember the page a signed-out visitor asked for, to return to it after signing in."""
    st.session_state[NEXT_KEY] = sessions.safe_next(path)


def asked_for_a_page() -> bool:
    """Whether a signed-out visitor was sent to sign in on the way to another page."""
    return bool(st.session_state.get(NEXT_KEY))


def current_actor() -> Actor | None:
    """The signed-in resident or committee member for this run, checked against the server."""
    sid = st.session_state.get(SID_KEY) or _cookie_sid()
    if sid is not None:
        actor = unit_of_work(engine(), lambda session: sessions.resume_session(session, sid))
        if actor is None:
            was = st.session_state.pop(ACTOR_KEY, None)
            st.session_state.pop(SID_KEY, None)
            if isinstance(was, CommitteeActor):
                st.session_state["auth.expired"] = True
            return None
        st.session_state[SID_KEY] = sid
        st.session_state[ACTOR_KEY] = actor
        return actor
    return _actor_without_session()


def _actor_without_session() -> Actor | None:
    """An actor placed in this browser session without a server session (page tests do this):
    committee accounts are still re-read and expire as sessions do."""
    actor = st.session_state.get(ACTOR_KEY)
    if isinstance(actor, CommitteeActor):
        since = st.session_state.get(SINCE_KEY)
        if since is None or datetime.now(UTC) - since > timedelta(hours=settings().session_hours):
            st.session_state.pop(ACTOR_KEY, None)
            st.session_state["auth.expired"] = True
            return None
        from portal.services.identity import get_committee_actor

        with db_session() as session:
            fresh = get_committee_actor(session, actor.user_id)
        if fresh is None:
            st.session_state.pop(ACTOR_KEY, None)
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
