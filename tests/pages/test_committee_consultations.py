"""议题管理 page: create with validation, phase change with confirmation."""

import pytest
from sqlmodel import Session, select

from portal.models import Consultation, Phase
from portal.timefmt import local_date
from tests.pages.ops_fixtures import ops_database, run_page


@pytest.fixture
def ops_db(tmp_path, monkeypatch):
    yield from ops_database(tmp_path, monkeypatch)


PAGE = "committee/consultations.py"


def test_reviewer_is_refused(ops_db):
    _, hood = ops_db
    at = run_page(PAGE, hood.reviewer)
    assert at.error[0].value == "您的账号没有访问此页面的权限。"


def test_create_with_bad_dates_keeps_the_text_then_succeeds(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.admin)
    at.text_input(key="cons.0.title").input("垃圾分类投放点调整")
    at.text_area(key="cons.0.question").input("您觉得投放点应该设在哪里？")
    opens = at.date_input(key="cons.0.opens").value
    at.date_input(key="cons.0.closes").set_value(opens)
    at.button[0].click()
    at = at.run()
    assert at.error[0].value == "截止日期必须晚于开始日期。"
    assert at.text_input(key="cons.0.title").value == "垃圾分类投放点调整"
    from datetime import timedelta

    at.date_input(key="cons.0.closes").set_value(opens + timedelta(days=10))
    at.button[0].click()
    at = at.run()
    assert at.success[0].value == "已保存“垃圾分类投放点调整”。"
    with Session(engine) as s:
        c = s.exec(select(Consultation).where(Consultation.title == "垃圾分类投放点调整")).one()
        assert c.phase == Phase.DRAFT


def test_phase_change_needs_confirmation(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.admin)
    at.selectbox(key="cons.selected").select(hood.draft.id)
    at = at.run()
    at.button(key="cons.move.collecting").click()
    at = at.run()
    assert "确认把“小区绿化改造”从“草稿”切换到“征集中”" in at.warning[0].value
    with Session(engine) as s:
        assert s.get(Consultation, hood.draft.id).phase == Phase.DRAFT  # not yet
    at.button(key="cons.cancel").click()
    at = at.run()
    at.button(key="cons.move.collecting").click()
    at = at.run()
    at.button(key="cons.confirm").click()
    at = at.run()
    assert at.success[0].value == "“小区绿化改造”已进入征集中阶段。"
    with Session(engine) as s:
        assert s.get(Consultation, hood.draft.id).phase == Phase.COLLECTING


def test_phase_buttons_come_from_the_phase_table(ops_db):
    """A collection past its closing date is 研判中 on the page too: the buttons are the table's
    moves from there, and reopening asks for a new closing date."""
    from datetime import timedelta

    from portal.models import utcnow

    engine, hood = ops_db
    with Session(engine) as s:
        c = s.get(Consultation, hood.collecting.id)
        c.closes_at = utcnow() - timedelta(days=2)
        s.add(c)
        s.commit()
    at = run_page(PAGE, hood.admin)
    at.selectbox(key="cons.selected").select(hood.collecting.id)
    at = at.run()
    labels = [b.label for b in at.button if b.key and b.key.startswith("cons.move.")]
    assert labels == ["重新开放征集"]
    assert any("已自动进入研判" in c.value for c in at.caption)
    at.button(key="cons.move.collecting").click()
    at = at.run()
    new_close = at.date_input(key="cons.reopen_closes").value
    at.button(key="cons.confirm").click()
    at = at.run()
    assert at.success[0].value == "“楼道堆物清理”已进入征集中阶段。"
    with Session(engine) as s:
        c = s.get(Consultation, hood.collecting.id)
        assert c.phase == Phase.COLLECTING
        assert local_date(c.closes_at) == new_close
