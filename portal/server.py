"""The portal as an ASGI app: Streamlit's pages (portal/app.py) plus two sign-in routes.

Start it with ``streamlit run portal/server.py`` (Streamlit finds the module-level ``app``).
The routes exist because a page cannot set an HttpOnly cookie: ``/auth/session`` swaps the
one-time handoff token a sign-in page made for the session cookie, ``/auth/logout`` revokes the
session and clears the cookie. See portal/services/identity/sessions.py. Two more take
notification replies from outside (decision 0024): ``/notify/unsubscribe`` (the link in every
e-mail) and ``/notify/sms-reply`` (the SMS gateway passing on a 退订 reply).
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
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse  # noqa: E402
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


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    import html

    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        '<style>body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;font-size:1.1rem;'
        'line-height:1.7}button{font-size:1.1rem;padding:.5rem 1.5rem}</style></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


async def unsubscribe(request: Request) -> HTMLResponse:
    """/notify/unsubscribe?t=<signed contact id>: GET asks (link scanners must not unsubscribe
    anyone), POST withdraws the consent, also as an e-mail client's one-click List-Unsubscribe-Post."""
    import html

    from portal.services.notifications import unsubscribe as withdraw

    token = request.query_params.get("t", "")
    if request.method == "GET":
        return _page("退订社区议事厅通知", f'<p>确认后，这个邮箱或手机号将不再收到社区议事厅的通知。'
                     f'登录后仍可在“我的消息”查看。</p><form method="post" action="/notify/unsubscribe?t='
                     f'{html.escape(token, quote=True)}"><button type="submit">确认退订</button></form>')
    done = await run_in_threadpool(lambda: unit_of_work(_engine(), lambda s: withdraw(s, token=token)))
    if not done:
        return _page("链接无效", "<p>这个退订链接不完整或已失效。请从最新的一封通知邮件里重新打开，或登录后在“我的账号”里退订。</p>", 400)
    return _page("已退订", "<p>您将不再通过这个渠道收到社区议事厅的通知。想重新接收，可登录后在“我的账号”里重新勾选。</p>")


async def sms_reply(request: Request) -> JSONResponse:
    """/notify/sms-reply: the SMS gateway passes on a reply (JSON or form: ``from``, ``text``)
    with ``Authorization: Bearer PORTAL_SMS_TOKEN``; 退订 withdraws that number's SMS consent."""
    import hmac

    from portal.services.notifications import sms_reply as handle

    token = get_settings().sms_token
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    try:
        data = dict(await request.json()) if "json" in request.headers.get("content-type", "") else dict(await request.form())
    except ValueError:
        return JSONResponse({"error": "bad request"}, status_code=400)
    phone, text = str(data.get("from", ""))[:40], str(data.get("text", ""))[:200]
    withdrawn = await run_in_threadpool(lambda: unit_of_work(_engine(), lambda s: handle(s, phone=phone, text=text)))
    return JSONResponse({"ok": True, "withdrawn": withdrawn})


app = st.App("app.py", routes=[
    Route("/auth/session", start_session, methods=["GET"]),
    Route("/auth/logout", logout, methods=["GET"]),
    Route("/notify/unsubscribe", unsubscribe, methods=["GET", "POST"]),
    Route("/notify/sms-reply", sms_reply, methods=["POST"]),
])
