"""Load test: many visitors browsing the running portal over Streamlit's own websocket.

Starts `streamlit run portal/server.py` on a free loopback port with a demo database, then

1. baseline: ONE visitor opens the pages (home, each consultation) one after another;
2. load: N visitors do the same at the same moment, each over its own websocket session
   (exactly what a browser tab does: a BackMsg ``rerun_script`` per page, ForwardMsgs back until
   ``script_finished``).

3. with ``--replicas N`` (N > 1): the same load again through nginx (Debian's package, with the
   configuration shipped in deploy/nginx/) in front of N replicas on the same database, and
   with ``--more 200`` further crowds of that size through nginx.

Prints pages served, errors (script exceptions, page-not-found, timeouts, dropped sockets) and
p50/p95 page latency, and the load figures as a ratio of the baseline measured in this run,
with the machine's load average. Bounded: at most 200 visitors, 20 pages each, 300 s per
crowd; loopback only.

    .venv/bin/python bench/load_http.py --visitors 50 --pages 6
    .venv/bin/python bench/load_http.py --visitors 100 --pages 6 --replicas 2 --more 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_VISITORS = 200
MAX_PAGES = 20
MAX_SECONDS = 300


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elements: int = 0

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.elements += other.elements


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------- the database


def build_database(workdir: Path) -> tuple[Path, str]:
    """The demo neighbourhood if `consult demo` works here; otherwise the same corpus loaded
    row by row (no analysis), so the pages still have 600 residents' worth of content."""
    from tests.support import demo_database

    try:
        return demo_database(workdir), "consult demo"
    except Exception as exc:  # noqa: BLE001 - fall back, and say so
        reason = f"{type(exc).__name__}"
    db = workdir / "portal.sqlite"
    db.unlink(missing_ok=True)
    _corpus_database(db)
    return db, f"corpus loaded without analysis (consult demo failed: {reason})"


def _corpus_database(db: Path) -> None:
    from sqlmodel import Session, SQLModel

    import portal.models as m
    from portal.db import make_engine
    from portal.services import participants

    corpus = json.loads((ROOT / "data" / "demo" / "corpus.json").read_text(encoding="utf-8"))
    rng = random.Random(2026)
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        community = m.Community(name=corpus["community"].get("name", "梧桐里社区")
                                if isinstance(corpus["community"], dict) else "梧桐里社区")
        s.add(community)
        s.flush()
        areas = []
        for i in range(12):
            area = m.Area(community_id=community.id, name=f"{i + 1}号楼", grid=f"第{'一二三'[i // 4]}网格",
                          position=i)
            s.add(area)
            areas.append(area)
        s.flush()
        residents = [m.Resident(community_id=community.id, area_id=areas[i % 12].id, age_band="45-59")
                     for i in range(600)]
        s.add_all(residents)
        s.flush()
        for spec in corpus["consultations"]:
            phase = m.Phase(spec["phase"]) if spec["phase"] in set(m.Phase) else m.Phase.COLLECTING
            c = m.Consultation(community_id=community.id, title=spec["title"], question=spec["question"],
                               background=spec.get("background", ""), phase=phase)
            s.add(c)
            s.flush()
            texts = [t for theme in spec["themes"] for t in theme["opinions"]] + spec.get("off_topic", [])
            ops = []
            for text in texts:
                author = rng.choice(residents)
                op = m.Opinion(consultation_id=c.id, resident_id=author.id, area_id=author.area_id,
                               text_original=text, text_public=text)
                s.add(op)
                ops.append(op)
            s.flush()
            for voter in rng.sample(residents, 200):
                for op in rng.sample(ops, min(8, len(ops))):
                    if op.resident_id != voter.id:
                        s.add(m.Vote(opinion_id=op.id, resident_id=voter.id,
                                     value=rng.choice(list(m.VoteValue))))
        s.flush()
        participants.rebuild(s)  # rows added directly, not cast: who took part, as the portal keeps it
        s.commit()
    engine.dispose()


def consultation_ids(db: Path, *, published: bool = False) -> list[int]:
    import sqlite3

    phases = "('published', 'closed')" if published else "('collecting', 'reviewing', 'published', 'closed')"
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(f"SELECT id FROM consultation WHERE phase IN {phases} ORDER BY id")]
    finally:
        conn.close()


