"""Staff safety in a real browser, at 1280 px and at 390 px: an irreversible action says what it
will do, with counts, and one click alone changes nothing; staff tables get the room they need;
the audit log reads as names and sentences."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlmodel import Session, SQLModel, func, select

from portal.db import make_engine, unit_of_work
from portal.models import ParticipationCode, Resident
from portal.services.identity.roster import issue_codes
from tests.ops_support import PASSWORD, build_hood
from tests.support import start_portal

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def safety_portal(tmp_path_factory):
    """梧桐里社区 where every resident already holds a code; yields (url, engine)."""
    workdir = tmp_path_factory.mktemp("safety-portal")
    db = workdir / "safety.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        hood = build_hood(session)
        session.commit()
    ids = [r.id for r in hood.residents]
    unit_of_work(engine, lambda s: issue_codes(s, actor=hood.admin, resident_ids=ids))
    proc, url = start_portal(workdir / "var", db)
    yield url, engine
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    engine.dispose()


def _usable(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(ParticipationCode)
                      .where(ParticipationCode.revoked_at.is_(None))).one()


def _open_signed_in(pg, url: str, path: str) -> None:
    """Open a staff page by its address; signed out, it asks for the password and comes back."""
    pg.goto(f"{url}/{path}")
    pg.get_by_label("用户名").fill("wang")
    pg.get_by_label("密码").fill(PASSWORD)
    pg.get_by_test_id("stFormSubmitButton").click()
    pg.get_by_role("heading", name="居民名册与参与码" if path == "roster" else "审计日志").wait_for()


@pytest.mark.parametrize("device", ["page", "phone"])
def test_reissuing_every_code_says_how_many_and_waits_for_confirm(safety_portal, request, shots, device):
    url, engine = safety_portal
    pg = request.getfixturevalue(device)
    width = 1280 if device == "page" else 390
    n = _usable(engine)
    with Session(engine) as s:
        residents = s.exec(select(func.count()).select_from(Resident)).one()
    assert n == residents  # everyone holds a usable code
    _open_signed_in(pg, url, "roster")
    pg.get_by_text("只给还没有有效参与码的居民发放").click()
    pg.get_by_text(f"将为 {residents} 位居民发放参与码").wait_for()
    pg.get_by_role("button", name="发放并生成打印文件").click()
    warning = pg.get_by_text(f"将作废 {residents} 个有效参与码并重新发放")
    warning.wait_for()
    confirm = pg.get_by_role("button", name=f"确认作废并重新发放 {residents} 个参与码")
    confirm.scroll_into_view_if_needed()
    box = confirm.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width  # reachable on a phone
    assert pg.evaluate("document.documentElement.scrollWidth") <= width + 2
    pg.screenshot(path=str(shots / f"reissue-confirm-{width}.png"))
    assert _usable(engine) == n  # one click alone changed nothing
    pg.get_by_role("button", name="取消").click()
    warning.wait_for(state="detached")
    assert _usable(engine) == n
    if device == "page":  # now for real: the old codes are revoked, new ones issued
        pg.get_by_role("button", name="发放并生成打印文件").click()
        confirm.click()
        pg.get_by_text(f"已发放 {residents} 个参与码").wait_for()
        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(ParticipationCode)).one() == 2 * residents
        assert _usable(engine) == residents


def test_staff_tables_use_the_width_and_the_audit_log_reads_as_sentences(safety_portal, page, shots):
    url, engine = safety_portal
    _open_signed_in(page, url, "roster")
    page.get_by_role("tab", name="名册与补发").click()
    table = page.get_by_test_id("stDataFrame").first
    table.wait_for()
    box = table.bounding_box()
    assert box is not None and box["width"] > 800  # the centred column is 736 px wide
    page.screenshot(path=str(shots / "roster-wide-1280.png"))
    page.goto(f"{url}/audit")
    page.get_by_role("heading", name="审计日志").wait_for()
    page.get_by_text("最近").wait_for()
    page.get_by_test_id("stDataFrame").first.wait_for()
    search = page.get_by_label("筛选（人名、操作或内容）")
    search.fill("王主任 为居民 #")  # the sentences name the person and the resident's building
    search.press("Enter")
    page.get_by_text(re.compile(r"最近 (1[2-9]|2\d) 条记录")).wait_for()
    for raw in ("committee:", "resident "):
        search.fill(raw)
        search.press("Enter")
        page.get_by_text("最近 0 条记录").wait_for()
    search.fill("")
    search.press("Enter")
    page.get_by_text(re.compile(r"最近 [1-9]\d* 条记录")).wait_for()
    page.screenshot(path=str(shots / "audit-sentences-1280.png"))
