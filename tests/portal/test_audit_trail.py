"""The audit trail through the command line: committee actions land in the hash chain, and
`consult audit verify` exits 1 on any edited, deleted or forged row. Simultaneous committee
actions all succeed and keep one unbroken chain."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from typer.testing import CliRunner

from portal.cli import app
from portal.models import AuditEvent, Resident, Role
from portal.services import audit, identity
from portal.services.actors import PERMISSIONS
from portal.settings import get_settings
from tests.portal.committee_actions import (  # noqa: F401  (fixtures)
    ACTIONS,
    build_world,
    world,
    world_template,
)
from tests.portal.test_authorization import keyword_model  # noqa: F401  (fixture)

runner = CliRunner()


def _verify() -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


@pytest.fixture
def audited(world, settings, monkeypatch, keyword_model):  # noqa: F811
    """The world's database (the CLI's DATABASE_URL) after every committee action that changes
    something has been done once, in order, by a permitted member."""
    monkeypatch.setenv("DATABASE_URL", str(world.engine.url))
    get_settings.cache_clear()
    # Phase changes last: the others need their consultations still in their phases.
    for action in sorted(ACTIONS, key=lambda a: a.name == "consultations.change_phase"):
        if not action.changes_data or action.name == "review.publish_results":
            continue  # publishing twice is refused: the phase change covers it
        role = next(r for r in (Role.ADMIN, Role.REVIEWER, Role.CLERK)
                    if r in PERMISSIONS[action.permission])
        with Session(world.engine, expire_on_commit=False) as s:
            action.perform(s, world, world.committee[role])
    yield world
    get_settings.cache_clear()


def test_every_committee_action_is_in_the_log_and_the_log_verifies(audited):
    with Session(audited.engine) as s:
        events = list(s.exec(select(AuditEvent).order_by(AuditEvent.id)))
    actions = {e.action for e in events}
    assert {"user.create", "user.reset_password", "code.issue", "code.revoke", "roster.import",
            "consultation.create", "consultation.phase", "opinion.offline", "analysis.run",
            "consultation.export"} <= actions
    committee = {f"committee:{a.user_id}" for a in audited.committee.values()}
    assert {e.actor for e in events} - {"setup"} <= committee
    code, output = _verify()
    assert code == 0, output
    assert f"审计日志完整：共 {len(events)} 条记录" in output


def _tamper(engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql))


@pytest.mark.parametrize(
    ("sql", "where", "problem"),
    [
        ("UPDATE auditevent SET actor = 'committee:99' WHERE id = 3", 3, "记录内容被修改"),
        ("UPDATE auditevent SET detail = '{\"to\": \"closed\"}' WHERE id = 5", 5, "记录内容被修改"),
        ("UPDATE auditevent SET at = '2020-01-01 00:00:00' WHERE id = 2", 2, "记录内容被修改"),
        ("DELETE FROM auditevent WHERE id = 4", 5, "链接不符"),
    ],
    ids=["actor-changed", "detail-changed", "time-changed", "row-deleted"],
)
def test_audit_verify_exits_1_on_tampering(audited, sql, where, problem):
    assert _verify()[0] == 0
    _tamper(audited.engine, sql)
    code, output = _verify()
    assert code == 1
    assert f"第 {where} 号记录" in output and problem in output


def test_a_forged_row_with_a_recomputed_hash_breaks_the_link_to_the_next(audited):
    """Someone who edits a row and recomputes its hash still cannot hide: the next row points
    at the old hash."""
    with Session(audited.engine) as s:
        row = s.get(AuditEvent, 2)
        row.detail = {"username": "someone-else"}
        row.hash = audit.event_hash(prev_hash=row.prev_hash, at=row.at, actor=row.actor,
                                    action=row.action, target_type=row.target_type,
                                    target_id=row.target_id, detail=row.detail)
        s.add(row)
        s.commit()
    code, output = _verify()
    assert code == 1 and "第 3 号记录" in output and "链接不符" in output


def _simultaneous_codes(engine, n: int = 20) -> list[str]:
    w = build_world(engine)
    with Session(engine) as s:
        for _ in range(n - len(w.residents)):
            s.add(Resident(community_id=w.community_id, area_id=w.area_id))
        s.commit()
        residents = [r.id for r in s.exec(select(Resident))]
    clerk = w.committee[Role.CLERK]
    barrier = threading.Barrier(len(residents))
    errors: list[str] = []

    def work(resident_id: int) -> None:
        barrier.wait()
        try:
            with Session(engine) as s:
                identity.issue_code(s, actor=clerk, resident_id=resident_id)
                s.commit()
        except Exception as exc:  # noqa: BLE001 - any error is a failure here
            errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=work, args=(r,)) for r in residents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_simultaneous_committee_actions_keep_one_chain_on_sqlite(engine):
    assert _simultaneous_codes(engine) == []
    with Session(engine) as s:
        assert audit.verify_chain(s).ok
        assert len([e for e in s.exec(select(AuditEvent)) if e.action == "code.issue"]) == 20


@pytest.mark.postgres
def test_simultaneous_committee_actions_keep_one_chain_on_postgresql(pg_engine):
    assert _simultaneous_codes(pg_engine) == []
    with Session(pg_engine) as s:
        assert audit.verify_chain(s).ok
        assert len([e for e in s.exec(select(AuditEvent)) if e.action == "code.issue"]) == 20
