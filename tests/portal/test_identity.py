from datetime import timedelta

import pytest
from sqlmodel import select

from portal.models import Area, Community, ParticipationCode, Resident, Role, utcnow
from portal.services.actors import CommitteeActor, SystemActor
from portal.services.errors import InvalidInput, PermissionDenied, SignInFailed
from portal.services.identity import (
    CODE_BITS,
    authenticate,
    create_user,
    hash_code,
    issue_code,
    sign_in_with_code,
)

SYSTEM = SystemActor("test")


@pytest.fixture
def resident(session):
    community = Community(name="梧桐里社区")
    session.add(community)
    session.flush()
    area = Area(community_id=community.id, name="3号楼", grid="第一网格")
    session.add(area)
    session.flush()
    r = Resident(community_id=community.id, area_id=area.id, unit="2单元", age_band="60-69")
    session.add(r)
    session.commit()
    return r


def test_code_is_long_enough_and_stored_only_as_keyed_hash(session, resident, settings):
    code = issue_code(session, actor=SYSTEM, resident_id=resident.id)
    session.commit()
    assert CODE_BITS >= 40
    row = session.exec(select(ParticipationCode)).one()
    assert code.replace("-", "") not in row.code_hash
    assert row.code_hash == hash_code(code, secret=settings.secret_key)
    assert hash_code(code, secret="other") != row.code_hash


def test_resident_signs_in_with_code_typed_loosely(session, resident):
    code = issue_code(session, actor=SYSTEM, resident_id=resident.id)
    session.commit()
    typed = " " + code.lower().replace("-", " ") + " "
    actor = sign_in_with_code(session, code=typed, throttle_key="b1")
    assert actor.resident_id == resident.id
    assert actor.area_name == "3号楼" and actor.grid == "第一网格"


def test_reissuing_revokes_the_old_code(session, resident):
    old = issue_code(session, actor=SYSTEM, resident_id=resident.id)
    new = issue_code(session, actor=SYSTEM, resident_id=resident.id)
    session.commit()
    with pytest.raises(SignInFailed, match="作废"):
        sign_in_with_code(session, code=old, throttle_key="b")
    assert sign_in_with_code(session, code=new, throttle_key="b").resident_id == resident.id


def test_expired_code_is_refused(session, resident):
    code = issue_code(session, actor=SYSTEM, resident_id=resident.id)
    row = session.exec(select(ParticipationCode)).one()
    row.expires_at = utcnow() - timedelta(days=1)
    session.add(row)
    session.commit()
    with pytest.raises(SignInFailed, match="过期"):
        sign_in_with_code(session, code=code, throttle_key="b")


def test_repeated_wrong_codes_are_slowed_then_refused(session, resident):
    code = issue_code(session, actor=SYSTEM, resident_id=resident.id)
    session.commit()
    delays: list[float] = []
    for _ in range(8):
        with pytest.raises(SignInFailed, match="不正确"):
            sign_in_with_code(session, code="AAAAA-BBBBB", throttle_key="x", sleep=delays.append)
    assert delays and delays == sorted(delays)  # slowed down, more and more
    with pytest.raises(SignInFailed, match="尝试次数过多"):
        sign_in_with_code(session, code=code, throttle_key="x", sleep=delays.append)
    # another browser session is not punished for this one's guesses
    assert sign_in_with_code(session, code=code, throttle_key="y").resident_id == resident.id


def test_empty_code_gets_a_clear_message(session, resident):
    with pytest.raises(SignInFailed, match="请输入参与码"):
        sign_in_with_code(session, code="  - ", throttle_key="b")


def _community(session) -> Community:
    """The staff's community: every community account belongs to one (decision 0025)."""
    c = Community(name="梧桐里社区")
    session.add(c)
    session.flush()
    return c


def test_committee_login_and_lockout(session):
    _community(session)
    create_user(session, actor=SYSTEM, username="wang", password="Secret2026", role=Role.ADMIN)
    session.commit()
    assert authenticate(session, username="wang", password="Secret2026").role == Role.ADMIN
    for _ in range(5):
        with pytest.raises(SignInFailed, match="用户名或密码不正确"):
            authenticate(session, username="wang", password="wrong-2026")
    with pytest.raises(SignInFailed, match="锁定"):
        authenticate(session, username="wang", password="Secret2026")


def test_unknown_user_gets_the_same_message(session):
    with pytest.raises(SignInFailed, match="^用户名或密码不正确。$"):
        authenticate(session, username="nobody", password="whatever1")


def test_weak_password_and_duplicate_username_are_refused(session):
    _community(session)
    with pytest.raises(InvalidInput, match="至少 8 位"):
        create_user(session, actor=SYSTEM, username="li", password="abc1", role=Role.CLERK)
    create_user(session, actor=SYSTEM, username="li", password="Abcdefg1", role=Role.CLERK)
    with pytest.raises(InvalidInput, match="已存在"):
        create_user(session, actor=SYSTEM, username="li", password="Abcdefg1", role=Role.CLERK)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLERK])
def test_only_admins_manage_users(session, role):
    actor = CommitteeActor(1, "x", "x", role)
    with pytest.raises(PermissionDenied, match="管理账号"):
        create_user(session, actor=actor, username="zhao", password="Abcdefg1", role=Role.CLERK)
