"""名册与参与码 page: import with row errors, issue codes and download the slips."""

import pytest
from sqlmodel import Session, func, select

from portal.models import ParticipationCode, Resident
from tests.pages.ops_fixtures import ops_database, run_page


@pytest.fixture
def ops_db(tmp_path, monkeypatch):
    yield from ops_database(tmp_path, monkeypatch)


PAGE = "committee/roster.py"


def test_reviewer_is_refused(ops_db):
    _, hood = ops_db
    assert run_page(PAGE, hood.reviewer).error[0].value == "您的账号没有访问此页面的权限。"


def test_issue_codes_for_one_building_offers_the_pdf(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.clerk)
    assert "将为 **12** 位居民发放参与码" in at.markdown[0].value
    at.multiselect(key="roster.codes.areas").select(hood.areas[0].id)
    at = at.run()
    assert "将为 **4** 位居民发放参与码，生成 1 页 A4 纸条" in at.markdown[0].value
    at.button(key="roster.codes.issue").click()
    at = at.run()
    assert "已发放 4 个参与码" in at.success[0].value
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ParticipationCode)).one() == 4
    # the slips stay offered until the clerk says they are printed
    assert "roster.pdf" in at.session_state
    name, pdf, n = at.session_state["roster.pdf"]
    assert pdf.startswith(b"%PDF") and n == 4 and name.endswith(".pdf")
    at.button(key="roster.done").click()
    at = at.run()
    assert "roster.pdf" not in at.session_state
    assert "将为 **0** 位居民" in at.markdown[0].value  # 1号楼 all have codes now


def test_roster_list_and_revoke(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.admin)
    at.button(key="roster.reissue").click()  # first resident in the list
    at = at.run()
    assert "已发放 1 个参与码" in at.success[0].value
    at.button(key="roster.revoke").click()
    at = at.run()
    assert at.success[0].value.startswith("已作废 #")
    with Session(engine) as s:
        code = s.exec(select(ParticipationCode)).one()
        assert code.revoked_at is not None
        assert s.exec(select(func.count()).select_from(Resident)).one() == 12


def test_taking_a_resident_off_the_roster_asks_first(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.clerk)
    rid = at.selectbox(key="roster.list.resident").value
    at.button(key="roster.deactivate").click()
    at = at.run()
    shown = at.warning[0].value.replace("\\", "")  # the sentence is Markdown-escaped
    assert f"将把 #{rid}" in shown and "移出名册" in shown
    with Session(engine) as s:
        assert s.get(Resident, rid).active  # not yet
    at.button(key="roster.deactivate.confirm").click()
    at = at.run()
    assert at.success[0].value == f"已将 #{rid} 移出名册。"
    with Session(engine) as s:
        assert not s.get(Resident, rid).active


def _usable_codes(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(ParticipationCode)
                      .where(ParticipationCode.revoked_at.is_(None))).one()


def test_reissuing_everyones_codes_says_how_many_and_waits_for_confirm(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.clerk)
    at.button(key="roster.codes.issue").click()  # nobody has a code yet: nothing to lose, no question
    at = at.run()
    assert "已发放 12 个参与码" in at.success[0].value
    at.button(key="roster.done").click()
    at = at.run()
    at.checkbox(key="roster.codes.only_new").uncheck()
    at = at.run()
    at.button(key="roster.codes.issue").click()
    at = at.run()
    assert "将作废 12 个有效参与码并重新发放" in at.warning[0].value
    assert _usable_codes(engine) == 12  # one click alone changed nothing
    # the selection changes: the question is withdrawn, not answered with stale counts
    at.multiselect(key="roster.codes.areas").select(hood.areas[0].id)
    at = at.run()
    assert not at.warning and _usable_codes(engine) == 12
    at.button(key="roster.codes.issue").click()
    at = at.run()
    assert "将作废 4 个有效参与码并重新发放（共 4 位居民）" in at.warning[0].value
    at.button(key="roster.codes.issue.cancel").click()
    at = at.run()
    assert not at.warning
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ParticipationCode)).one() == 12
    at.button(key="roster.codes.issue").click()
    at = at.run()
    at.button(key="roster.codes.issue.confirm").click()
    at = at.run()
    assert "已发放 4 个参与码" in at.success[0].value
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ParticipationCode)).one() == 16
    assert _usable_codes(engine) == 12
