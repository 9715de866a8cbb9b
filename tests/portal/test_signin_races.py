"""Sign-in under parallel guessing (issue 12 items 1 and 2): the counters that stop guessing
are kept atomically in the database, so guesses sent at once, from one browser or many, or to
several replicas, are counted one by one. SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from portal.db import session_scope
from portal.models import Area, CommitteeUser, Community, Resident, Role, SignInThrottle
from portal.services.actors import SystemActor
from portal.services.errors import SignInFailed
from portal.services.identity import (
    CODE_MAX_FAILURES,
    CODE_MAX_PER_ADDRESS,
    LOGIN_MAX_FAILURES,
    authenticate,
    create_user,
    issue_code,
    sign_in_with_code,
)
from portal.services.identity.throttle import client_address, parse_trusted_proxies

GUESSES = 40
SYSTEM = SystemActor("test")


def _parallel(n: int, attempt) -> list[str]:
    """Run ``attempt(i)`` in n threads released together; the outcome of each, in order."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = [""] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            attempt(i)
            outcomes[i] = "ok"
        except SignInFailed as exc:
            outcomes[i] = str(exc)
        except Exception as exc:  # noqa: BLE001 - anything else reaching a person is a failure
            outcomes[i] = f"ERROR {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a sign-in hung"
    return outcomes


def _forty_wrong_passwords_lock_the_account(engine) -> None:
    with Session(engine) as s:
        from sqlmodel import select

        from portal.models import Community
        from tests import factories

        if s.exec(select(Community)).first() is None:
            factories.community(s)  # staff accounts belong to a community (decision 0025)
        create_user(s, actor=SYSTEM, username="chen.li", password="Juweihui2026",
                    role=Role.CLERK, display_name="陈丽")
        s.commit()

    def guess(i: int) -> None:
        with session_scope(engine) as s:
            authenticate(s, username="chen.li", password=f"juweihui{i:04d}")

    outcomes = _parallel(GUESSES, guess)
    assert not [o for o in outcomes if o.startswith("ERROR") or o == "ok"], outcomes[:5]
    with Session(engine) as s:
        user = s.get(CommitteeUser, 1)
        assert user is not None and user.locked_until is not None, (
            f"40 parallel wrong passwords left failed_logins={user and user.failed_logins} "
            "and the account open")
    # the right password is refused while the account is locked
    with session_scope(engine) as s, pytest.raises(SignInFailed, match="锁定"):
        authenticate(s, username="chen.li", password="Juweihui2026")
    wrong = sum("用户名或密码不正确" in o for o in outcomes)
    locked = sum("锁定" in o for o in outcomes)
    assert wrong + locked == GUESSES and wrong >= LOGIN_MAX_FAILURES


@pytest.mark.slow
def test_forty_parallel_wrong_passwords_lock_the_account_on_sqlite(engine, settings):
    _forty_wrong_passwords_lock_the_account(engine)


@pytest.mark.slow
@pytest.mark.postgres
def test_forty_parallel_wrong_passwords_lock_the_account_on_postgresql(pg_engine, settings):
    _forty_wrong_passwords_lock_the_account(pg_engine)


# ---------------------------------------------------------------- participation codes

WRONG = "不正确"


def _neighbour_with_code(engine) -> str:
    with Session(engine) as s:
        community = Community(name="梧桐里社区")
        s.add(community)
        s.flush()
        area = Area(community_id=community.id, name="7号楼", grid="第二网格")
        s.add(area)
        s.flush()
        r = Resident(community_id=community.id, area_id=area.id, unit="1单元", age_band="60-69")
        s.add(r)
        s.flush()
        code = issue_code(s, actor=SYSTEM, resident_id=r.id)
        s.commit()
        return code


def _forty_wrong_codes(engine, *, same_session: bool) -> list[str]:
    code = _neighbour_with_code(engine)
    wrong = "ZZZZZ-ZZZZZ" if code != "ZZZZZ-ZZZZZ" else "YYYYY-YYYYY"

    def guess(i: int) -> None:
        with session_scope(engine) as s:
            sign_in_with_code(s, code=wrong,
                              throttle_key="tab-1" if same_session else f"tab-{i}",
                              client_address="203.0.113.7", sleep=lambda _: None)

    outcomes = _parallel(GUESSES, guess)
    assert not [o for o in outcomes if o.startswith("ERROR") or o == "ok"], outcomes[:5]
    return outcomes


