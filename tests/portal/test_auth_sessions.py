"""Server-side sessions (portal/services/identity/sessions.py): one-time handoff, signed cookie,
expiry, revocation, and the account or code behind a session ending it at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal.models import Area, AuthSession, CommitteeUser, Community, Resident, Role, utcnow
from portal.services.actors import SystemActor
from portal.services.identity import (
    committee_actor,
    create_user,
    issue_code,
    revoke_codes,
    set_user_active,
    sign_in_with_code,
)
from portal.services.identity import sessions as auth

SECRET = "test-secret-key"
SYSTEM = SystemActor("test")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


@pytest.fixture
def resident(session):
    community = Community(name="梧桐里社区")
    session.add(community)
    session.flush()
    area = Area(community_id=community.id, name="5号楼", grid="第一网格")
    session.add(area)
    session.flush()
    r = Resident(community_id=community.id, area_id=area.id, unit="3单元", age_band="45-59")
    session.add(r)
    session.commit()
    code = issue_code(session, actor=SYSTEM, resident_id=r.id)
    session.commit()
    return sign_in_with_code(session, code=code, throttle_key="t")


@pytest.fixture
def clerk(session):
    from tests import factories

    factories.community(session)  # staff accounts belong to a community (decision 0025)
    user = create_user(session, actor=SYSTEM, username="zhou.min", password="Gongzuo2026",
                       role=Role.CLERK, display_name="周敏")
    session.commit()
    return committee_actor(user)


def _signed_in(session, actor, hours=8):
    _, handoff = auth.open_session(session, actor=actor, hours=hours, user_agent=IPHONE)
    session.commit()
    redeemed = auth.redeem_handoff(session, handoff)
    assert redeemed is not None
    return redeemed[0], handoff


def test_handoff_gives_a_new_id_once(session, clerk):
    first_sid, handoff = auth.open_session(session, actor=clerk, hours=8, user_agent=IPHONE)
    session.commit()
    assert auth.resume_session(session, first_sid) == clerk  # this browser session, before the cookie
    sid, expires = auth.redeem_handoff(session, handoff)
    assert sid != first_sid and expires > utcnow() + timedelta(hours=7)
    assert auth.resume_session(session, sid) == clerk
    assert auth.resume_session(session, first_sid) is None  # the page's id is not the cookie's
    assert auth.redeem_handoff(session, handoff) is None  # one time only
    row = session.exec(select(AuthSession)).one()
    assert row.user_agent == "Safari · iOS" and sid not in (row.token_hash or "")


def test_an_old_handoff_is_refused(session, clerk):
    _, handoff = auth.open_session(session, actor=clerk, hours=8)
    row = session.exec(select(AuthSession)).one()
    row.handoff_expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert auth.redeem_handoff(session, handoff) is None


def test_cookie_signature_is_checked():
    value = auth.sign_cookie("abc", secret=SECRET)
    assert auth.unsign_cookie(value, secret=SECRET) == "abc"
    assert auth.unsign_cookie(value, secret="another-key") is None
    assert auth.unsign_cookie(value[:-2] + "xx", secret=SECRET) is None
    assert auth.unsign_cookie("abc", secret=SECRET) is None
    assert auth.unsign_cookie(None, secret=SECRET) is None


def test_sign_out_revokes_for_good(session, resident):
    sid, _ = _signed_in(session, resident)
    assert auth.resume_session(session, sid) == resident
    assert auth.end_session(session, sid)
    assert auth.resume_session(session, sid) is None
    assert not auth.end_session(session, sid)


def test_an_expired_session_does_not_resume(session, clerk):
    sid, _ = _signed_in(session, clerk)
    row = session.exec(select(AuthSession)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert auth.resume_session(session, sid) is None


def test_deactivating_the_account_ends_its_session_at_once(session, clerk):
    admin = create_user(session, actor=SYSTEM, username="admin2", password="Guanli2026", role=Role.ADMIN)
    session.commit()
    sid, _ = _signed_in(session, clerk)
    set_user_active(session, actor=committee_actor(admin), user_id=clerk.user_id, active=False)
    session.commit()
    assert auth.resume_session(session, sid) is None
    user = session.get(CommitteeUser, clerk.user_id)
    assert user is not None and not user.active


def test_revoking_the_residents_code_ends_the_session(session, resident):
    sid, _ = _signed_in(session, resident)
    revoke_codes(session, actor=SYSTEM, resident_id=resident.resident_id)
    session.commit()
    assert auth.resume_session(session, sid) is None


@pytest.mark.parametrize(("target", "expected"), [
    ("/participation?id=3", "/participation?id=3"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("/a\r\nSet-Cookie: x=1", "/"),
    (None, "/"),
])
def test_next_stays_on_this_site(target, expected):
    assert auth.safe_next(target) == expected


@pytest.mark.postgres
def test_expiry_from_postgresql_can_go_into_a_cookie(pg_url):
    """PostgreSQL hands back times in the connection's zone (a ZoneInfo, even for UTC), and an
    HTTP cookie's expiry must be GMT: the first sign-in through a PostgreSQL replica answered
    /auth/session with 500 before the expiry was normalised to UTC."""
    from email.utils import format_datetime

    import sqlalchemy as sa
    from sqlmodel import Session, SQLModel

    from portal.db import make_engine

    url = sa.make_url(pg_url)  # a server set to China's time zone
    url = url.update_query_dict({"options": url.query["options"] + " -ctimezone=Asia/Shanghai"})
    engine = make_engine(url.render_as_string(hide_password=False))
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        from tests import factories

        factories.community(s)  # staff accounts belong to a community (decision 0025)
        user = create_user(s, actor=SYSTEM, username="chen.li", password="Gongzuo2026",
                           role=Role.CLERK, display_name="陈莉")
        s.commit()
        _, handoff = auth.open_session(s, actor=committee_actor(user), hours=8)
        s.commit()
        sid, expires = auth.redeem_handoff(s, handoff)
        s.commit()
    engine.dispose()
    assert sid and format_datetime(expires, usegmt=True).endswith("GMT")
    assert timedelta(hours=7, minutes=59) < expires - utcnow() <= timedelta(hours=8)