# ---------------------------------------------------------------- one visitor


def _rerun(query: str, page_name: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page_name
    return msg.SerializeToString()


async def visit(ws_url: str, pages: list[tuple[str, str]], page_timeout: float) -> Tally:
    """One browser tab: one websocket session, the pages in order."""
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    tally = Tally()
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**26,
                                      open_timeout=page_timeout) as ws:
            for page_name, query in pages:
                started = time.perf_counter()
                await ws.send(_rerun(query, page_name))
                ok = False
                problem = ""
                try:
                    async with asyncio.timeout(page_timeout):
                        while True:
                            raw = await ws.recv()
                            if isinstance(raw, str):
                                continue
                            fmsg = ForwardMsg()
                            fmsg.ParseFromString(raw)
                            kind = fmsg.WhichOneof("type")
                            if kind == "delta":
                                tally.elements += 1
                                el = fmsg.delta.new_element
                                if fmsg.delta.WhichOneof("type") == "new_element" and \
                                        el.WhichOneof("type") == "exception":
                                    problem = f"exception on {page_name or 'home'}?{query}: {el.exception.message[:120]}"
                            elif kind == "page_not_found":
                                problem = f"page not found: {page_name}"
                            elif kind == "script_finished":
                                # FINISHED_SUCCESSFULLY = 0; 1 = error, 2 = rerun, 3 = fragment
                                ok = fmsg.script_finished in (0, 3) and not problem
                                if fmsg.script_finished == 1 and not problem:
                                    problem = "script finished with an error"
                                break
                except TimeoutError:
                    problem = f"timeout after {page_timeout:.0f}s on {page_name or 'home'}?{query}"
                elapsed = time.perf_counter() - started
                if ok:
                    tally.latencies.append(elapsed)
                else:
                    tally.errors.append(problem or "unknown")
                    if problem.startswith("timeout"):
                        return tally
    except Exception as exc:  # noqa: BLE001 - a dropped or refused socket is an error, counted
        tally.errors.append(f"{type(exc).__name__}: {exc}"[:160])
    return tally


def plan_pages(ids: list[int], n: int, rng: random.Random,
               published: list[int] | None = None) -> list[tuple[str, str]]:
    """Home first, then consultation pages and (for published ones) their results page."""
    pages = [("", "")]
    while len(pages) < n:
        if published and rng.random() < 0.3:
            pages.append(("results", f"id={rng.choice(published)}"))
        else:
            pages.append(("consultation", f"id={rng.choice(ids)}"))
    return pages[:n]


async def crowd(ws_url: str, ids: list[int], visitors: int, pages: int, page_timeout: float,
                seed: int, published: list[int] | None = None) -> tuple[Tally, float]:
    rngs = [random.Random(seed + i) for i in range(visitors)]
    started = time.perf_counter()
    results = await asyncio.gather(*(visit(ws_url, plan_pages(ids, pages, r, published), page_timeout)
                                     for r in rngs))
    wall = time.perf_counter() - started
    total = Tally()
    for t in results:
        total.add(t)
    return total, wall


def report(name: str, tally: Tally, wall: float) -> dict[str, float]:
    served = len(tally.latencies)
    p50 = _percentile(tally.latencies, 0.5)
    p95 = _percentile(tally.latencies, 0.95)
    rate = served / wall if wall else float("nan")
    print(f"{name:<10} pages served {served:>5}   errors {len(tally.errors):>3}   "
          f"p50 {p50 * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms   "
          f"{rate:6.1f} pages/s   wall {wall:5.1f} s   "
          f"{tally.elements / served if served else 0:.0f} elements/page")
    return {"served": served, "errors": len(tally.errors), "p50": p50, "p95": p95, "rate": rate}