def _codes_checked_within_the_limit(engine) -> None:
    outcomes = _forty_wrong_codes(engine, same_session=True)
    checked = sum(WRONG in o for o in outcomes)
    # (the address is counted too, so a guess may be stopped by either limit: at most 8 get through)
    assert 0 < checked <= CODE_MAX_FAILURES, f"{checked} of 40 parallel wrong codes were checked"
    assert sum("尝试次数过多" in o for o in outcomes) == GUESSES - checked


def _new_windows_share_the_address_budget(engine) -> None:
    outcomes = _forty_wrong_codes(engine, same_session=False)
    checked = sum(WRONG in o for o in outcomes)
    assert CODE_MAX_FAILURES < checked <= CODE_MAX_PER_ADDRESS, f"{checked} of 40 wrong codes from 40 new windows were checked"


@pytest.mark.slow
def test_forty_parallel_wrong_codes_check_at_most_the_limit_on_sqlite(engine, settings):
    _codes_checked_within_the_limit(engine)


@pytest.mark.slow
@pytest.mark.postgres
def test_forty_parallel_wrong_codes_check_at_most_the_limit_on_postgresql(pg_engine, settings):
    _codes_checked_within_the_limit(pg_engine)


@pytest.mark.slow
def test_new_browser_windows_from_one_address_share_its_budget_on_sqlite(engine, settings):
    _new_windows_share_the_address_budget(engine)


@pytest.mark.slow
@pytest.mark.postgres
def test_new_browser_windows_from_one_address_share_its_budget_on_postgresql(pg_engine, settings):
    _new_windows_share_the_address_budget(pg_engine)


def test_a_new_window_continues_the_countdown_of_its_address(session):
    code = _neighbour_with_code(session.get_bind())
    for tab in ("tab-a", "tab-b"):  # 16 wrong codes from two windows
        for _ in range(CODE_MAX_FAILURES):
            with pytest.raises(SignInFailed, match=WRONG):
                sign_in_with_code(session, code="ZZZZZ-ZZZZZ", throttle_key=tab,
                                  client_address="198.51.100.20", sleep=lambda _: None)
    left = CODE_MAX_PER_ADDRESS - 2 * CODE_MAX_FAILURES - 1
    with pytest.raises(SignInFailed, match=f"还可再试 {left} 次"):
        sign_in_with_code(session, code="ZZZZZ-ZZZZZ", throttle_key="tab-c",
                          client_address="198.51.100.20", sleep=lambda _: None)
    # a neighbour elsewhere is not held back, and a right code gives its attempt back
    assert sign_in_with_code(session, code=code, throttle_key="tab-d",
                             client_address="198.51.100.99").area_name == "7号楼"
    assert session.get(SignInThrottle, "code:addr:198.51.100.99").attempts == 0


# ---------------------------------------------------------------- client address

PROXIES = parse_trusted_proxies("10.0.0.5, 172.18.0.0/16")


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert client_address("203.0.113.7", "1.2.3.4", PROXIES) == "203.0.113.7"
    assert client_address("203.0.113.7", "1.2.3.4", ()) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_forwarded_address_counts():
    assert client_address("10.0.0.5", "198.51.100.20", PROXIES) == "198.51.100.20"
    # a client writing its own header: the proxy appends the real address; the rightmost
    # address that is not one of our proxies is the client
    assert client_address("10.0.0.5", "1.2.3.4, 198.51.100.20", PROXIES) == "198.51.100.20"
    assert client_address("172.18.3.4", "198.51.100.20, 10.0.0.5", PROXIES) == "198.51.100.20"
    assert client_address("10.0.0.5", "not-an-address", PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", None, PROXIES) == "10.0.0.5"


def test_a_missing_peer_has_one_shared_budget():
    assert client_address(None, "1.2.3.4", PROXIES) == "unknown"
