"""线下意见录入 page."""

import pytest
from sqlmodel import Session, select

from portal.models import Channel, Opinion
from tests.pages.ops_fixtures import ops_database, run_page


@pytest.fixture
def ops_db(tmp_path, monkeypatch):
    yield from ops_database(tmp_path, monkeypatch)


PAGE = "committee/offline.py"


def test_reviewer_is_refused(ops_db):
    _, hood = ops_db
    assert run_page(PAGE, hood.reviewer).error[0].value == "您的账号没有访问此页面的权限。"


def test_clerk_enters_a_phone_opinion_for_a_roster_resident(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.clerk)
    at.selectbox(key="offline.channel").select(Channel.PHONE)
    at.selectbox(key="offline.area").select(hood.areas[1].id)
    at = at.run()
    resident = hood.residents[5]
    at.selectbox(key=f"offline.resident.{hood.areas[1].id}").select(resident.id)
    at.text_area(key="offline.text").input("短")
    at.button[0].click()
    at = at.run()
    assert at.error[0].value == "意见太短了：至少需要 10 个字，现在只有 1 个字。请写得具体一些。"  # as online
    assert at.text_area(key="offline.text").value == "短"
    at.text_area(key="offline.text").input("二单元楼道的感应灯坏了一个月，晚上老人下楼很危险。")
    at.button[0].click()
    at = at.run()
    assert at.success[0].value == "已录入一条电话意见。"
    with Session(engine) as s:
        op = s.exec(select(Opinion)).one()
        assert (op.channel, op.resident_id, op.area_id, op.entered_by) == (
            Channel.PHONE, resident.id, hood.areas[1].id, hood.clerk.user_id)


def test_channel_mix_chart_is_shown(ops_db):
    _, hood = ops_db
    at = run_page(PAGE, hood.admin)
    import json

    chart = at.get("vega_lite_chart")[0].proto
    assert json.loads(chart.spec)["title"] == "意见来源渠道"
    assert json.loads(chart.spec)["layer"][0]["encoding"]["y"]["field"] == "渠道"  # Chinese axis


def test_no_collecting_consultation_says_so(ops_db):
    engine, hood = ops_db
    from portal.models import Consultation, Phase

    with Session(engine) as s:
        c = s.get(Consultation, hood.collecting.id)
        c.phase = Phase.REVIEWING
        s.add(c)
        s.commit()
    at = run_page(PAGE, hood.clerk)
    assert "目前没有正在征集意见的议题" in at.info[0].value


def test_saving_twice_keeps_one_opinion_and_a_new_draft_gets_a_new_token(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.clerk)
    text = "三号楼门口的垃圾桶满了没人收，夏天味道很大，希望每天清运两次。"
    at.text_area(key="offline.text").input(text)
    token = at.session_state["offline.text.token"]
    at.button[0].click()
    at = at.run()
    assert at.success[0].value == "已录入一条纸质意见。"
    assert at.session_state["offline.text.token"] != token  # the next draft has its own token
    # the same request sent again (a re-sent form carries the old token): still one opinion
    from datetime import date

    from portal.services.participation.offline import OfflineOpinion, enter_offline_opinion

    with Session(engine) as s:
        again = enter_offline_opinion(s, actor=hood.clerk, consultation_id=hood.collecting.id,
                                      item=OfflineOpinion(text, Channel.PAPER, date.today()),
                                      client_token=token)
        s.commit()
        assert len(s.exec(select(Opinion)).all()) == 1
        assert again.client_token == token


def test_clerk_corrects_then_withdraws_an_entry(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.clerk)
    at.text_area(key="offline.text").input("二单元楼道的感应灯坏了一个月，晚上老人下楼很危险。")
    at.button[0].click()
    at = at.run()
    with Session(engine) as s:
        oid = s.exec(select(Opinion)).one().id
    at.text_area(key=f"offline.fix.text.{oid}").input("二单元楼道的感应灯坏了两个月，晚上老人下楼很危险。")
    next(b for b in at.button if b.label == "保存更正").click()
    at = at.run()
    assert "请写明更正的理由" in at.error[0].value
    assert at.text_area(key=f"offline.fix.text.{oid}").value.startswith("二单元楼道的感应灯坏了两个月")  # kept
    at.text_input(key=f"offline.fix.reason.{oid}").input("录入时看错了原稿")
    next(b for b in at.button if b.label == "保存更正").click()
    at = at.run()
    assert at.success[0].value == f"已更正意见 #{oid}：意见内容。"
    at.text_input(key=f"offline.withdraw.reason.{oid}").input("同一张意见表重复录入")
    at.button(key=f"offline.withdraw.{oid}").click()
    at = at.run()
    assert "将撤回线下意见" in at.warning[0].value
    with Session(engine) as s:
        assert s.get(Opinion, oid).visibility == "visible"  # asked, not yet done
    at.button(key=f"offline.withdraw.{oid}.confirm").click()
    at = at.run()
    assert at.success[0].value == f"已撤回意见 #{oid}。"
    with Session(engine) as s:
        op = s.get(Opinion, oid)
        assert op.visibility == "withdrawn" and "两个月" in op.text_original
