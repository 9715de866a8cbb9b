"""A process killed (SIGKILL) in the middle of an analysis run leaves the previous theme set
exactly as it was, and the next run recovers: the killed run is closed as failed, the new run
succeeds."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal.models import (
    AnalysisRun,
    Area,
    Community,
    Opinion,
    Resident,
    RunStatus,
    Theme,
    ThemeAssignment,
)
from portal.services.actors import SystemActor
from portal.services.errors import InvalidInput
from portal.services.review import runs as analysis_runs
from tests.factories import consultation_with_opinions
from tests.support import ROOT
from tests.support_faults import use_keyword_model

FIRST_OPINIONS = [
    "希望尽快加装电梯，老人上下楼太辛苦了",
    "加装电梯的费用分摊要公开透明",
    "电梯噪声会不会影响一楼住户休息",
    "小区停车位太少，晚上回来根本没地方停",
    "建议把地面停车位重新划线，多出一些车位",
    "外来车辆乱停车的问题请物业管一管",
    "社区食堂的菜能不能少油少盐",
    "希望食堂中午多开半小时，方便上班族",
    "楼道里堆放杂物，存在消防隐患",
]
SECOND_OPINIONS = [
    "楼下绿化带常年没人修剪，蚊子很多",
    "希望增加一些绿化和休息的长椅",
    "广场舞音乐太响，噪音影响孩子写作业",
    "夜里施工噪音太大，希望规定作业时间",
]


@pytest.fixture
def keyword_model(monkeypatch):
    """The same deterministic model the child process uses (see tests/support_faults.py)."""
    use_keyword_model(monkeypatch)


def _consultation(engine) -> int:
    return consultation_with_opinions(engine, FIRST_OPINIONS, title="小区微更新",
                                      question="小区环境还有哪些要改进的地方？", area_name="5号楼")


def _add_opinions(engine, consultation_id: int, texts: list[str]) -> None:
    with Session(engine) as s:
        area = s.exec(select(Area)).first()
        for text in texts:
            s.add(Opinion(consultation_id=consultation_id, area_id=area.id, text_original=text,
                          text_public=text))
        s.commit()


def _snapshot(engine, consultation_id: int) -> dict:
    """Everything a run may change, as plain values."""
    with Session(engine) as s:
        themes = s.exec(select(Theme).where(Theme.consultation_id == consultation_id)
                        .order_by(col(Theme.id))).all()
        assignments = s.exec(select(ThemeAssignment).order_by(col(ThemeAssignment.opinion_id))).all()
        opinions = s.exec(select(Opinion).order_by(col(Opinion.id))).all()
        return {
            "themes": [(t.id, t.label, t.active, t.run_id, t.size, t.position, tuple(t.keywords))
                       for t in themes],
            "assignments": [(a.opinion_id, a.theme_id, a.source) for a in assignments],
            "duplicates": [(o.id, o.duplicate_of_id) for o in opinions],
        }


def _runs(engine, consultation_id: int) -> list[AnalysisRun]:
    with Session(engine) as s:
        return list(s.exec(select(AnalysisRun).where(AnalysisRun.consultation_id == consultation_id)
                           .order_by(col(AnalysisRun.id))))


def _spawn(url: str, consultation_id: int, pause_at: str, model: str = "keyword") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support_faults", "analysis", url, str(consultation_id),
         "--pause-at", pause_at, "--model", model],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_for_pause(proc: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the child prints (or dies)
    if not line.startswith("PAUSED") or time.time() > deadline:
        proc.kill()
        raise AssertionError(f"child did not pause: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return line


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _active_labels(engine, consultation_id: int) -> set[str]:
    with Session(engine) as s:
        return {t.label for t in s.exec(select(Theme).where(
            Theme.consultation_id == consultation_id, col(Theme.active).is_(True)))}


def _check_kill_then_recover(engine, url: str, pause_at: str) -> None:
    cid = _consultation(engine)
    first = analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)
    assert first.status == RunStatus.SUCCEEDED
    assert _active_labels(engine, cid) == {"电梯相关", "停车相关", "食堂相关", "其他"}
    _add_opinions(engine, cid, SECOND_OPINIONS)
    before = _snapshot(engine, cid)

    proc = _spawn(url, cid, pause_at)
    try:
        _wait_for_pause(proc)
        # While the child sits on its uncommitted theme set, readers still see the old one.
        assert _snapshot(engine, cid) == before
    finally:
        _kill(proc)

    assert _snapshot(engine, cid) == before, "a killed run changed the theme set"
    runs = _runs(engine, cid)
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.RUNNING]
    killed_id = runs[-1].id

    # The next run notices the dead process, closes its run and succeeds.
    again = analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)
    assert again.status == RunStatus.SUCCEEDED
    runs = {r.id: r for r in _runs(engine, cid)}
    assert runs[killed_id].status == RunStatus.FAILED
    assert runs[killed_id].error == analysis_runs.STALE_RUN_ERROR
    assert _active_labels(engine, cid) == {"电梯相关", "停车相关", "食堂相关", "绿化相关",
                                           "噪音相关", "其他"}
    with Session(engine) as s:
        assert analysis_runs.latest_run(s, cid).id == again.id
        n_assigned = s.exec(sa.select(sa.func.count()).select_from(ThemeAssignment)).scalar_one()
        assert n_assigned == len(FIRST_OPINIONS) + len(SECOND_OPINIONS)


@pytest.mark.slow
@pytest.mark.parametrize("pause_at", ["fit", "store"])
def test_sigkill_during_analysis_leaves_previous_themes_on_sqlite(engine, settings, keyword_model,
                                                                  pause_at):
    _check_kill_then_recover(engine, settings.database_url, pause_at)
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_during_analysis_leaves_previous_themes_on_postgresql(pg_engine, pg_url,
                                                                      keyword_model):
    _check_kill_then_recover(pg_engine, pg_url, "store")


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_partial_theme_set(engine, settings,
                                                                    keyword_model):
    """Kill at a random moment after the run row appears: all or nothing, never a mix."""
    cid = _consultation(engine)
    analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)
    _add_opinions(engine, cid, SECOND_OPINIONS)
    before = _snapshot(engine, cid)
    rng = random.Random(2026)
    outcomes = []
    for _ in range(6):
        n_runs = len(_runs(engine, cid))
        proc = _spawn(settings.database_url, cid, "none")
        while len(_runs(engine, cid)) == n_runs and proc.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.04))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        last = _runs(engine, cid)[-1]
        now = _snapshot(engine, cid)
        if last.status == RunStatus.SUCCEEDED:
            outcomes.append("finished")
            assert "绿化相关" in _active_labels(engine, cid)
            assert len(now["assignments"]) == len(FIRST_OPINIONS) + len(SECOND_OPINIONS)
            before = now  # a finished run is the new baseline; what matters is it was whole
            continue
        outcomes.append("killed")
        assert now == before, f"partial theme set after a kill ({outcomes})"
    print("outcomes", outcomes)
    assert "killed" in outcomes


def test_a_live_run_blocks_a_second_one_but_a_dead_one_does_not(engine, keyword_model):
    cid = _consultation(engine)
    with Session(engine) as s:
        # A run of a live process on this machine (this very test process) ...
        s.add(AnalysisRun(consultation_id=cid, params={"worker": analysis_runs._worker()}))
        s.commit()
    with pytest.raises(InvalidInput, match="正在进行中"):
        analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)

    # ... is stale once it is older than the limit (e.g. its machine went away).
    with Session(engine) as s:
        run = s.exec(select(AnalysisRun)).one()
        run.params = {"worker": {"host": "another-replica", "pid": 1}}
        run.started_at = run.started_at - timedelta(hours=2)
        s.add(run)
        s.commit()
    done = analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)
    assert done.status == RunStatus.SUCCEEDED
    assert [r.status for r in _runs(engine, cid)] == [RunStatus.FAILED, RunStatus.SUCCEEDED]


def test_mark_stale_runs_keeps_recent_runs_of_other_machines(session, engine):
    cid = _consultation(engine)
    session.add(AnalysisRun(consultation_id=cid, params={"worker": {"host": "replica-2", "pid": 4}}))
    session.commit()
    assert analysis_runs.mark_stale_runs(session) == []
    assert analysis_runs.mark_stale_runs(session, older_than=timedelta(0)) != []


# ---------------------------------------------------------------- bulk import


def _spawn_roster(url: str, rows: int, pause_at: str, offset: int = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support_faults", "roster", url, str(rows), "--pause-at", pause_at,
         "--offset", str(offset)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _roster_state(engine) -> tuple[int, int, int]:
    from portal.models import AuditEvent

    with Session(engine) as s:
        count = lambda model: s.exec(sa.select(sa.func.count()).select_from(model)).scalar_one()  # noqa: E731
        return count(Resident), count(Area), count(AuditEvent)


def _one_community(engine) -> None:
    with Session(engine) as s:
        community = Community(name="梧桐里社区")
        s.add(community)
        s.flush()
        s.add(Area(community_id=community.id, name="1号楼", grid="第一网格"))
        s.commit()


@pytest.mark.slow
def test_sigkill_before_the_roster_import_commits_leaves_no_resident(engine, settings):
    _one_community(engine)
    before = _roster_state(engine)
    proc = _spawn_roster(settings.database_url, 3000, "commit")
    try:
        _wait_for_pause(proc)
        assert _roster_state(engine) == before  # readers never see the half-done import
    finally:
        _kill(proc)
    assert _roster_state(engine) == before, "a killed import left residents or buildings behind"
    # the same file imports completely afterwards
    done = _spawn_roster(settings.database_url, 3000, "none")
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    residents, areas, events = _roster_state(engine)
    assert residents == before[0] + 3000 and areas == 12 and events == before[2] + 1


@pytest.mark.slow
def test_sigkill_at_random_moments_of_a_roster_import_is_all_or_nothing(engine, settings):
    _one_community(engine)
    rng = random.Random(11)
    # How long a whole import takes here (start-up included), to aim the kills inside it.
    started = time.perf_counter()
    full = _spawn_roster(settings.database_url, 2000, "none")
    _, err = full.communicate(timeout=120)
    assert full.returncode == 0, err
    duration = time.perf_counter() - started
    outcomes = []
    for attempt in range(1, 7):
        before = _roster_state(engine)
        proc = _spawn_roster(settings.database_url, 2000, "none", offset=attempt * 10_000)
        time.sleep(rng.uniform(0.5, 1.1) * duration)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr.read() if proc.stderr else ""
        residents = _roster_state(engine)[0]
        assert residents in (before[0], before[0] + 2000), f"partial import: {residents - before[0]} rows"
        outcomes.append("imported" if residents > before[0] else "killed")
    print("outcomes", outcomes)
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"


# ---------------------------------------------------------------- the real model

HAS_THEMES = (ROOT / "analysis" / "themes.py").exists()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_THEMES, reason="analysis.ThemeModel has not landed yet")
def test_sigkill_during_a_real_analysis_run_leaves_previous_themes(engine, settings):
    from tests.portal.real_corpus import consultation_with_demo_opinions

    cid = consultation_with_demo_opinions(engine, 60)
    first = analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)
    assert first.status == RunStatus.SUCCEEDED
    before = _snapshot(engine, cid)
    proc = _spawn(settings.database_url, cid, "store", model="real")
    try:
        _wait_for_pause(proc, timeout=180)
    finally:
        _kill(proc)
    assert _snapshot(engine, cid) == before
    again = analysis_runs.run_analysis(engine, actor=SystemActor("test"), consultation_id=cid)
    assert again.status == RunStatus.SUCCEEDED
    assert [r.status for r in _runs(engine, cid)] == [RunStatus.SUCCEEDED, RunStatus.FAILED,
                                                      RunStatus.SUCCEEDED]
