"""Sign-in under parallel guessing (issue 12 items 1 and 2): the counters that stop guessing
are kept atomically in the database, so guesses sent at once, from one browser or many, or to
several replicas, are counted one by one. SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from portal.db import session_scope
from portal.models import CommitteeUser, Role
from portal.services.actors import SystemActor
from portal.services.errors import SignInFailed
from portal.services.identity import LOGIN_MAX_FAILURES, authenticate, create_user

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
