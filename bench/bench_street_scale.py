"""A street at scale on PostgreSQL (issue #17, decision 0025).

Full size: 20 communities, 50,000 residents, 200,000 opinions and 2,000,000 votes (``--scale 1``);
``--scale 0.05`` builds a twentieth of every count per community. Rows are written with COPY. In
one run the same street is built twice, with 2 and with 20 communities of the same size each
(2 is the baseline measured in the same run), and for each it measures:

* the time to build it (COPY of residents, opinions, votes),
* ``consult analyse --all`` end to end (the batch service the CLI calls, every consultation),
  and a second run that finds nothing changed,
* the street dashboard (街道总览, ``street_overview``) and a community's results page
  (``load_results`` of a published consultation) on first view, with nothing cached,
* the database size (tables and indexes of the schema).

Texts are real residents' messages (``../shared/data``, read at run time, never stored here)
with small perturbations; without that folder a small built-in set of sentences is used.

Run: TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
     .venv/bin/python bench/bench_street_scale.py --scale 0.05
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL = {"communities": 20, "residents": 50_000, "opinions": 200_000, "votes": 2_000_000}
CONSULTATIONS_PER_COMMUNITY = 3  # reviewing (analysed, then published), reviewing, collecting
BUILDINGS_PER_COMMUNITY = 12
UNION_PARTICIPATION = """
SELECT com, count(*) FROM (
  SELECT c.community_id AS com, o.resident_id AS rid FROM opinion o JOIN consultation c ON c.id = o.consultation_id
   WHERE o.resident_id IS NOT NULL AND c.phase <> 'draft'
  UNION
  SELECT c.community_id, v.resident_id FROM vote v JOIN opinion o ON o.id = v.opinion_id
   JOIN consultation c ON c.id = o.consultation_id WHERE c.phase <> 'draft'
) AS people GROUP BY com
"""
FALLBACK = [
    "电梯费用怎么分摊要说清楚，高层住户多出一点比较公平", "低层住户担心采光和噪音，施工前要开协调会",
    "小区停车位太少，晚上回来根本没地方停", "电动车在楼道里充电太危险了，希望多装几个充电桩",
    "垃圾投放点离我们楼太远，老人提着垃圾走很累", "社区食堂的菜能不能少油少盐，价格再便宜一点",
    "楼道里堆放杂物，存在消防隐患，请物业清理", "希望小区多种几棵树，夏天太晒了",
]


def texts(n: int, seed: int) -> list[str]:
    try:
        from bench._common import synthetic_corpus

        return [t[:400] for t in synthetic_corpus(n, seed=seed)]
    except (SystemExit, Exception):  # no evaluation data here
        rng = random.Random(seed)
        return [f"{rng.choice(FALLBACK)}（{i}）" for i in range(n)]


def copy_rows(conn, table: str, columns: list[str], rows) -> None:  # type: ignore[no-untyped-def]
    """COPY rows into ``table`` through psycopg (the fastest way into PostgreSQL)."""
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as cp:
        for row in rows:
            cp.write_row(row)


def build(url: str, n_communities: int, scale: float, seed: int = 17) -> dict[str, float]:
    """A street of ``n_communities`` communities, each a twentieth of the full street × scale."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from portal.db import make_engine, upgrade
    from portal.services import participants

    per = {k: max(1, int(v * scale / FULL["communities"])) for k, v in FULL.items() if k != "communities"}
    rng = random.Random(seed)
    upgrade(url)  # the schema is not part of the build time
    started = time.perf_counter()
    engine = make_engine(url)
    now = datetime.now(UTC)
    corpus = texts(per["opinions"] * n_communities, seed)
    with engine.begin() as conn:
        street_id = conn.execute(sa.text("INSERT INTO street (name, district, created_at) VALUES "
                                         "('清河街道', '临江区', now()) RETURNING id")).scalar_one()
        ids = {"resident": 0, "opinion": 0}
        for ci in range(n_communities):
            cid = conn.execute(sa.text(
                "INSERT INTO community (name, slug, street_id, district, created_at) "
                "VALUES (:n, :s, :st, '临江区', now()) RETURNING id"),
                {"n": f"第{ci + 1}社区", "s": f"c{ci + 1}", "st": street_id}).scalar_one()
            areas = [conn.execute(sa.text(
                "INSERT INTO area (community_id, name, grid, position) VALUES (:c, :n, :g, :p) RETURNING id"),
                {"c": cid, "n": f"{b + 1}号楼", "g": f"第{b // 4 + 1}网格", "p": b}).scalar_one()
                for b in range(BUILDINGS_PER_COMMUNITY)]
            first_resident = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM resident")).scalar_one() + 1
            copy_rows(conn, "resident", ["community_id", "area_id", "unit", "age_band", "household_ref",
                                         "active", "created_at"],
                      ((cid, areas[i % len(areas)], f"{i % 3 + 1}单元", rng.choice(["30-44", "45-59", "60-69", "70-79"]),
                        f"h{i}", True, now) for i in range(per["residents"])))
            residents = list(range(first_resident, first_resident + per["residents"]))
            cons = []
            for k, phase in enumerate(("reviewing", "reviewing", "collecting")):
                cons.append(conn.execute(sa.text(
                    "INSERT INTO consultation (community_id, title, question, background, opens_at, closes_at, "
                    "votes_during_review, phase, created_at, updated_at) VALUES (:c, :t, '您有什么意见和建议？', '', "
                    ":o, :e, false, :p, now(), now()) RETURNING id"),
                    {"c": cid, "t": f"第{ci + 1}社区议题{k + 1}", "p": phase,
                     "o": now - timedelta(days=30), "e": now + timedelta(days=10)}).scalar_one())
            first_opinion = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM opinion")).scalar_one() + 1
            mine = corpus[ci * per["opinions"]:(ci + 1) * per["opinions"]]
            copy_rows(conn, "opinion", ["consultation_id", "resident_id", "area_id", "channel", "text_original",
                                        "text_public", "pii_kinds", "anonymous", "visibility", "moderation_reason",
                                        "flags", "received_at", "created_at"],
                      ((cons[i % len(cons)], residents[i % len(residents)], areas[i % len(areas)], "web", t, t,
                        "[]", False, "visible", "", "[]", now, now) for i, t in enumerate(mine)))
            opinions = list(range(first_opinion, first_opinion + len(mine)))
            pairs: set[tuple[int, int]] = set()
            while len(pairs) < min(per["votes"], len(opinions) * len(residents)):
                pairs.add((rng.choice(opinions), rng.choice(residents)))
            copy_rows(conn, "vote", ["opinion_id", "resident_id", "value", "created_at", "updated_at"],
                      ((o, r, rng.choice(("agree", "agree", "disagree", "pass")), now, now) for o, r in pairs))
            ids["resident"] += len(residents)
            ids["opinion"] += len(opinions)
        with Session(bind=conn) as s:  # who took part, as the portal keeps it (rows copied in directly)
            participants.rebuild(s)
        conn.execute(sa.text("ANALYZE"))
    built = time.perf_counter() - started
    engine.dispose()
    return {"build_s": built, **{f"n_{k}": v * n_communities for k, v in per.items()}}


