"""Who is knocking, and how often: the client address of a request and an atomic attempt counter.

Participation-code guesses are limited per client address and per browser session. The counter
is one row per key, incremented by a single upsert that returns the new count, so attempts sent
at once (or to several replicas) are counted one by one: under one key at most the limit are
ever checked. Successful attempts are given back, so a shared address (a community centre's
Wi-Fi, a carrier's NAT) only spends its budget on wrong codes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from portal.models import SignInThrottle, utcnow

UNKNOWN_ADDRESS = "unknown"


def parse_trusted_proxies(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``PORTAL_TRUSTED_PROXIES``: comma-separated addresses or CIDR ranges (``10.0.0.5, 172.18.0.0/16``)."""
    nets = []
    for part in raw.split(","):
        if part := part.strip():
            nets.append(ipaddress.ip_network(part, strict=False))
    return tuple(nets)


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def client_address(
    peer: str | None, forwarded_for: str | None,
    trusted: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str:
    """The address of the person behind a request.

    ``peer`` is the immediate peer of the connection. Only when it is a trusted proxy is
    ``X-Forwarded-For`` read, from the right, skipping further trusted proxies: the first
    address not ours is the client (anything left of it was written by the client and may be
    forged). From an untrusted peer the header is ignored, so nobody can pick their own budget.
    """
    trusted = tuple(trusted)
    peer_ip = _ip(peer)
    if peer_ip is None:
        # Streamlit reports None for loopback; a missing peer cannot be told apart.
        return UNKNOWN_ADDRESS if not peer else peer.strip()[:60]

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip in net for net in trusted)

    if not is_trusted(peer_ip) or not forwarded_for:
        return str(peer_ip)
    for hop in reversed(forwarded_for.split(",")):
        ip = _ip(hop)
        if ip is None:
            break  # garbage in the chain: stop at the last address we can vouch for
        if not is_trusted(ip):
            return str(ip)
        peer_ip = ip
    return str(peer_ip)


def count_attempt(session: Session, key: str, *, window: timedelta, now: datetime | None = None) -> int:
    """Add one attempt under ``key`` and return the count in the current window (this one
    included), atomically: one upsert, whatever the number of parallel callers. A window
    older than ``window`` starts again at 1. Commits."""
    now = now or utcnow()
    since = now - window
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stale = table.c.window_start < since
    upsert = insert(table).values(key=key, window_start=now, attempts=1).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "attempts": sa.case((stale, 1), else_=table.c.attempts + 1),
            "window_start": sa.case((stale, now), else_=table.c.window_start),
        },
    )
    count = session.execute(upsert.returning(table.c.attempts)).scalar_one()
    session.commit()
    return int(count)


def give_back(session: Session, keys: Iterable[str]) -> None:
    """A successful attempt does not use up the budget (the caller commits)."""
    session.execute(
        sa.update(SignInThrottle)
        .where(col(SignInThrottle.key).in_(list(keys)), col(SignInThrottle.attempts) > 0)
        .values(attempts=col(SignInThrottle.attempts) - 1)
    )
