"""Server-side sign-in sessions, the same for residents and staff, shared by every replica.

The browser holds only a random session id, signed with the secret key, in an HttpOnly cookie;
the database holds its SHA-256 (a copied table opens no session), who it is for, and when it
expires or was revoked. Every page run looks the session up again, so 退出登录, expiry, a
deactivated account or a revoked participation code end it at once, on every replica.

Sign-in happens in a Streamlit page, which cannot set an HttpOnly cookie: the page opens the
session and gets a one-time handoff token (valid ``HANDOFF_SECONDS``), and the browser is sent
to the ``/auth/session`` route, which swaps it for the cookie. The swap gives the session a
new id, so the id that the page knew is never the one in the cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import update
from sqlmodel import Session, col, select

from portal.models import AuthSession, ParticipationCode, Resident, utcnow
from portal.services.actors import Actor, CommitteeActor, ResidentActor

COOKIE_NAME = "yst_session"
HANDOFF_SECONDS = 120
_SALT = "portal-session"
LAST_SEEN_EVERY = timedelta(minutes=5)  # write last_seen_at at most this often


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _aware(dt: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime: SQLite gives naive UTC back, PostgreSQL an aware
    time in the connection's zone (Asia/Shanghai on a Chinese server), which a cookie's
    ``expires`` (HTTP dates are GMT) cannot take."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def sign_cookie(sid: str, *, secret: str) -> str:
    """The cookie value for a session id."""
    return Signer(secret, salt=_SALT).sign(sid).decode()


def unsign_cookie(value: str | None, *, secret: str) -> str | None:
    """The session id in a cookie value, or None if it is missing or its signature is wrong."""
    if not value:
        return None
    try:
        return Signer(secret, salt=_SALT).unsign(value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def user_agent_summary(user_agent: str | None) -> str:
    """A short, non-identifying summary of a browser (``Chrome · Android``) for the sessions table."""
    ua = user_agent or ""
    browser = next((name for pattern, name in (
        (r"MicroMessenger", "微信"), (r"Edg/", "Edge"), (r"Firefox/", "Firefox"),
        (r"Chrome/|Chromium/|CriOS/", "Chrome"), (r"Safari/", "Safari"),
    ) if re.search(pattern, ua)), "其他浏览器")
    system = next((name for pattern, name in (
        (r"Android", "Android"), (r"iPhone|iPad|iOS", "iOS"), (r"Windows", "Windows"),
        (r"Mac OS X|Macintosh", "macOS"), (r"Linux", "Linux"),
    ) if re.search(pattern, ua)), "其他系统")
    return f"{browser} · {system}"


def open_session(
    session: Session, *, actor: Actor, hours: int, user_agent: str | None = None,
) -> tuple[str, str]:
    """Open a session for a signed-in actor; returns (session id, one-time handoff token).

    A resident's session is tied to the code they signed in with, so revoking or re-issuing
    that code (a lost slip) ends it. The caller commits.
    """
    now = utcnow()
    sid, handoff = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = AuthSession(
        token_hash=_hash(sid), handoff_hash=_hash(handoff),
        handoff_expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
        created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours),
        user_agent=user_agent_summary(user_agent),
    )
    if isinstance(actor, ResidentActor):
        row.resident_id = actor.resident_id
        code = session.exec(
            select(ParticipationCode).where(ParticipationCode.resident_id == actor.resident_id,
                                            col(ParticipationCode.revoked_at).is_(None))
            .order_by(col(ParticipationCode.issued_at).desc(), col(ParticipationCode.id).desc())
        ).first()
        row.code_id = code.id if code else None
    elif isinstance(actor, CommitteeActor):
        row.committee_user_id = actor.user_id
    else:
        raise ValueError("only residents and committee members sign in")
    session.add(row)
    session.flush()
    return sid, handoff


def redeem_handoff(session: Session, handoff: str) -> tuple[str, datetime] | None:
    """Swap a handoff token, once, for a fresh session id; returns (id, expiry) or None if the
    token is unknown, used, too old, or its session has ended. Commits."""
    now = utcnow()
    sid = secrets.token_urlsafe(32)
    done = session.execute(
        update(AuthSession)
        .where(col(AuthSession.handoff_hash) == _hash(handoff or ""),
               col(AuthSession.handoff_expires_at) > now,
               col(AuthSession.revoked_at).is_(None), col(AuthSession.expires_at) > now)
        .values(token_hash=_hash(sid), handoff_hash=None, handoff_expires_at=None, last_seen_at=now)
        .returning(col(AuthSession.expires_at)),
        execution_options={"synchronize_session": False},
    ).first()
    session.flush()
    if done is None:
        return None
    expires = _aware(done[0])
    assert expires is not None
    return sid, expires


def resume_session(session: Session, sid: str | None) -> Actor | None:
    """Who a session id stands for, or None once the session has expired or been revoked, the
    account deactivated, or the resident's code revoked or expired."""
    from portal.services.identity.accounts import get_committee_actor, resident_actor

    if not sid:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == _hash(sid))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or (_aware(row.expires_at) or now) <= now:
        return None
    actor: Actor | None = None
    if row.committee_user_id is not None:
        actor = get_committee_actor(session, row.committee_user_id)
    elif row.resident_id is not None:
        resident = session.get(Resident, row.resident_id)
        code = session.get(ParticipationCode, row.code_id) if row.code_id is not None else None
        expires = _aware(code.expires_at) if code else None
        if (resident is not None and resident.active and code is not None and code.revoked_at is None
                and (expires is None or expires > now)):
            actor = resident_actor(session, resident)
    if actor is None:
        return None
    last_seen = _aware(row.last_seen_at)
    if last_seen is None or now - last_seen > LAST_SEEN_EVERY:
        session.execute(update(AuthSession).where(col(AuthSession.id) == row.id).values(last_seen_at=now),
                        execution_options={"synchronize_session": False})
        session.flush()
    return actor


def end_session(session: Session, sid: str | None) -> bool:
    """Revoke a session (退出登录); the same id never resumes again. Commits."""
    if not sid:
        return False
    done = session.execute(
        update(AuthSession)
        .where(col(AuthSession.token_hash) == _hash(sid), col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow(), handoff_hash=None),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return bool(done.rowcount)  # type: ignore[attr-defined]


def safe_next(target: str | None) -> str:
    """A path on this site to go back to after signing in or out; anything else becomes ``/``
    (no open redirect to another host)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 for ch in target) or len(target) > 500):
        return "/"
    return target
