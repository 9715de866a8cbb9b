"""提意见 page: preview with redaction notice and similar opinions, errors keep the text."""

import pytest
from sqlmodel import Session, select

from portal.models import Opinion, Vote
from tests.neighbourhood import neighbourhood_db, resident
from tests.pages.conftest import open_page

PAGE = "app_pages/resident/give.py"


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    yield from neighbourhood_db(tmp_path, monkeypatch)


PREVIEW = "FormSubmitter:give.form-下一步：预览"
CONFIRM = "FormSubmitter:give.form-确认提交"


def button(at, key):
    return next(b for b in at.button if b.key == key)


def click(at, key):
    button(at, key).click().run()
    assert not at.exception


def test_preview_shows_redaction_then_submit_stores_it(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood), query={"id": str(hood.collecting.id)})
    assert not at.exception
    assert at.selectbox(key="give.consultation").value == hood.collecting.id
    at.text_area(key="give.text").input("晚上车位不够，有事请打我电话13812345678，我想参加停车管理小组。")
    click(at, PREVIEW)
    warning = " ".join(w.value for w in at.warning)
    assert "手机号" in warning and "隐去" in warning
    shown = [t.value for t in at.text]
    assert any("[手机号]" in t and "13812345678" not in t for t in shown)
    click(at, CONFIRM)
    assert "意见已提交，谢谢您！" in [s.value for s in at.success]
    assert any("已隐去您填写的手机号" in i.value for i in at.info)
    assert at.text_area(key="give.text").value == ""  # an empty box for the next opinion
    with Session(engine) as s:
        op = s.exec(select(Opinion).order_by(Opinion.id.desc())).first()
        assert "[手机号]" in op.text_public and op.resident_id == hood.residents[0].id


def test_edits_after_the_preview_are_previewed_again_before_they_are_stored(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood))
    at.text_area(key="give.text").input("希望在北门增加一个非机动车停放点，现在电动车都停在路边。")
    click(at, PREVIEW)
    at.text_area(key="give.text").input("希望在北门增加一个非机动车停放点，并装上充电插座。")
    at.checkbox(key="give.anonymous").check()
    click(at, CONFIRM)
    assert any("您修改了内容" in w.value for w in at.warning)
    assert "希望在北门增加一个非机动车停放点，并装上充电插座。" in [t.value for t in at.text]
    with Session(engine) as s:
        assert s.exec(select(Opinion).where(Opinion.text_original.contains("北门"))).all() == []
    click(at, CONFIRM)
    assert "意见已提交，谢谢您！" in [x.value for x in at.success]
    with Session(engine) as s:
        (op,) = s.exec(select(Opinion).where(Opinion.text_original.contains("北门"))).all()
    assert op.text_original.endswith("并装上充电插座。") and op.anonymous


@pytest.mark.parametrize(("text", "message"), [
    ("   ", "不能为空"),
    ("🚗🚗🚗🚗🚗🚗🚗🚗🚗🚗", "没有文字"),
    ("停" * 1001, "太长了"),
])
def test_bad_input_shows_a_chinese_error_and_keeps_the_text(hood_db, text, message):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood))
    at.text_area(key="give.text").input(text)
    click(at, PREVIEW)
    assert any(message in e.value for e in at.error)
    assert at.text_area(key="give.text").value == text
    assert not any(b.key == CONFIRM for b in at.button)


def test_script_tags_are_shown_as_text(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood))
    at.text_area(key="give.text").input("<script>alert('坏人')</script>请修好东门的路灯，晚上太黑了。")
    click(at, PREVIEW)
    assert any(t.value.startswith("<script>alert('坏人')</script>") for t in at.text)
    assert all("<script>" not in m.value for m in at.markdown)


def test_similar_opinion_can_be_supported_instead(hood_db):
    pytest.importorskip("analysis.similarity", reason="analysis.SimilarOpinionIndex not merged yet")
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood))
    at.text_area(key="give.text").input("建议在东门附近增设电动自行车充电桩，从楼上拉电线充电太危险了。")
    click(at, PREVIEW)
    assert any("类似意见已有" in i.value for i in at.info)
    button(at, f"give.support.{hood.opinions[0].id}").click().run()
    assert any("投了同意票" in s.value for s in at.success)
    with Session(engine) as s:
        vote = s.exec(select(Vote).where(Vote.opinion_id == hood.opinions[0].id)).one()
        assert vote.value == "agree"


def test_no_collecting_consultation_is_explained(hood_db):
    engine, hood = hood_db
    with Session(engine) as s:
        c = s.get(type(hood.collecting), hood.collecting.id)
        c.phase = "reviewing"
        s.add(c)
        s.commit()
    at = open_page(PAGE, actor=resident(engine, hood))
    assert any("没有正在征集" in i.value for i in at.info)
