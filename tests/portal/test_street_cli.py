"""`consult community …`, accounts and codes per community, and `consult analyse` (decision 0025),
as an operator types them: clear Chinese for every mistake, the batch analysis idempotent and
safe when two machines run it at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from portal.cli import app
from portal.db import make_engine
from portal.models import AnalysisRun, CommitteeUser, Community, Phase, RunStatus, Street
from tests import factories

PARKING = [
    "小区东门的路灯坏了好几个月，晚上老人出门很危险，希望尽快修好",
    "东门路灯不亮，晚上回家看不清台阶，已经有人摔倒了",
    "路灯坏了很久，请物业尽快维修东门附近的照明",
    "电动车在楼道里充电太危险了，希望多装几个充电桩",
    "楼道里飞线充电的电瓶车很多，万一着火后果不堪设想",
    "充电桩太少，大家只好把电瓶车推进楼道充电，建议增加充电棚",
]
GARBAGE = [
    "垃圾分类的投放点离我们楼太远，老人提着垃圾走很累",
    "垃圾投放时间太短，上班族根本赶不上，能不能延长一点",
    "希望垃圾分类督导员早上多站一会儿，很多人乱扔",
    "新的投放点离我家窗户太近，夏天味道肯定受不了",
    "投放点要有洗手池，不然大家手上都是脏东西",
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def street_db(settings):
    """An empty, migrated database with two communities of 清河街道, made with the CLI."""
    assert run("init-db")[0] == 0
    assert run("community", "add", "wutongli", "--name", "梧桐里社区", "--street", "清河街道",
               "--district", "临江区")[0] == 0
    code, out = run("community", "add", "yinxingyuan", "--name", "银杏苑社区", "--street", "清河街道")
    assert code == 0 and "/?c=yinxingyuan" in out
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def _community(engine, slug: str) -> Community:
    with Session(engine) as s:
        return s.exec(select(Community).where(Community.slug == slug)).one()


def test_communities_are_added_listed_and_mistakes_explained(street_db):
    code, out = run("community", "list")
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "wutongli" in lines[0] and "梧桐里社区" in lines[0] and "清河街道" in lines[0]
    assert "yinxingyuan" in lines[1]

    code, out = run("community", "add", "wutongli", "--name", "另一个社区")
    assert code == 2 and "社区代号 wutongli 已被使用" in out
    code, out = run("community", "add", "Wu Tong!", "--name", "梧桐社区")
    assert code == 2 and "社区代号只能用小写英文字母" in out
    code, out = run("community", "add", "wutong2", "--name", "梧桐里社区")
    assert code == 2 and "已经有名为“梧桐里社区”的社区" in out
    with Session(street_db) as s:
        assert len(s.exec(select(Community)).all()) == 2
        assert len(s.exec(select(Street)).all()) == 1


def test_accounts_belong_to_a_community_or_a_street(street_db):
    code, out = run("user", "add", "wang", "--role", "admin", "--community", "wutongli", "--name", "王主任",
                    "--password", "Wutong2026")
    assert code == 0, out
    code, out = run("user", "add", "street", "--role", "street_admin", "--street", "清河街道",
                    "--password", "Street2026")
    assert code == 0, out
    code, out = run("user", "add", "li", "--role", "clerk", "--community", "nosuch", "--password", "Clerk2026x")
    assert code == 2 and "找不到代号为“nosuch”的社区" in out
    code, out = run("user", "add", "zhao", "--role", "clerk", "--password", "Clerk2026x")
    assert code == 2 and "多个社区" in out  # who would the clerk work for?
    code, out = run("user", "add", "qian", "--role", "street_admin", "--password", "Street2026x")
    assert code == 2 and "--street" in out
    code, out = run("user", "add", "sun", "--role", "street_admin", "--street", "北湖街道", "--password", "Street2026x")
    assert code == 2 and "找不到名为“北湖街道”的街道" in out
    with Session(street_db) as s:
        users = {u.username: (u.role, u.community_id, u.street_id) for u in s.exec(select(CommitteeUser))}
    hood = _community(street_db, "wutongli")
    assert users == {"wang": ("admin", hood.id, None), "street": ("street_admin", None, hood.street_id)}


def test_codes_are_issued_per_community(street_db):
    with Session(street_db) as s:
        for slug, building in (("wutongli", "3号楼"), ("yinxingyuan", "1幢")):
            c = s.exec(select(Community).where(Community.slug == slug)).one()
            area = factories.buildings(s, c, [(building, "第一网格")])[0]
            factories.residents(s, c, [area], 2, age_bands=["60-69"])
        s.commit()
    code, out = run("codes", "--demo", "5")
    assert code == 2 and "多个社区" in out and "--community" in out
    code, out = run("codes", "--demo", "5", "--community", "yinxingyuan")
    assert code == 0
    lines = [line for line in out.splitlines() if "参与码" in line]
    assert len(lines) == 2 and all("1幢" in line for line in lines)


def _consultation(engine, slug: str, title: str, texts: list[str]) -> int:
    with Session(engine) as s:
        c = s.exec(select(Community).where(Community.slug == slug)).one()
        area = factories.buildings(s, c, [(f"{title[:2]}楼", "第一网格")])[0]
        people = factories.residents(s, c, [area], len(texts), age_bands=["45-59"])
        cons = factories.consultation(s, c, title=title, question="您有什么意见和建议？", phase=Phase.COLLECTING,
                                      opens_at=factories.days_from_now(-10), closes_at=factories.days_from_now(10))
        for person, text in zip(people, texts, strict=True):
            factories.opinion(s, cons, person, text)
        s.commit()
        return cons.id


def _runs(engine) -> dict[int, list[str]]:
    with Session(engine) as s:
        out: dict[int, list[str]] = {}
        for r in s.exec(select(AnalysisRun).order_by(col(AnalysisRun.id))):
            out.setdefault(r.consultation_id, []).append(str(r.status))
        return out


@pytest.mark.slow
def test_analyse_all_analyses_what_changed_and_says_when_nothing_did(street_db):
    parking = _consultation(street_db, "wutongli", "停车与照明", PARKING)
    garbage = _consultation(street_db, "yinxingyuan", "垃圾分类投放点", GARBAGE)
    code, out = run("analyse")
    assert code == 2 and "--all" in out

    code, out = run("analyse", "--all")
    assert code == 0, out
    assert "已分析 2 个议题" in out and "梧桐里社区 · 停车与照明" in out and "银杏苑社区 · 垃圾分类投放点" in out
    assert _runs(street_db) == {parking: ["succeeded"], garbage: ["succeeded"]}

    code, out = run("analyse", "--all")
    assert code == 0 and "没有需要分析的议题" in out
    assert _runs(street_db) == {parking: ["succeeded"], garbage: ["succeeded"]}

    with Session(street_db) as s:  # a new opinion in one consultation: only that one runs again
        resident = factories.residents(s, s.get(Community, _community(street_db, "yinxingyuan").id),
                                       factories.buildings(s, _community(street_db, "yinxingyuan"),
                                                           [("2幢", "第一网格")]), 1)[0]
        factories.opinion(s, garbage, resident, "投放点晚上要有路灯，不然黑灯瞎火的不敢去扔垃圾")
        s.commit()
    code, out = run("analyse", "--community", "yinxingyuan")
    assert code == 0 and "已分析 1 个议题" in out
    assert _runs(street_db) == {parking: ["succeeded"], garbage: ["succeeded", "succeeded"]}

    code, out = run("analyse", "--consultation", "999")
    assert code == 2 and "找不到这个议题" in out


def test_a_crashed_run_is_taken_over_not_stuck(street_db):
    """A run left 'running' by a process that no longer exists does not block the next batch."""
    parking = _consultation(street_db, "wutongli", "停车与照明", PARKING)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    import socket

    with Session(street_db) as s:
        s.add(AnalysisRun(consultation_id=parking, status=RunStatus.RUNNING, n_opinions=6,
                          params={"worker": {"host": socket.gethostname(), "pid": int(dead)}}))
        s.commit()
    code, out = run("analyse", "--all")
    assert code == 0 and "已分析 1 个议题" in out, out
    assert _runs(street_db) == {parking: ["failed", "succeeded"]}


@pytest.mark.postgres
def test_two_machines_running_the_batch_at_once_analyse_each_consultation_once(pg_url, tmp_path):
    """Two `consult analyse --all` processes on one PostgreSQL: every consultation is analysed
    exactly once; the process that finds a consultation locked or already done skips it."""
    env = dict(os.environ, DATABASE_URL=pg_url, PORTAL_VAR_DIR=str(tmp_path / "var"),
               PORTAL_SECRET_KEY="test-secret-key")
    cli = [sys.executable, "-m", "portal.cli"]
    subprocess.run([*cli, "init-db"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run([*cli, "community", "add", "wutongli", "--name", "梧桐里社区", "--street", "清河街道"],
                   env=env, check=True, capture_output=True, timeout=300)
    subprocess.run([*cli, "community", "add", "yinxingyuan", "--name", "银杏苑社区", "--street", "清河街道"],
                   env=env, check=True, capture_output=True, timeout=300)
    engine = make_engine(pg_url)
    ids = [_consultation(engine, "wutongli", "停车与照明", PARKING),
           _consultation(engine, "yinxingyuan", "垃圾分类投放点", GARBAGE),
           _consultation(engine, "wutongli", "夜间照明", PARKING[:3] + GARBAGE[:2])]
    procs = [subprocess.Popen([*cli, "analyse", "--all"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    runs = _runs(engine)
    assert {cid: [s for s in runs.get(cid, []) if s == "succeeded"] for cid in ids} == {
        cid: ["succeeded"] for cid in ids}
    assert all("failed" not in runs.get(cid, []) for cid in ids)
    analysed = sum(out.count("：已分析") for out, _ in outs)
    assert analysed == len(ids)
    engine.dispose()


def test_the_demo_lists_two_communities_of_one_street(tmp_path):
    """`consult demo` is the street: both communities on `community list` (reuses the test
    suite's demo database)."""
    from tests.support import demo_database, demo_env

    db = demo_database(tmp_path)
    out = subprocess.run([sys.executable, "-m", "portal.cli", "community", "list"],
                         env=demo_env(tmp_path / "var", Path(db)), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "wutongli" in lines[0] and "清河街道" in lines[0] and "居民    600" in lines[0]
    assert "yinxingyuan" in lines[1] and "银杏苑社区" in lines[1]