def _stop(proc) -> None:  # type: ignore[no-untyped-def]
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:  # noqa: BLE001
        proc.kill()


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--pages", type=int, default=6, help="pages each visitor opens")
    parser.add_argument("--page-timeout", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replicas", type=int, default=1,
                        help="also run the crowd through nginx in front of this many replicas")
    parser.add_argument("--more", type=int, nargs="*", default=[],
                        help="further crowd sizes through nginx (with --replicas)")
    args = parser.parse_args()
    visitors = max(1, min(args.visitors, MAX_VISITORS))
    pages = max(1, min(args.pages, MAX_PAGES))
    replicas = max(1, min(args.replicas, 8))

    from tests.support import (
        NGINX,
        free_port,
        render_nginx,
        start_nginx,
        start_portal,
        wait_for_port,
    )

    workdir = Path(tempfile.mkdtemp(prefix="load-http-"))
    db, source = build_database(workdir)
    ids = consultation_ids(db)
    published = consultation_ids(db, published=True)
    warm = [("", "")] + [("consultation", f"id={i}") for i in ids] + [("results", f"id={i}") for i in published]
    print(f"database: {source}  consultations {ids}, published {published}")
    print(f"{visitors} visitors x {pages} pages (home, consultation and results pages), "
          "baseline 1 visitor, same run")
    print(f"machine before: {_load()}")
    errors: list[str] = []

    def ws(url: str) -> str:
        assert url.startswith("http://127.0.0.1:"), "loopback only"
        return url.replace("http://", "ws://") + "/_stcore/stream"

    async def timed(coro):  # type: ignore[no-untyped-def]
        async with asyncio.timeout(MAX_SECONDS):
            return await coro

    # 1 and 2: one process, reached directly
    proc, url = start_portal(workdir / "var", db)
    try:
        async def single() -> tuple[dict, dict]:
            # warm-up (not counted): every page once, so caches are equally warm for both runs
            await visit(ws(url), warm, args.page_timeout)
            base_tally, base_wall = await timed(crowd(ws(url), ids, 1, pages, args.page_timeout, args.seed,
                                                      published))
            load_tally, load_wall = await timed(crowd(ws(url), ids, visitors, pages, args.page_timeout,
                                                      args.seed, published))
            errors.extend(base_tally.errors + load_tally.errors)
            return (report("baseline", base_tally, base_wall),
                    report(f"{visitors} at once", load_tally, load_wall))

        base, load = asyncio.run(single())
    finally:
        _stop(proc)
    print(f"ratio to baseline: p50 x{load['p50'] / base['p50']:.1f}   p95 x{load['p95'] / base['p95']:.1f}   "
          f"throughput x{load['rate'] / base['rate']:.1f}")
    print(f"machine: {_load()}")

    # 3: the same crowd through nginx in front of several replicas on the same database
    if replicas > 1:
        if NGINX is None:
            print("nginx is not installed (apt-get install nginx-light): replicas run skipped")
        else:
            procs = []
            nginx = None
            try:
                ports = []
                for i in range(replicas):
                    p, u = start_portal(workdir / f"var-{i}", db, log=workdir / f"replica-{i}.log")
                    procs.append(p)
                    ports.append(int(u.rsplit(":", 1)[1]))
                listen = free_port()
                folder = workdir / "nginx"
                folder.mkdir()
                nginx = start_nginx(render_nginx(folder, listen, ports))
                wait_for_port(listen)
                front = f"http://127.0.0.1:{listen}"
                print(f"{replicas} replicas behind nginx (deploy/nginx), same database")

                async def behind() -> None:
                    for port in ports:  # warm each replica like the single process
                        await visit(ws(f"http://127.0.0.1:{port}"), warm, args.page_timeout)
                    for n in [visitors, *[max(1, min(m, MAX_VISITORS)) for m in args.more]]:
                        tally, wall = await timed(crowd(ws(front), ids, n, pages, args.page_timeout,
                                                        args.seed, published))
                        errors.extend(tally.errors)
                        r = report(f"{n} nginx", tally, wall)
                        print(f"  vs 1 process at {visitors}: p50 x{r['p50'] / load['p50']:.2f}   "
                              f"p95 x{r['p95'] / load['p95']:.2f}   throughput x{r['rate'] / load['rate']:.1f}"
                              f"   ({_load()})")

                asyncio.run(behind())
            finally:
                if nginx is not None:
                    _stop(nginx)
                for p in procs:
                    _stop(p)
    for e in sorted(set(errors))[:10]:
        print("  error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
