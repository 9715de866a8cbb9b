from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from portal.models import Consultation, Decision, Phase, Response, Theme, ThemeStatus
from tests.pages.conftest import open_page
from tests.pages.review_db import make_review_db, open_direct

PAGE = "app_pages/committee/answers.py"


@pytest.fixture
def review(tmp_path, monkeypatch):
    engine, world = make_review_db(tmp_path, monkeypatch)
    yield engine, world
    engine.dispose()


def _answer(at, tid, decision, reasoning, party, due=None):
    next(s for s in at.selectbox if s.label == "主题").set_value(tid).run()
    at.radio(key=f"answers.decision.{tid}").set_value(decision)
    at.text_area(key=f"answers.reasoning.{tid}").input(reasoning)
    at.text_input(key=f"answers.party.{tid}").input(party)
    if due is None:
        at.checkbox(key=f"answers.nodue.{tid}").check()
    else:
        at.date_input(key=f"answers.due.{tid}").set_value(due)
    at.button(key=f"FormSubmitter:answers.form.{tid}-保存回应").click().run()
    return at


def test_answer_a_theme_then_post_progress(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    assert not at.exception
    tid = world.themes["电动车充电"]
    due = date.today() + timedelta(days=45)
    _answer(at, tid, Decision.ADOPT, "在3号楼东侧新建集中充电棚，安装20个充电口，收费每小时一元",
            "居委会、物业公司", due)
    assert not at.exception
    assert at.success[0].value == "已保存对“电动车充电”的回应。"
    with Session(engine) as s:
        response = s.exec(select(Response).where(Response.theme_id == tid)).one()
        assert (response.decision, response.due_date, response.responsible_party) == (Decision.ADOPT, due,
                                                                                        "居委会、物业公司")
    assert at.get("progress")[0].proto.text == "已回应 1 / 3 个主题（不含“其他”）"
    at.selectbox(key=f"answers.status.{tid}").set_value(ThemeStatus.IN_PROGRESS)
    at.text_area(key=f"answers.note.{tid}").input("充电棚已开工，预计两周完成")
    at.button(key=f"FormSubmitter:answers.update.{tid}-发布进展").click().run()
    assert at.success[0].value == "已发布“电动车充电”的进展：处理中。"
    assert "充电棚已开工，预计两周完成" in [t.value for t in at.text]
    with Session(engine) as s:
        assert s.get(Theme, tid).status == ThemeStatus.IN_PROGRESS


def test_bad_answer_keeps_what_was_typed(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    tid = world.themes["车位不足"]
    _answer(at, tid, Decision.ADOPT, "会考虑的", "物业公司", date.today() + timedelta(days=10))
    assert at.error[0].value == "请写明理由（至少 10 个字），让居民知道为什么这样决定。"
    assert at.text_area(key=f"answers.reasoning.{tid}").value == "会考虑的"
    _answer(at, tid, Decision.ADOPT, "物业将在东门空地划出三十个临时车位", "物业公司")  # no due date
    assert at.error[0].value == "“采纳”需要填写计划完成日期。"
    with Session(engine) as s:
        assert s.exec(select(Response)).first() is None


def test_publish_needs_confirmation_while_themes_are_unanswered(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    _answer(at, world.themes["电动车充电"], Decision.DECLINE, "小区没有合适的地方建充电棚，明年再议", "居委会")
    assert "还有 2 个主题没有回应：车位不足、外来车辆" in at.warning[0].value
    assert "4 / 4 个主题的摘要还没有审核" in at.warning[1].value and "“其他”" in at.warning[1].value
    at.button(key="answers.publish").click().run()
    plan = at.warning[-1].value
    assert "其中 2 个主题尚未回应" in plan and "4 个主题的摘要未审核" in plan and "不能撤回" in plan
    with Session(engine) as s:  # one click alone published nothing
        assert s.get(Consultation, world.consultation_id).phase != Phase.PUBLISHED
    at.button(key="answers.publish.confirm").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("“停车难与非机动车充电”的结果已公示")
    with Session(engine) as s:
        assert s.get(Consultation, world.consultation_id).phase == Phase.PUBLISHED


def test_clerk_is_refused(review):
    engine, world = review
    at = open_direct(PAGE, actor=world.clerk)
    assert at.error[0].value == "您的账号没有访问此页面的权限。"
    assert not at.get("radio")
