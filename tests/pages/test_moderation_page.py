import pytest
from sqlmodel import Session, select

from portal.models import AuditEvent, Opinion, Report, ReportTarget, Visibility
from tests.pages.conftest import open_page
from tests.pages.review_db import make_review_db, open_direct

PAGE = "app_pages/committee/moderation.py"


@pytest.fixture
def review(tmp_path, monkeypatch):
    engine, world = make_review_db(tmp_path, monkeypatch)
    with Session(engine) as s:
        op = s.get(Opinion, world.opinions["外来车辆"][0])
        op.text_original = "门卫就是个摆设，脑子有问题吧，电话13912345678"
        op.text_public = "门卫就是个摆设，脑子有问题吧，电话[手机号]"
        op.flags = ["abusive", "pii"]
        s.add(op)
        s.add(Report(target_type=ReportTarget.OPINION, target_id=op.id, consultation_id=world.consultation_id,
                     resident_id=world.residents[0], reason="辱骂工作人员"))
        s.commit()
    yield engine, world
    engine.dispose()


def test_queue_shows_reported_flagged_and_flood_items(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    assert not at.exception
    texts = [t.value for t in at.text]
    assert "⚑ 居民举报 1 次：辱骂工作人员；疑似不文明用语；含个人信息" in texts
    assert "门卫就是个摆设，脑子有问题吧，电话[手机号]" in texts
    assert any(t.startswith("⚑ 3 条几乎相同的意见，来自 3 位居民") for t in texts)


def test_hide_with_reason_then_restore(review):
    engine, world = review
    oid = world.opinions["外来车辆"][0]
    at = open_page(PAGE, actor=world.reviewer)
    at.button(key=f"mod.hide.opinion:{oid}").click().run()
    assert at.error[0].value.startswith("请填写隐藏的理由")
    at.text_input(key=f"mod.reason.opinion:{oid}").input("含有人身攻击，违反议事规则").run()
    at.button(key=f"mod.hide.opinion:{oid}").click().run()
    assert at.success[0].value == f"已隐藏意见 #{oid}。"
    with Session(engine) as s:
        assert s.get(Opinion, oid).visibility == Visibility.HIDDEN
        assert s.exec(select(Report)).one().resolved_at is not None
    at.segmented_control(key="mod.view").set_value("已隐藏").run()
    assert "隐藏理由：含有人身攻击，违反议事规则" in [t.value for t in at.text]
    at.text_input(key=f"mod.restore_reason.opinion:{oid}").input("复核后作者已道歉并修改").run()
    at.button(key=f"mod.restore.opinion:{oid}").click().run()
    assert "将恢复显示意见" in at.warning[0].value and "含有人身攻击" in at.warning[0].value
    with Session(engine) as s:  # asked, not yet done
        assert s.get(Opinion, oid).visibility == Visibility.HIDDEN
    at.button(key=f"mod.restore.opinion:{oid}.confirm").click().run()
    assert at.success[0].value == f"已恢复意见 #{oid}。"
    with Session(engine) as s:
        assert s.get(Opinion, oid).visibility == Visibility.VISIBLE
        actions = [e.action for e in s.exec(select(AuditEvent))]
    assert actions[-2:] == ["opinion.hide", "opinion.restore"]


def test_hide_flood_copies(review):
    engine, world = review
    group = [world.opinions["电动车充电"][i] for i in (0, 3, 4)]
    at = open_page(PAGE, actor=world.reviewer)
    at.button(key=f"mod.flood_hide.flood:{group[0]}").click().run()
    assert "将隐藏这组中的 2 条重复意见" in at.warning[0].value
    with Session(engine) as s:  # one click alone hid nothing
        assert [s.get(Opinion, i).visibility for i in group] == ["visible"] * 3
    at.button(key=f"mod.flood_hide.flood:{group[0]}.confirm").click().run()
    assert at.success[0].value == "已隐藏 2 条重复意见。"
    with Session(engine) as s:
        assert [s.get(Opinion, i).visibility for i in group] == ["visible", "hidden", "hidden"]


def test_clerk_is_refused(review):
    engine, world = review
    at = open_direct(PAGE, actor=world.clerk)
    assert at.error[0].value == "您的账号没有访问此页面的权限。"
    assert not at.text