def measure(url: str) -> dict[str, float]:
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from portal.db import make_engine
    from portal.models import Consultation, Phase
    from portal.services.actors import SystemActor
    from portal.services.publishing.results import load_results
    from portal.services.review.batch import ANALYSED, UNCHANGED, analyse_all
    from portal.services.street import street_overview

    engine = make_engine(url)
    actor = SystemActor("bench")
    t = time.perf_counter()
    done = analyse_all(engine, actor=actor)
    analyse = time.perf_counter() - t
    t = time.perf_counter()
    again = analyse_all(engine, actor=actor)
    analyse_again = time.perf_counter() - t
    with engine.begin() as conn:  # each community publishes its first consultation's results
        conn.execute(sa.text(
            "UPDATE consultation SET phase='published', published_at=now() WHERE id IN "
            "(SELECT min(id) FROM consultation GROUP BY community_id)"))
    engine.dispose()
    engine = make_engine(url)  # cold: a new connection pool, nothing cached in the process
    with Session(engine) as s:
        t = time.perf_counter()
        view = street_overview(s, actor=actor, street_id=s.exec(sa.select(sa.text("min(id) FROM street"))).scalar())
        dashboard = time.perf_counter() - t
        # what the dashboard's participation figures cost before decision 0028: distinct authors
        # and voters by a UNION over every opinion and vote of the street's public consultations
        t = time.perf_counter()
        s.exec(sa.text(UNION_PARTICIPATION)).all()
        union = time.perf_counter() - t
        published = s.exec(select(Consultation).where(Consultation.phase == Phase.PUBLISHED)
                           .order_by(Consultation.id)).first()
        t = time.perf_counter()
        results = load_results(s, published.id)
        results_first = time.perf_counter() - t
        size = s.exec(sa.select(sa.text(
            "sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)) "
            "FROM pg_tables WHERE schemaname = current_schema()"))).scalar()
    engine.dispose()
    assert all(r.outcome == ANALYSED for r in done), [r.message for r in done if r.outcome != ANALYSED][:3]
    assert all(r.outcome == UNCHANGED for r in again)
    return {"analyse_s": analyse, "consultations": len(done), "analyse_again_s": analyse_again,
            "dashboard_s": dashboard, "union_s": union, "dashboard_rows": len(view.rows), "results_s": results_first,
            "results_themes": len(results.themes), "db_mb": float(size) / 1e6}


