"""Notifications written with their events: who is told, through which channel, once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from portal.models import (
    ContactPoint,
    Decision,
    DeliveryChannel,
    Notification,
    OutboxMessage,
    OutboxStatus,
    Phase,
    ThemeStatus,
)
from portal.services import consultations, review
from portal.services.errors import InvalidInput, PermissionDenied
from portal.services.notifications import (
    contacts,
    mark_read,
    my_contacts,
    my_messages,
    send_announcement,
    sms_reply,
    unread_count,
    unsubscribe,
    withdraw_my_consent,
)
from portal.services.notifications.contacts import unsubscribe_token
from tests import factories
from tests.portal.notify_support import EMAILS, PHONE, build_hood, resident_actor


@pytest.fixture
def hood(session):
    return build_hood(session)


def _outbox(session: Session, resident_id: int) -> list[tuple[str, str]]:
    return sorted((m.channel, m.status) for m in session.exec(
        select(OutboxMessage).where(OutboxMessage.resident_id == resident_id)))


def test_opening_a_consultation_tells_its_building_by_each_chosen_channel(session, hood):
    consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
    session.commit()
    for rid in hood.by_email:
        msgs = my_messages(session, actor=resident_actor(session, rid))
        assert [m.title for m in msgs] == ["新议题：3号楼加装电梯"]
        assert "正在征求意见" in msgs[0].body and msgs[0].link == f"/consultation?id={hood.consultation_id}"
        assert _outbox(session, rid) == [("email", "pending")]
    assert _outbox(session, hood.by_sms) == [("sms", "pending")]
    assert _outbox(session, hood.paper) == [("paper", "pending")]
    assert _outbox(session, hood.web_only) == []  # signs in: 我的消息 is their channel
    assert unread_count(session, actor=resident_actor(session, hood.web_only)) == 1
    # 5号楼 is not concerned
    assert my_messages(session, actor=resident_actor(session, hood.other_building_resident)) == []


def test_the_same_event_twice_tells_nobody_twice(session, hood):
    consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
    consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.REVIEWING)
    consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING,
                               closes_on=date.today().replace(year=date.today().year + 1))
    session.commit()
    assert len(session.exec(select(Notification).where(Notification.resident_id == hood.by_sms)).all()) == 1
    assert _outbox(session, hood.by_sms) == [("sms", "pending")]


def test_a_refused_event_leaves_no_notice(session, hood):
    with pytest.raises(PermissionDenied):
        consultations.change_phase(session, actor=hood.clerk, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
    session.rollback()
    assert session.exec(select(Notification)).all() == []
    assert session.exec(select(OutboxMessage)).all() == []


def _answered_world(session, hood):
    from portal.models import Consultation, Resident

    cons = session.get(Consultation, hood.consultation_id)
    cons.phase = Phase.REVIEWING
    session.add(cons)
    author = session.get(Resident, hood.by_email[0])
    supporter = session.get(Resident, hood.by_sms)
    op = factories.opinion(session, cons, author, "希望尽快加装电梯，我家住六楼，老人腿脚不好上下楼很吃力")
    factories.vote(session, op, supporter)
    t = factories.theme(session, cons, "加装电梯进度", [op], size=1)
    session.commit()
    return cons, t


def test_answers_during_review_wait_for_publishing_then_everyone_who_took_part_hears(session, hood):
    cons, t = _answered_world(session, hood)
    review.save_response(session, actor=hood.admin, theme_id=t.id, decision=Decision.ADOPT,
                         reasoning="街道已批复加装电梯资金补贴，明年春季开工", responsible_party="街道城建科",
                         due_date=date(2027, 6, 30))
    session.commit()
    author = resident_actor(session, hood.by_email[0])
    assert [m.title for m in my_messages(session, actor=author)] == []  # not public yet
    review.publish_results(session, actor=hood.admin, consultation_id=cons.id, confirm_unreviewed=True)
    session.commit()
    assert [m.title for m in my_messages(session, actor=author)] == ["结果已公布：3号楼加装电梯"]
    assert [m.title for m in my_messages(session, actor=resident_actor(session, hood.by_sms))] == \
        ["结果已公布：3号楼加装电梯"]  # voted
    assert my_messages(session, actor=resident_actor(session, hood.paper)) == []  # did not take part
    review.add_status_update(session, actor=hood.admin, theme_id=t.id, status=ThemeStatus.IN_PROGRESS,
                             note="施工队已进场，预计三个月完工")
    session.commit()
    latest = my_messages(session, actor=author)[0]
    assert latest.title == "“加装电梯进度”办理进展"
    assert "处理中" in latest.body and "施工队已进场" in latest.body
    assert latest.link == f"/accountability?id={cons.id}"
    assert unread_count(session, actor=author) == 2
    assert mark_read(session, actor=author, notification_ids=[latest.id]) == 1
    assert unread_count(session, actor=author) == 1
    # a resident cannot mark someone else's message
    other = resident_actor(session, hood.by_email[1])
    assert mark_read(session, actor=other, notification_ids=[m.id for m in my_messages(session, actor=author)]) == 0
    assert unread_count(session, actor=author) == 1


def test_announcement_reaches_the_buildings_through_the_same_rules(session, hood):
    ann = send_announcement(session, actor=hood.admin, consultation_id=hood.consultation_id,
                            title="3号楼加装电梯施工通知",
                            body="12月8日至12月20日3号楼东侧施工，请绕行北门，施工期间噪音请大家谅解。")
    session.commit()
    assert ann.n_recipients == 6
    assert _outbox(session, hood.by_sms) == [("sms", "pending")]
    assert _outbox(session, hood.paper) == [("paper", "pending")]
    with pytest.raises(PermissionDenied):
        send_announcement(session, actor=hood.clerk, consultation_id=hood.consultation_id,
                          title="停水通知", body="明天上午九点到十二点停水，请提前储水。")
    with pytest.raises(InvalidInput, match="手机号"):
        send_announcement(session, actor=hood.admin, consultation_id=hood.consultation_id,
                          title="停水通知", body="明天上午停水，有问题请联系王师傅 13912345678。")
    with pytest.raises(InvalidInput, match="10–500"):
        send_announcement(session, actor=hood.admin, consultation_id=hood.consultation_id, title="停水", body="停水")


def test_contact_values_are_encrypted_at_rest_and_shown_masked(session, hood, settings):
    session.commit()
    raw = (settings.var_dir / "portal.sqlite").read_bytes()
    for wal in settings.var_dir.glob("portal.sqlite-wal"):
        raw += wal.read_bytes()
    for secret in [*EMAILS, PHONE, "wang.jianguo", "12345678"]:
        assert secret.encode() not in raw, secret
    views = my_contacts(session, actor=resident_actor(session, hood.by_email[0]))
    assert [(v.channel_label, v.masked, v.state_label) for v in views] == [("电子邮件", "w***@example.com", "已同意（网上勾选）")]
    staff_view = contacts.resident_contacts(session, actor=hood.clerk, resident_id=hood.by_sms)
    assert [(v.masked, v.state_label) for v in staff_view] == [("138****5678", "已同意（纸质同意书）")]
    with pytest.raises(PermissionDenied):
        contacts.resident_contacts(session, actor=resident_actor(session, hood.paper), resident_id=hood.by_sms)


def test_bad_contact_values_are_refused_in_chinese(session, hood):
    me = resident_actor(session, hood.paper)
    with pytest.raises(InvalidInput, match="邮箱地址格式不正确"):
        contacts.set_my_contact(session, actor=me, channel="email", value="zhang@@example")
    with pytest.raises(InvalidInput, match="11 位"):
        contacts.set_my_contact(session, actor=me, channel="sms", value="010-88886666")
    with pytest.raises(InvalidInput, match="11 位"):
        contacts.set_my_contact(session, actor=me, channel="sms", value="1381234567<script>")
    session.rollback()
    assert session.exec(select(ContactPoint).where(ContactPoint.resident_id == hood.paper)).all() == []
    # spaces, +86 and full-width digits are the same number
    v = contacts.set_my_contact(session, actor=me, channel="sms", value="+86 １３９-0000-1111")
    assert v.masked == "139****1111"


def test_unsubscribing_cancels_what_still_waits(session, hood):
    consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
    session.commit()
    cp = session.exec(select(ContactPoint).where(ContactPoint.resident_id == hood.by_email[0])).one()
    assert unsubscribe(session, token=unsubscribe_token(cp.id) + "x") is False
    assert unsubscribe(session, token="not-a-token") is False
    assert unsubscribe(session, token=unsubscribe_token(cp.id)) is True
    session.commit()
    assert _outbox(session, hood.by_email[0]) == [("email", "cancelled")]
    assert my_contacts(session, actor=resident_actor(session, hood.by_email[0]))[0].state_label == "已退订"
    # by SMS reply: 退订 from the number, written any way
    assert sms_reply(session, phone="+8613812345678", text="好的谢谢") == 0
    assert sms_reply(session, phone="+8613812345678", text=" 退订 ") == 1
    session.commit()
    assert _outbox(session, hood.by_sms) == [("sms", "cancelled")]
    # web withdrawal
    assert withdraw_my_consent(session, actor=resident_actor(session, hood.by_email[1]), channel="email") == 1
    session.commit()
    assert _outbox(session, hood.by_email[1]) == [("email", "cancelled")]
    # a later event reaches them in the inbox only (and on paper, having no channel left)
    send_announcement(session, actor=hood.admin, consultation_id=hood.consultation_id, title="停水通知",
                      body="12月5日上午九点到十二点3号楼停水，请提前储水。")
    session.commit()
    assert (DeliveryChannel.EMAIL, OutboxStatus.PENDING) not in _outbox(session, hood.by_email[1])


def test_closing_soon_reminds_who_has_not_spoken_yet_once(session, hood):
    from portal.models import Consultation, Resident
    from portal.services.notifications import queue_closing_soon

    c = session.get(Consultation, hood.consultation_id)
    c.phase, c.closes_at = Phase.COLLECTING, factories.days_from_now(0.5)
    session.add(c)
    factories.opinion(session, c, session.get(Resident, hood.by_sms), "电梯费用按楼层分摊比较公平，低层少出一点")
    session.commit()
    assert queue_closing_soon(session, hours=24) == 5
    assert queue_closing_soon(session, hours=24) == 0
    session.commit()
    assert my_messages(session, actor=resident_actor(session, hood.by_sms)) == []
    assert my_messages(session, actor=resident_actor(session, hood.paper))[0].title == "即将截止：3号楼加装电梯"


def test_a_poll_closing_soon_reminds_the_building_once(session, hood):
    from portal.models import Consultation, Poll
    from portal.services.notifications import queue_closing_soon

    c = session.get(Consultation, hood.consultation_id)
    c.phase, c.closes_at = Phase.COLLECTING, factories.days_from_now(20)
    session.add(c)
    session.add(Poll(consultation_id=c.id, title="电梯费用分摊方式问卷", closes_at=factories.days_from_now(0.5)))
    session.add(Poll(consultation_id=c.id, title="电梯品牌选择问卷", closes_at=factories.days_from_now(5)))
    session.commit()
    assert queue_closing_soon(session, hours=24) == 6
    assert queue_closing_soon(session, hours=24) == 0
    session.commit()
    msgs = my_messages(session, actor=resident_actor(session, hood.paper))
    assert [m.title for m in msgs] == ["问卷即将截止：电梯费用分摊方式问卷"]
    assert my_messages(session, actor=resident_actor(session, hood.other_building_resident)) == []


def test_closing_reminders_lead_to_the_ballot_page_while_a_poll_or_owners_vote_waits(session, hood):
    """The reminder's link goes to 参与表决 for this consultation when the resident still has an
    open poll or an owners' vote for their flat to answer; to the consultation page otherwise."""
    from decimal import Decimal

    from portal.models import (
        Area,
        Consultation,
        OwnerChoice,
        PollKind,
        PollQuestion,
        Resident,
        VoteMatter,
    )
    from portal.services.decisions import (
        QuestionDraft,
        answer_poll,
        cast_owner_ballot,
        create_owners_vote,
        create_poll,
        set_owner_household,
        still_to_decide,
    )
    from portal.services.notifications import queue_closing_soon

    c = session.get(Consultation, hood.consultation_id)
    c.phase, c.closes_at = Phase.COLLECTING, factories.days_from_now(0.5)
    session.add(c)
    poll = create_poll(session, actor=hood.admin, consultation_id=c.id, title="电梯费用分摊方式问卷", questions=[
        QuestionDraft("费用怎么分摊？", PollKind.SINGLE, ["按楼层系数分摊", "每户平均分摊"])])
    session.commit()
    q = session.exec(select(PollQuestion).where(PollQuestion.poll_id == poll.id)).one()
    owner, answered, waiting = hood.by_sms, hood.web_only, hood.paper
    for rid in (owner, answered):  # both answered the poll …
        answer_poll(session, actor=resident_actor(session, rid), poll_id=poll.id, answers={q.id: [0]})
    flat = session.get(Resident, owner)
    three = session.get(Area, flat.area_id)
    set_owner_household(session, community_id=hood.community_id, area_id=three.id, unit="1单元", room="3-1-101",
                        area_m2=Decimal("89.50"), owner_resident_id=owner)  # … but the owner's flat has not voted
    vote = create_owners_vote(session, actor=hood.admin, consultation_id=c.id, title="3号楼加装电梯",
                              matter=VoteMatter.REBUILD, area_id=three.id)
    session.commit()
    assert queue_closing_soon(session, hours=24) > 0
    session.commit()

    def links(rid):
        return {m.title: m.link for m in my_messages(session, actor=resident_actor(session, rid))}

    ballot_page, consultation_page = f"/decide?id={c.id}", f"/consultation?id={c.id}"
    assert links(waiting) == {"即将截止：3号楼加装电梯": ballot_page, "问卷即将截止：电梯费用分摊方式问卷": ballot_page,
                              "业主表决即将截止：3号楼加装电梯": ballot_page}
    assert set(links(owner).values()) == {ballot_page}
    assert set(links(answered).values()) == {consultation_page}
    # once the owner has voted for the flat nothing waits for them any more
    cast_owner_ballot(session, actor=resident_actor(session, owner), vote_id=vote.id, choice=OwnerChoice.AGREE)
    assert still_to_decide(session, c, [owner, answered, waiting]) == {waiting}


def test_the_committee_export_carries_no_contact_details(session, hood):
    from portal.models import Consultation, Resident
    from portal.services.publishing import exports

    c = session.get(Consultation, hood.consultation_id)
    c.phase = Phase.COLLECTING
    session.add(c)
    factories.opinion(session, c, session.get(Resident, hood.by_email[0]), "电梯井道占用绿化带，希望施工后恢复草坪")
    session.commit()
    sheets = exports.export_tables(session, actor=hood.admin, consultation_id=c.id)
    dumped = "".join(df.to_csv() for df in sheets.values())
    for secret in [*EMAILS, PHONE, "w***@example.com", "138****5678"]:
        assert secret not in dumped, secret
