"""Speed a person feels, in a real browser (Chromium through Playwright), issue 13.

One SQLite database holds a published consultation with 10,000 opinions and 100,000 votes
(``bench_results_page.build``) and a consultation still collecting, with 60 opinions to vote and
comment on. Measured in the same run:

* **results page, first visitor**: a fresh server process (nothing cached in memory, as on a
  replica that has never shown the page) whose home page and list of results were opened once
  (so its code is loaded); the time from asking
  for ``/results?id=…`` until the first theme is on the screen. In turn without a snapshot
  (the page computes the results), with a snapshot stored as before the charts were kept in it
  (the page builds the chart specs) and with the snapshot publishing stores now, charts
  included (decision 0021).
* **resident actions**: signed in with a code, the time from a click until the page shows its
  outcome: a vote (the next card), a preview of an opinion (the first one loads the tokenizer,
  reported apart), a submit, a comment.

Run: .venv/bin/python bench/bench_results_browser.py [--opinions 10000 --votes 100000 --rounds 3]
Needs Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OPEN_TEXTS = ["楼道里堆放的旧家具很久没人清理，存在消防隐患", "电动车在楼道充电很危险，希望建集中充电棚",
              "垃圾分类督导员早上来得太晚，垃圾桶经常满出来", "小区东门晚上的路灯坏了，老人走路不安全",
              "希望在三号楼旁边增加几个快递柜，排队太久"]


def add_collecting(db_url: str) -> tuple[int, int]:
    """A collecting consultation with 60 opinions by other residents; returns (its id, resident id)."""
    import sqlalchemy as sa
    from sqlmodel import Session, select

    import portal.models as m
    from portal.db import make_engine

    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with Session(engine) as s:
        community = s.exec(select(m.Community)).first()
        residents = list(s.exec(select(m.Resident.id).order_by(m.Resident.id).limit(61)))
        c = m.Consultation(community_id=community.id, title="楼道堆物清理", question="楼道堆物怎么清理？",
                           opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=20),
                           phase=m.Phase.COLLECTING)
        s.add(c)
        s.commit()
        cid = c.id
    with engine.begin() as conn:
        conn.execute(sa.insert(m.Opinion), [
            {"consultation_id": cid, "resident_id": residents[1 + i], "area_id": None, "channel": "web",
             "text_original": f"{OPEN_TEXTS[i % 5]}（第{i}条）", "text_public": f"{OPEN_TEXTS[i % 5]}（第{i}条）",
             "pii_kinds": [], "anonymous": False, "visibility": "visible", "moderation_reason": "", "flags": [],
             "received_at": now - timedelta(hours=i), "created_at": now - timedelta(hours=i)} for i in range(60)])
    engine.dispose()
    return cid, residents[0]


def without_charts(engine, cid: int) -> None:  # type: ignore[no-untyped-def]
    """Make the stored snapshot look like one stored before chart specs were kept in it."""
    import dataclasses
    import pickle

    from sqlalchemy import text

    with engine.begin() as conn:
        payload = conn.execute(text("SELECT payload FROM resultssnapshot WHERE consultation_id = :c"),
                               {"c": cid}).scalar_one()
        results = pickle.loads(payload)  # noqa: S301 - our own row
        if "charts" not in {f.name for f in dataclasses.fields(results)}:
            return  # code from before the charts were stored: every snapshot is without them
        stripped = dataclasses.replace(results, charts=None)
        conn.execute(text("UPDATE resultssnapshot SET payload = :p WHERE consultation_id = :c"),
                     {"p": pickle.dumps(stripped), "c": cid})


def start(var: Path, db: Path):  # type: ignore[no-untyped-def]
    from tests.support import start_portal

    return start_portal(var, db, log=var / "server.log")


def stop(proc) -> None:  # type: ignore[no-untyped-def]
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): far less disturbed by other
    load on the machine than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_visitor(browser, url: str, cid: int, pid: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds until the first theme is on screen, and the server's CPU seconds for the whole
    view (until the page has finished running)."""
    from tests.support import settle

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    # The replica is up and has served the home page and the list of results (its code is
    # loaded); only this consultation's results are new to it.
    page.goto(url)
    page.get_by_text("社区议事厅").first.wait_for()
    page.goto(f"{url}/results")
    page.get_by_text("老旧小区加装电梯").first.wait_for()
    settle(page)
    cpu = cpu_seconds(pid)
    t = time.perf_counter()
    page.goto(f"{url}/results?id={cid}")
    page.get_by_text("1. ").first.wait_for()
    took = time.perf_counter() - t
    page.get_by_test_id("stImage").first.wait_for()  # the word cloud, drawn last
    settle(page)
    cpu = cpu_seconds(pid) - cpu
    ctx.close()
    return took, cpu