def in_schema(base: str, fn, *args):  # type: ignore[no-untyped-def]
    """Run ``fn(url, *args)`` in a fresh schema of the database at ``base``, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    try:
        return fn(url, *args)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def one_street(url: str, n: int, scale: float) -> dict[str, float]:
    out = build(url, n, scale)
    print(f"{n} communities built: {out}", flush=True)  # partial figures survive a stopped run
    out.update(measure(url))
    print(f"{n} communities measured: {out}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.05, help="fraction of the full street (1 = 50k residents …)")
    ap.add_argument("--url", default=os.environ.get("TEST_DATABASE_URL", ""))
    ap.add_argument("--sizes", default="2,20", help="numbers of communities, the first is the baseline")
    args = ap.parse_args()
    if not args.url:
        sys.exit("需要 PostgreSQL：设置 TEST_DATABASE_URL 或 --url")
    os.environ.setdefault("PORTAL_VAR_DIR", str(Path("/tmp") / f"street-bench-{os.getpid()}"))
    sizes = [int(x) for x in args.sizes.split(",")]
    from portal.services.text import tokenizer

    texts(10, 0)  # warm-up: the message files and the tokenizer's dictionary load once, before any timing
    tokenizer().tokenize_many(["预热一下分词器"])
    rows = {n: in_schema(args.url, one_street, n, args.scale) for n in sizes}
    base = rows[sizes[0]]
    print(f"scale {args.scale}: per community {int(FULL['residents'] * args.scale / 20)} residents, "
          f"{int(FULL['opinions'] * args.scale / 20)} opinions, {int(FULL['votes'] * args.scale / 20)} votes")
    keys = [("n_residents", "residents"), ("n_opinions", "opinions"), ("n_votes", "votes"),
            ("build_s", "build (s)"), ("consultations", "consultations analysed"),
            ("analyse_s", "analyse --all (s)"), ("analyse_again_s", "analyse --all again, nothing new (s)"),
            ("dashboard_s", "street dashboard first view (s)"),
            ("union_s", "its participation by the old UNION over every vote (s)"), ("results_s", "results page data, first view (s)"),
            ("db_mb", "database size (MB)")]
    print("| measure | " + " | ".join(f"{n} communities" for n in sizes) + f" | ratio {sizes[-1]}/{sizes[0]} |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for key, label in keys:
        vals = [rows[n][key] for n in sizes]
        fmt = (lambda v: f"{v:,.0f}") if key.startswith("n_") or key == "consultations" else (lambda v: f"{v:.2f}")
        ratio = rows[sizes[-1]][key] / base[key] if base[key] else float("nan")
        print(f"| {label} | " + " | ".join(fmt(v) for v in vals) + f" | {ratio:.1f} |")


if __name__ == "__main__":
    main()
