"""The portal as an ASGI app: Streamlit's pages (portal/app.py) plus two sign-in routes.

Start it with ``streamlit run portal/server.py`` (Streamlit finds the module-level ``app``).
The routes exist because a page cannot set an HttpOnly cookie: ``/auth/session`` swaps the
one-time handoff token a sign-in page made for the session cookie, ``/auth/logout`` revokes the
session and clears the cookie. See portal/services/identity/sessions.py.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

# `streamlit run portal/server.py` puts portal/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import RedirectResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from portal.db import unit_of_work  # noqa: E402
from portal.services.identity import sessions  # noqa: E402
from portal.settings import get_settings  # noqa: E402


def tell_settings_the_port() -> None:
    """Settings derive the public address (QR codes) from the port this server listens on,
    unless PORTAL_PUBLIC_URL is set; Streamlit knows the port (``--server.port``), so pass it on."""
    from streamlit import config

    os.environ["PORTAL_PORT"] = str(config.get_option("server.port"))
    get_settings.cache_clear()


tell_settings_the_port()


@lru_cache(maxsize=1)
def _engine() -> Engine:
    from portal.db import make_engine

    return make_engine(get_settings().database_url)


def _secure() -> bool:
    return get_settings().public_base_url.lower().startswith("https://")


async def start_session(request: Request) -> RedirectResponse:
    """/auth/session?t=<handoff>&next=<path>: set the session cookie and go on to ``next``."""
    target = sessions.safe_next(request.query_params.get("next"))
    handoff = request.query_params.get("t", "")

    def redeem():  # type: ignore[no-untyped-def]
        return unit_of_work(_engine(), lambda s: sessions.redeem_handoff(s, handoff))

    redeemed = await run_in_threadpool(redeem)
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if redeemed is not None:
        sid, expires = redeemed
        response.set_cookie(
            sessions.COOKIE_NAME, sessions.sign_cookie(sid, secret=get_settings().secret_key),
            expires=expires, path="/", httponly=True, samesite="lax", secure=_secure(),
        )
    return response


async def logout(request: Request) -> RedirectResponse:
    """/auth/logout?next=<path>: revoke this browser's session and clear its cookie."""
    sid = sessions.unsign_cookie(request.cookies.get(sessions.COOKIE_NAME), secret=get_settings().secret_key)

    def revoke() -> None:
        unit_of_work(_engine(), lambda s: sessions.end_session(s, sid))

    await run_in_threadpool(revoke)
    response = RedirectResponse(sessions.safe_next(request.query_params.get("next")), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure())
    return response


app = st.App("app.py", routes=[
    Route("/auth/session", start_session, methods=["GET"]),
    Route("/auth/logout", logout, methods=["GET"]),
])
