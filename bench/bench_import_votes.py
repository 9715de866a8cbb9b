"""How long residents' votes wait while a clerk imports a large offline file (SQLite).

A 20,000-row hotline export is imported in a separate process while resident threads keep
voting; every vote's wait (call to commit) is recorded. In the same run: votes with nothing
else going on (baseline), during the import as the portal does it now (prepared outside the
write, one multi-row INSERT), and during an import that writes row by row through the ORM (the
earlier way). Goal (issue 12.10): no vote waits more than 2 s.

    .venv/bin/python bench/bench_import_votes.py [--rows 20000] [--voters 6]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHRASES = ["楼道里堆的纸箱好久没人清理", "晚上广场舞音乐太吵影响休息", "希望在小区门口加装减速带",
           "电动车在楼道充电很危险", "垃圾分类投放点离得太远", "老人下楼不方便希望加装电梯",
           "停车位太少外来车辆占位", "绿化带里的树枝挡住了路灯", "快递柜不够用经常满格",
           "健身器材坏了一直没人修"]


def _world(url: str, n_opinions: int = 200, n_residents: int = 60) -> tuple[int, list[int], list[int], int]:
    from sqlmodel import Session, SQLModel

    from portal.db import make_engine
    from portal.models import (
        Area,
        CommitteeUser,
        Community,
        Consultation,
        Opinion,
        Phase,
        Resident,
        Role,
    )

    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        community = Community(name="梧桐里社区", district="临江区")
        s.add(community)
        s.flush()
        area = Area(community_id=community.id, name="3号楼", grid="第一网格")
        s.add(area)
        s.flush()
        residents = [Resident(community_id=community.id, area_id=area.id, unit="1单元") for _ in range(n_residents)]
        s.add_all(residents)
        clerk = CommitteeUser(username="clerk", display_name="张社工", password_hash="x", role=Role.CLERK,
                              community_id=community.id)
        s.add(clerk)
        c = Consultation(community_id=community.id, title="小区微更新", question="小区最需要先改哪里？",
                         phase=Phase.COLLECTING)
        s.add(c)
        s.flush()
        ops = [Opinion(consultation_id=c.id, area_id=area.id, text_original=f"{PHRASES[i % 10]}，第{i}条",
                       text_public=f"{PHRASES[i % 10]}，第{i}条") for i in range(n_opinions)]
        s.add_all(ops)
        s.commit()
        ids = (c.id, [r.id for r in residents], [o.id for o in ops], clerk.id)
    engine.dispose()
    return ids  # type: ignore[return-value]


def _csv(rows: int) -> bytes:
    rng = random.Random(7)
    lines = ["意见,渠道,收到日期,楼栋"]
    for i in range(rows):
        text = f"{rng.choice(PHRASES)}，{rng.choice(PHRASES)}（热线记录{i}）"
        lines.append(f"{text},12345热线,2026-11-{rng.randint(1, 28):02d},3号楼")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _import(url: str, consultation_id: int, clerk_id: int, data: bytes, row_by_row: bool,
            started: mp.Event, done: mp.Value) -> None:  # type: ignore[valid-type]
    os.environ["DATABASE_URL"] = url
    from portal.db import make_engine, unit_of_work
    from portal.models import Channel, Role
    from portal.services.actors import CommitteeActor
    from portal.services.participation import offline

    engine = make_engine(url)
    actor = CommitteeActor(clerk_id, "clerk", "张社工", Role.CLERK)
    if row_by_row:  # the earlier way: one ORM insert and flush per row
        def store_each(session, *, consultation_id, items, entered_by):  # type: ignore[no-untyped-def]
            c = offline._consultation(session, consultation_id)
            for i in items:
                item = offline.OfflineOpinion(text=i.prepared.text, channel=Channel(i.channel),
                                              received_on=i.received_at.date(), area_id=i.area_id)
                offline._store(session, actor=actor, c=c, item=item, prepared=i.prepared, area_id=i.area_id)
            return len(items)
        offline.new_opinions = store_each  # type: ignore[assignment]
    started.set()
    t0 = time.perf_counter()
    unit_of_work(engine, lambda s: offline.import_offline_opinions(
        s, actor=actor, consultation_id=consultation_id, data=data, filename="热线导出.csv",
        repeats="import"))
    done.value = time.perf_counter() - t0
    engine.dispose()


def _vote_waits(url: str, resident_ids: list[int], opinion_ids: list[int], voters: int,
                until: threading.Event, min_seconds: float) -> list[float]:
    from sqlmodel import Session

    from portal.db import make_engine, unit_of_work
    from portal.models import Resident
    from portal.services.identity import resident_actor
    from portal.services.participation import cast_vote

    engine = make_engine(url)
    waits: list[float] = []
    lock = threading.Lock()

    def voter(k: int) -> None:
        rng = random.Random(k)
        with Session(engine) as s:
            actors = [resident_actor(s, s.get(Resident, rid)) for rid in resident_ids[k::voters]]
        start = time.perf_counter()
        while not until.is_set() or time.perf_counter() - start < min_seconds:
            actor, oid = rng.choice(actors), rng.choice(opinion_ids)
            t0 = time.perf_counter()

            value = rng.choice(["agree", "disagree"])
            unit_of_work(engine, lambda session, a=actor, o=oid, v=value:
                         cast_vote(session, actor=a, opinion_id=o, value=v))
            with lock:
                waits.append(time.perf_counter() - t0)
            time.sleep(0.02)

    threads = [threading.Thread(target=voter, args=(k,)) for k in range(voters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    return waits


def _row(name: str, waits: list[float], import_s: float | None) -> str:
    q = statistics.quantiles(waits, n=100) if len(waits) > 1 else [waits[0]] * 99
    over = sum(w > 2.0 for w in waits)
    imp = f"{import_s:7.1f} s" if import_s is not None else "      —"
    return (f"{name:<34} {len(waits):6d} {q[49] * 1000:8.0f} ms {q[94] * 1000:8.0f} ms "
            f"{max(waits):7.2f} s {over:6d}   {imp}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--voters", type=int, default=6)
    args = ap.parse_args()
    data = _csv(args.rows)
    print(f"import of {args.rows:,} rows ({len(data) / 1e6:.1f} MB) while {args.voters} residents vote (SQLite, WAL)")
    print(f"{'':<34} {'votes':>6} {'p50':>11} {'p95':>11} {'max':>9} {'> 2 s':>6}   import")
    ctx = mp.get_context("spawn")
    for name, mode in (("votes alone (baseline)", None), ("during import: one INSERT (now)", False),
                       ("during import: row by row (before)", True)):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'portal.sqlite'}"
            os.environ["PORTAL_VAR_DIR"] = str(Path(tmp) / "var")
            cid, residents, opinions, clerk = _world(url)
            until = threading.Event()
            if mode is None:
                until.set()
                waits = _vote_waits(url, residents, opinions, args.voters, until, min_seconds=8.0)
                print(_row(name, waits, None), flush=True)
                continue
            started, done = ctx.Event(), ctx.Value("d", -1.0)
            proc = ctx.Process(target=_import, args=(url, cid, clerk, data, mode, started, done))
            proc.start()
            started.wait()
            result: list[float] = []
            t = threading.Thread(target=lambda r=result, a=(url, residents, opinions, args.voters, until):
                                 r.extend(_vote_waits(*a, min_seconds=0.0)))
            t.start()
            proc.join()
            until.set()
            t.join()
            print(_row(name, result, done.value), flush=True)


if __name__ == "__main__":
    main()
