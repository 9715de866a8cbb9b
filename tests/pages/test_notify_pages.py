"""我的消息, 通知方式 on 我的账号 and the staff page 居民通知, driven headlessly (AppTest)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from portal.models import Announcement, ContactChannel, ContactPoint, Notification, Phase
from portal.services import consultations
from tests.factories import release_app_database, seed_app_database
from tests.pages.conftest import open_page
from tests.portal.notify_support import build_hood, resident_actor

MESSAGES = "app_pages/resident/messages.py"
ACCOUNT = "app_pages/resident/sign_in.py"
NOTICES = "app_pages/committee/notices.py"


@pytest.fixture
def hood_app(tmp_path, monkeypatch):
    def build(session: Session):
        hood = build_hood(session)
        consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id,
                                   to=Phase.COLLECTING)
        session.commit()
        return hood

    engine, hood = seed_app_database(tmp_path, monkeypatch, "notify.sqlite", build)
    yield engine, hood
    release_app_database(engine)


def _texts(at) -> str:
    return " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.text, *at.success, *at.error, *at.info])


def test_resident_reads_a_message_and_the_unread_count_goes_down(hood_app):
    engine, hood = hood_app
    with Session(engine) as s:
        me = resident_actor(s, hood.paper)
    at = open_page(MESSAGES, actor=me)
    assert at.title[0].value == "我的消息"
    assert "共 1 条，1 条未读。" in _texts(at)
    assert "新议题：3号楼加装电梯" in _texts(at) and "正在征求意见" in _texts(at)
    at.button(key=f"messages.read.{_first_message_id(engine, hood.paper)}").click().run()
    assert "都已读过" in _texts(at)
    assert not any(b.key == "messages.read_all" for b in at.button)


def test_a_reminder_with_a_ballot_waiting_links_to_the_ballot_page(hood_app):
    from portal.services.notifications.events import notify

    engine, hood = hood_app
    with Session(engine) as s:
        notify(s, resident_ids=[hood.paper], kind="closing", event_key="poll.closing:1",
               title="问卷即将截止：电梯费用分摊方式问卷", body="问卷将于明天截止，还没参与的居民抓紧时间。",
               link=f"/decide?id={hood.consultation_id}", consultation_id=hood.consultation_id)
        s.commit()
        me = resident_actor(s, hood.paper)
    at = open_page(MESSAGES, actor=me)
    links = [(p.proto.label, p.proto.page, p.proto.query_string) for p in at.get("page_link")
             if p.proto.label == "查看详情"]
    assert ("查看详情", "decide", f"id={hood.consultation_id}") in links, links


def _first_message_id(engine, resident_id: int) -> int:
    with Session(engine) as s:
        return s.exec(select(Notification.id).where(Notification.resident_id == resident_id)).first()


def test_opting_in_by_email_on_my_account_keeps_bad_input_and_stores_it_encrypted(hood_app):
    engine, hood = hood_app
    with Session(engine) as s:
        me = resident_actor(s, hood.paper)
    at = open_page(ACCOUNT, actor=me)
    at.text_input(key="contact.value.email").set_value("zhang.li@@example")
    at.checkbox(key="contact.agree.email").check()
    at.button(key="FormSubmitter:contact.form.email-保存").click().run()
    assert "邮箱地址格式不正确" in _texts(at)
    assert at.text_input(key="contact.value.email").value == "zhang.li@@example"  # nothing lost
    at.text_input(key="contact.value.email").set_value("zhang.li@example.com")
    at.checkbox(key="contact.agree.email").uncheck()
    at.button(key="FormSubmitter:contact.form.email-保存").click().run()
    assert "请先勾选同意" in _texts(at)
    at.checkbox(key="contact.agree.email").check()
    at.button(key="FormSubmitter:contact.form.email-保存").click().run()
    assert "z***@example.com" in _texts(at)
    with Session(engine) as s:
        row = s.exec(select(ContactPoint).where(ContactPoint.resident_id == hood.paper)).one()
        assert row.consent and "zhang" not in row.value_encrypted
    at.button(key="contact.withdraw.email").click().run()
    assert "已退订电子邮件通知" in _texts(at)


def test_admin_publishes_an_announcement_clerk_records_paper_consent(hood_app):
    engine, hood = hood_app
    at = open_page(NOTICES, actor=hood.admin)
    assert at.title[0].value == "居民通知"
    at.text_input(key="notices.title").set_value("停水通知")
    at.text_area(key="notices.body").set_value("明天上午停水，有问题请联系王师傅 13912345678。")
    at.button(key="FormSubmitter:notices.announce-发布通知").click().run()
    assert "手机号" in _texts(at)
    assert at.text_area(key="notices.body").value.startswith("明天上午停水")  # kept to correct
    at.text_area(key="notices.body").set_value("12月5日上午九点到十二点3号楼停水，请提前储水。")
    at.button(key="FormSubmitter:notices.announce-发布通知").click().run()
    assert "通知 6 位居民" in _texts(at)
    with Session(engine) as s:
        assert [a.title for a in s.exec(select(Announcement))] == ["停水通知"]

    clerk = open_page(NOTICES, actor=hood.clerk)
    assert "发布居民通知需要管理员账号。" in _texts(clerk)
    clerk.selectbox(key="notices.resident").set_value(hood.paper).run()
    clerk.radio(key="notices.channel").set_value(ContactChannel.SMS)
    clerk.text_input(key="notices.value").set_value("139 0000 1111")
    clerk.button(key="FormSubmitter:notices.consent-登记同意书").click().run()
    assert "已登记：短信 139****1111。" in _texts(clerk)
    assert "13900001111" not in _texts(clerk)


def test_failed_notices_show_on_the_dashboard(hood_app):
    from portal.models import OutboxMessage, OutboxStatus

    engine, hood = hood_app
    at = open_page("app_pages/committee/dashboard.py", actor=hood.clerk)
    assert "发送失败" not in _texts(at) + " ".join(str(w.value) for w in at.warning)
    with Session(engine) as s:
        msg = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).first()
        msg.status, msg.attempts, msg.last_error = OutboxStatus.FAILED, 6, "无法连接邮件服务器 smtp.example.cn:587：ConnectionRefusedError"
        s.add(msg)
        s.commit()
    at = open_page("app_pages/committee/dashboard.py", actor=hood.clerk)
    assert "有 1 条居民通知（邮件或短信）多次发送失败" in " ".join(str(w.value) for w in at.warning)
    notices = open_page(NOTICES, actor=hood.clerk)
    assert "1 条通知多次发送失败" in _texts(notices)
    frame = notices.dataframe[0].value
    assert list(frame["原因"]) == ["无法连接邮件服务器 smtp.example.cn:587：ConnectionRefusedError"]
    assert "@" not in frame.to_csv()


def test_clerk_prints_door_to_door_notices_and_marks_them_delivered(hood_app):
    from portal.models import OutboxMessage, OutboxStatus

    engine, hood = hood_app
    at = open_page(NOTICES, actor=hood.clerk)
    assert "第一网格 3号楼 1 份" in _texts(at)
    at.button(key="notices.make_pdf").click().run()
    assert at.get("download_button")
    at.button(key="notices.delivered").click().run()
    assert "已标记 1 份上门通知为送达。" in _texts(at)
    assert "没有待上门送达的通知。" in _texts(at)
    with Session(engine) as s:
        paper = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "paper")).one()
        assert paper.status == OutboxStatus.SENT
