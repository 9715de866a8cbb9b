"""The same submission sent twice at the same moment is stored once (issue 12, item 9).

Each resident's copies are released together by a barrier and go through the services the
pages call, one session per request. Before idempotency tokens were held by the database, 20
residents sending their opinion twice gave 23 rows on SQLite and 25 on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.db import session_scope
from portal.models import (
    Area,
    AuditEvent,
    Channel,
    Comment,
    Community,
    Consultation,
    Opinion,
    Phase,
    Resident,
)
from portal.services.errors import ServiceError
from portal.services.identity import resident_actor
from portal.services.participation import add_comment, submit_opinion
from portal.services.participation.offline import OfflineOpinion, enter_offline_opinion
from portal.services.participation.opinions import ALREADY_GIVEN

N = 12  # residents, each sending COPIES copies at once
COPIES = 3
BUILDINGS = ["1号楼", "2号楼", "3号楼"]


def _world(engine: Engine) -> tuple[int, int, list[Any]]:
    """A collecting consultation with one opinion to comment on, and N residents."""
    with Session(engine, expire_on_commit=False) as s:
        community = Community(name="银杏苑社区")
        s.add(community)
        s.flush()
        areas = [Area(community_id=community.id, name=b, grid="第一网格") for b in BUILDINGS]
        s.add_all(areas)
        s.flush()
        residents = [Resident(community_id=community.id, area_id=areas[i % len(areas)].id,
                              age_band="60-69") for i in range(N + 1)]
        s.add_all(residents)
        c = Consultation(community_id=community.id, title="老旧小区加装电梯", phase=Phase.COLLECTING,
                         question="您家楼栋是否支持加装电梯？")
        s.add(c)
        s.flush()
        op = Opinion(consultation_id=c.id, resident_id=residents[N].id, area_id=residents[N].area_id,
                     text_original="加装电梯的费用怎么分摊，希望早点公布方案",
                     text_public="加装电梯的费用怎么分摊，希望早点公布方案")
        s.add(op)
        s.commit()
        return c.id, op.id, [resident_actor(s, r) for r in residents[:N]]


def _at_once(engine: Engine, sends: list[Callable[[Session], Any]]) -> list[Any]:
    """Run every send in its own thread and session, all released together.

    Returns each send's result, or the Chinese message of the ServiceError it raised; any other
    error fails the test."""
    barrier = threading.Barrier(len(sends))
    results: list[Any] = [None] * len(sends)
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            with session_scope(engine) as s:
                results[i] = sends[i](s)
                s.commit()
        except ServiceError as exc:
            results[i] = str(exc)
        except Exception as exc:  # noqa: BLE001 - anything else reaching a resident is a failure
            errors.append(f"{type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sends))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    assert errors == [], errors[:5]
    return results


def _opinion_text(i: int) -> str:
    return f"{BUILDINGS[i % 3]}的居民{i}号：希望加装电梯时把楼道扶手也一起换掉"


def _opinions(engine: Engine, *, with_token: bool) -> None:
    cid, _, actors = _world(engine)
    sends = [
        (lambda s, i=i: submit_opinion(s, actor=actors[i], consultation_id=cid, text=_opinion_text(i),
                                       client_token=f"draft-{i}" if with_token else None))
        for i in range(N) for _ in range(COPIES)
    ]
    results = _at_once(engine, sends)
    with Session(engine) as s:
        stored = s.exec(select(Opinion).where(Opinion.consultation_id == cid,
                                              Opinion.resident_id != None)).all()  # noqa: E711
    per_resident = Counter(o.resident_id for o in stored)
    mine = [o for o in stored if o.text_original.startswith(tuple(BUILDINGS))]
    assert len(mine) == N, f"{len(mine)} rows for {N} residents"
    assert all(per_resident[a.resident_id] == 1 for a in actors)
    for i in range(N):
        copies = results[i * COPIES:(i + 1) * COPIES]
        created = [r for r in copies if not isinstance(r, str) and r.created]
        assert len(created) == 1
        if with_token:  # the form's copies all get the stored opinion back, no error
            assert {r.opinion.id for r in copies} == {created[0].opinion.id}
        else:  # the copies of a caller without a token are told, in Chinese, it was given already
            assert [r for r in copies if isinstance(r, str)] == [ALREADY_GIVEN] * (COPIES - 1)


def _comments(engine: Engine, *, with_token: bool) -> None:
    _, opinion_id, actors = _world(engine)
    sends = [
        (lambda s, i=i: add_comment(s, actor=actors[i], opinion_id=opinion_id,
                                    text=f"同意，我们{BUILDINGS[i % 3]}也盼着这件事",
                                    client_token=f"comment-{i}" if with_token else None))
        for i in range(N) for _ in range(COPIES)
    ]
    results = _at_once(engine, sends)
    assert not any(isinstance(r, str) for r in results), results
    with Session(engine) as s:
        stored = s.exec(select(Comment).where(Comment.opinion_id == opinion_id)).all()
    assert len(stored) == N, f"{len(stored)} comments for {N} residents"
    for i in range(N):
        assert len({r.id for r in results[i * COPIES:(i + 1) * COPIES]}) == 1


@pytest.mark.parametrize("with_token", [True, False], ids=["form-token", "no-token"])
def test_opinion_sent_three_times_at_once_is_stored_once_on_sqlite(engine, settings, with_token):
    _opinions(engine, with_token=with_token)


@pytest.mark.postgres
@pytest.mark.parametrize("with_token", [True, False], ids=["form-token", "no-token"])
def test_opinion_sent_three_times_at_once_is_stored_once_on_postgresql(pg_engine, settings, with_token):
    _opinions(pg_engine, with_token=with_token)


@pytest.mark.parametrize("with_token", [True, False], ids=["form-token", "no-token"])
def test_comment_sent_three_times_at_once_is_stored_once_on_sqlite(engine, settings, with_token):
    _comments(engine, with_token=with_token)


@pytest.mark.postgres
@pytest.mark.parametrize("with_token", [True, False], ids=["form-token", "no-token"])
def test_comment_sent_three_times_at_once_is_stored_once_on_postgresql(pg_engine, settings, with_token):
    _comments(pg_engine, with_token=with_token)


def _offline_entry(engine: Engine) -> None:
    """A clerk's 保存 clicked three times (or sent again by a flaky connection): one opinion."""
    from tests.ops_support import build_hood

    with Session(engine, expire_on_commit=False) as s:
        hood = build_hood(s)
        c = s.get(Consultation, hood.collecting.id)
        c.closes_at = None  # open for as long as the test runs, whatever today's date
        s.add(c)
        s.commit()
    item = OfflineOpinion("电话反映：五号楼门口的路灯坏了两个星期，晚上老人出门看不清台阶",
                          Channel.PHONE, date(2026, 5, 19), area_id=hood.areas[1].id)
    sends = [
        (lambda s, k=k: enter_offline_opinion(s, actor=hood.clerk, consultation_id=hood.collecting.id,
                                              item=item, today=date(2026, 5, 20), client_token=f"paper-{k}"))
        for k in range(4) for _ in range(COPIES)
    ]
    results = _at_once(engine, sends)
    assert not any(isinstance(r, str) for r in results), results
    with Session(engine) as s:
        stored = s.exec(select(Opinion)).all()
        audits = s.exec(select(AuditEvent).where(AuditEvent.action == "opinion.offline")).all()
    assert len(stored) == 4  # four drafts (the clerk typed the same words four times on purpose)
    assert len({r.id for r in results}) == 4
    assert len(audits) == 4  # one audit event per stored opinion, none for the repeats


def test_offline_entry_saved_three_times_at_once_is_stored_once_on_sqlite(engine, settings):
    _offline_entry(engine)


@pytest.mark.postgres
def test_offline_entry_saved_three_times_at_once_is_stored_once_on_postgresql(pg_engine, settings):
    _offline_entry(pg_engine)