def timed(page, action, outcome, pid: int, cpus: list[float]) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the click until ``outcome`` shows; the server's CPU seconds for the action
    (until the page has finished running) are appended to ``cpus``."""
    from tests.support import settle

    settle(page)
    cpu = cpu_seconds(pid)
    t = time.perf_counter()
    action()
    outcome.wait_for()
    took = time.perf_counter() - t
    settle(page)
    cpus.append(cpu_seconds(pid) - cpu)
    return took


def resident_actions(browser, url: str, code: str, cid: int, rounds: int,  # type: ignore[no-untyped-def]
                     pid: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    import re

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(re.compile("您已登录")).first.wait_for()
    out: dict[str, list[float]] = {"投票": [], "预览（首次，载入分词）": [], "预览": [], "提交": [], "留言": []}
    cpus: dict[str, list[float]] = {k: [] for k in out}

    page.goto(f"{url}/vote")
    page.get_by_role("heading", name="表态投票").wait_for()
    agree = page.locator("[class*='st-key-vote-agree-']")
    for i in range(1, 3 * rounds + 1):
        # the outcome is the next card's buttons (a click on the card being replaced is not counted)
        shown = re.search(r"st-key-vote-agree-\d+", agree.first.get_attribute("class") or "").group(0)  # type: ignore[union-attr]
        out["投票"].append(timed(page, lambda: agree.locator("button").click(),
                                page.locator(f"[class*='st-key-vote-agree-']:not(.{shown}) button"), pid, cpus["投票"]))
        page.get_by_text(re.compile(f"已表态 {i} 条")).wait_for()
    for i in range(rounds):
        page.goto(f"{url}/give")
        page.get_by_role("heading", name="提意见").wait_for()
        box = page.get_by_test_id("stTextArea").locator("textarea")
        box.fill(f"楼道里的旧自行车和纸箱堆了半年，第{i}次反映了，希望物业统一清理并张贴通知。")
        key = "预览（首次，载入分词）" if i == 0 else "预览"
        out[key].append(timed(page, lambda: page.get_by_role("button", name="下一步：预览").click(),
                              page.get_by_role("button", name="确认提交"), pid, cpus[key]))
        out["提交"].append(timed(page, lambda: page.get_by_role("button", name="确认提交").click(),
                                page.get_by_text("意见已提交，谢谢您！"), pid, cpus["提交"]))
    from sqlmodel import Session, select

    import portal.models as m
    from portal.db import make_engine

    engine = make_engine(os.environ["DATABASE_URL"])
    with Session(engine) as s:
        target = s.exec(select(m.Opinion.id).where(m.Opinion.consultation_id == cid).order_by(m.Opinion.id)).first()
    engine.dispose()
    page.goto(f"{url}/consultation?id={cid}&opinion={target}")
    for i in range(rounds):
        from tests.support import settle

        settle(page)
        box = page.get_by_label("写留言").first
        box.wait_for()
        box.fill(f"同意，楼道堆物确实影响消防通道，第{i}次补充。")
        # the outcome is the comment shown in the list (st.text), not the text still in the box
        out["留言"].append(timed(page, lambda: page.get_by_role("button", name="发表留言").first.click(),
                                page.get_by_test_id("stText").get_by_text(
                                    f"同意，楼道堆物确实影响消防通道，第{i}次补充。"), pid, cpus["留言"]))
    ctx.close()
    return out, cpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=10_000)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from bench.bench_results_page import build
    from tests.support import demo_env

    work = Path(tempfile.mkdtemp(prefix="bench-results-browser-"))
    db = work / "bench.sqlite"
    var = work / "var"
    var.mkdir()
    os.environ.update({k: v for k, v in demo_env(var, db).items()
                       if k.startswith("PORTAL_") or k == "DATABASE_URL"})
    t = time.perf_counter()
    cid = build(f"sqlite:///{db}", args.opinions, args.votes)
    open_cid, resident_id = add_collecting(f"sqlite:///{db}")
    print(f"built {args.opinions:,} opinions / {args.votes:,} votes in {time.perf_counter() - t:.1f} s")

    from sqlalchemy import text

    from portal.db import make_engine, unit_of_work
    from portal.services.actors import SystemActor
    from portal.services.identity import issue_code
    from portal.services.publishing.snapshot import refresh_snapshot

    engine = make_engine(f"sqlite:///{db}")
    code = unit_of_work(engine, lambda s: issue_code(s, actor=SystemActor("bench"), resident_id=resident_id))
    times: dict[str, list[float]] = {"without": [], "without charts": [], "with": []}
    cpus: dict[str, list[float]] = {k: [] for k in times}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(args.rounds):
            for variant in times:
                with engine.begin() as conn:
                    conn.execute(text("DELETE FROM resultssnapshot"))
                if variant != "without":
                    t = time.perf_counter()
                    unit_of_work(engine, lambda s: refresh_snapshot(s, cid))
                    print(f"  snapshot stored in {time.perf_counter() - t:.2f} s (at publishing)")
                if variant == "without charts":
                    without_charts(engine, cid)
                with engine.connect() as conn:
                    before = conn.execute(text("SELECT built_at FROM resultssnapshot")).scalar()
                proc, url = start(var, db)
                try:
                    took, cpu = first_visitor(browser, url, cid, proc.pid)
                    times[variant].append(took)
                    cpus[variant].append(cpu)
                finally:
                    stop(proc)
                with engine.connect() as conn:
                    after = conn.execute(text("SELECT built_at FROM resultssnapshot")).scalar()
                # with: the stored row was read, not rebuilt; without: the page stored one
                how = "read the stored snapshot" if before is not None and after == before else \
                    "computed and stored it" if before is None and after is not None else "rebuilt it"
                print(f"  first visitor {variant} snapshot: {times[variant][-1]:.2f} s, server CPU "
                      f"{cpus[variant][-1]:.2f} s (the page {how})")
        proc, url = start(var, db)
        try:
            actions, action_cpus = resident_actions(browser, url, code, open_cid, args.rounds, proc.pid)
        finally:
            stop(proc)
        browser.close()
    engine.dispose()

    load = os.getloadavg()
    print(f"\nmachine load (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    w, wo = statistics.median(times["with"]), statistics.median(times["without"])
    old = statistics.median(times["without charts"])
    print(f"results page readable, first visitor (median of {args.rounds}): "
          f"without snapshot {wo:.2f} s, snapshot without charts {old:.2f} s, "
          f"with snapshot and charts {w:.2f} s, ratio {w / wo:.2f}")
    print("server CPU for the whole first view (median): " + ", ".join(
        f"{k} {statistics.median(v):.2f} s" for k, v in cpus.items()))
    print("resident actions, click → outcome on screen (median / max; server CPU median):")
    for name, values in actions.items():
        if values:
            print(f"  {name}: {statistics.median(values):.2f} s / {max(values):.2f} s (n={len(values)}); "
                  f"CPU {statistics.median(action_cpus[name]):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
