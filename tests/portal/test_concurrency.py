"""50 residents at once, through the same services and unit of work (one transaction per action,
retried while the database is busy) the pages use: every accepted opinion, vote and comment is
stored exactly once, the counts add up, and no "database is locked" (or any other error) reaches
a resident."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from sqlmodel import Session, select

from portal.db import unit_of_work
from portal.models import (
    Area,
    Comment,
    Community,
    Consultation,
    Opinion,
    Phase,
    Resident,
    Vote,
    VoteValue,
)
from portal.services.consultations import participation_counts
from portal.services.identity import resident_actor
from portal.services.participation import add_comment, cast_vote, submit_opinion
from portal.services.participation.opinions import new_opinion

N_RESIDENTS = 50
VOTES_EACH = 12
BUILDINGS = ["1号楼", "2号楼", "3号楼", "5号楼", "6号楼"]
TOPICS = ["电梯加装", "停车位", "充电桩", "垃圾分类", "绿化养护", "老年食堂", "楼道照明", "快递柜"]
SEED_OPINIONS = [
    "希望尽快加装电梯，老人上下楼太辛苦了",
    "小区停车位太少，晚上回来根本没地方停",
    "楼道里飞线充电太危险，希望多装充电桩",
    "垃圾分类督导员只在早上在，晚上没人管",
    "老年食堂的菜能不能少油少盐，价格再实惠些",
    "快递柜太少，快递经常堆在门卫室",
]


def _neighbourhood(engine) -> tuple[int, list, list[int]]:
    with Session(engine, expire_on_commit=False) as s:
        community = Community(name="梧桐里社区")
        s.add(community)
        s.flush()
        areas = [Area(community_id=community.id, name=b, grid="第一网格") for b in BUILDINGS]
        s.add_all(areas)
        s.flush()
        residents = [Resident(community_id=community.id, area_id=areas[i % len(areas)].id,
                              age_band="45-59") for i in range(N_RESIDENTS + len(SEED_OPINIONS))]
        s.add_all(residents)
        c = Consultation(community_id=community.id, title="小区微更新", phase=Phase.COLLECTING,
                         question="小区最需要先改哪里？")
        s.add(c)
        s.flush()
        seed = []
        for r, text in zip(residents[N_RESIDENTS:], SEED_OPINIONS, strict=True):
            op, _ = new_opinion(s, consultation_id=c.id, text=text, resident_id=r.id, area_id=r.area_id)
            seed.append(op.id)
        s.commit()
        actors = [resident_actor(s, r) for r in residents[:N_RESIDENTS]]
        return c.id, actors, seed


def _crowd(engine) -> None:
    cid, actors, seed = _neighbourhood(engine)
    barrier = threading.Barrier(N_RESIDENTS)
    errors: list[str] = []
    accepted: dict[int, tuple[int, str]] = {}  # resident -> (opinion id, text)
    final_votes: dict[tuple[int, int], VoteValue] = {}
    comments: Counter[int] = Counter()
    lock = threading.Lock()

    def resident(i: int) -> None:
        actor = actors[i]
        rng = random.Random(i)
        text = f"{actor.area_name}的居民{i}号：建议优先解决{TOPICS[i % len(TOPICS)]}的问题，越快越好"
        token = f"crowd-{i}"
        try:
            barrier.wait()
            # Submit, then the same form again (a double click): one opinion.
            first = unit_of_work(engine, lambda s: submit_opinion(
                s, actor=actor, consultation_id=cid, text=text, client_token=token))
            again = unit_of_work(engine, lambda s: submit_opinion(
                s, actor=actor, consultation_id=cid, text=text, client_token=token))
            assert first.created and not again.created and first.opinion.id == again.opinion.id
            with lock:
                accepted[actor.resident_id] = (first.opinion.id, text)
            # Vote on the seed opinions and on whatever neighbours have posted by now.
            with lock:
                pool = seed + [oid for rid, (oid, _) in accepted.items() if rid != actor.resident_id]
            mine: dict[int, VoteValue] = {}
            for _ in range(VOTES_EACH):
                oid = rng.choice(pool)
                value = rng.choice(list(VoteValue))
                unit_of_work(engine, lambda s, oid=oid, value=value: cast_vote(
                    s, actor=actor, opinion_id=oid, value=value))
                mine[oid] = value  # a repeat vote changes the earlier one
            if i % 5 == 0:
                target = seed[i % len(seed)]
                unit_of_work(engine, lambda s, target=target: add_comment(
                    s, actor=actor, opinion_id=target, text=f"同意，{actor.area_name}也是这样"))
                with lock:
                    comments[target] += 1
            with lock:
                for oid, value in mine.items():
                    final_votes[(actor.resident_id, oid)] = value
        except Exception as exc:  # noqa: BLE001 - every error reaching a resident is a failure
            with lock:
                errors.append(f"resident {i}: {type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=resident, args=(i,)) for i in range(N_RESIDENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), "a resident's request hung"
    assert errors == [], errors[:5]
    assert len(accepted) == N_RESIDENTS

    with Session(engine) as s:
        ops = s.exec(select(Opinion).where(Opinion.consultation_id == cid)).all()
        votes = s.exec(select(Vote)).all()
        stored_comments = s.exec(select(Comment)).all()
        counts = participation_counts(s, [cid])[cid]
    # every accepted opinion exactly once, nothing else
    texts = Counter(o.text_original for o in ops)
    assert len(ops) == len(SEED_OPINIONS) + N_RESIDENTS
    assert all(texts[text] == 1 for _, text in accepted.values())
    assert {o.id for o in ops} >= {oid for oid, _ in accepted.values()}
    # every vote exactly once, with the resident's last choice
    assert len(votes) == len({(v.resident_id, v.opinion_id) for v in votes})
    assert {(v.resident_id, v.opinion_id): VoteValue(v.value) for v in votes} == final_votes
    assert Counter(c.opinion_id for c in stored_comments) == comments
    # and the public counters agree with the rows
    n_opinions, n_people, n_votes = counts
    assert n_opinions == len(SEED_OPINIONS) + N_RESIDENTS
    assert n_votes == len(final_votes)
    assert n_people == N_RESIDENTS + len(SEED_OPINIONS)
    print(f"{N_RESIDENTS} residents, {len(final_votes)} votes, {sum(comments.values())} comments "
          f"in {elapsed:.1f}s on {engine.dialect.name}")


@pytest.mark.slow
def test_fifty_residents_at_once_on_sqlite(engine, settings):
    _crowd(engine)


@pytest.mark.slow
@pytest.mark.postgres
def test_fifty_residents_at_once_on_postgresql(pg_engine, settings):
    _crowd(pg_engine)
