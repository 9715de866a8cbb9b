"""Offline entries can be corrected or withdrawn: reason required, audited, through the same
text rules as a new opinion, and never after results are public."""

from datetime import timedelta

import pytest
from sqlmodel import select

from portal.models import AuditEvent, Channel, Opinion, Phase, Visibility
from portal.services.audit_log import audit_lines
from portal.services.consultations import participation_counts
from portal.services.errors import InvalidInput, NotFound, PermissionDenied
from portal.services.participation.offline import OfflineOpinion, enter_offline_opinion
from portal.services.participation.offline_corrections import (
    OfflineCorrection,
    correct_offline_opinion,
    correctable_offline,
    plan_withdraw,
    withdraw_offline_opinion,
)
from tests import factories
from tests.ops_support import TODAY, build_hood

PAPER = "三号楼门口的垃圾桶满了没人清，夏天味道很大，希望每天清运两次。"


@pytest.fixture
def hood(session):
    return build_hood(session)


@pytest.fixture
def entry(session, hood):
    op = enter_offline_opinion(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                               item=OfflineOpinion(text=PAPER, channel=Channel.PAPER, received_on=TODAY),
                               today=TODAY)
    session.commit()
    return op


def test_a_typo_is_corrected_with_a_reason_and_redacted_like_a_new_opinion(session, hood, entry):
    fixed = "三号楼门口的垃圾桶满了没人清，联系人电话13812345678，希望每天清运两次。"
    with pytest.raises(InvalidInput, match="请写明更正的理由"):
        correct_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="",
                                correction=OfflineCorrection(fixed, Channel.PAPER, TODAY), today=TODAY)
    session.rollback()
    assert session.get(Opinion, entry.id).text_original == PAPER  # nothing half-written
    changed = correct_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="录入时看错了原稿",
                                      correction=OfflineCorrection(fixed, Channel.PHONE, TODAY - timedelta(days=1)),
                                      today=TODAY)
    session.commit()
    assert changed == ["意见内容", "渠道", "收到日期"]
    op = session.get(Opinion, entry.id)
    assert op.text_original == fixed and "13812345678" not in op.text_public and op.pii_kinds
    assert op.channel == Channel.PHONE
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "opinion.offline_edit")).one()
    assert event.detail["reason"] == "录入时看错了原稿"
    assert "13812345678" not in str(event.detail)  # the audit log never copies the text
    assert audit_lines(session, actor=hood.admin)[0].sentence == f"张社工 更正了线下意见 #{entry.id}，理由：录入时看错了原稿。"


def test_a_correction_is_refused_like_a_new_entry(session, hood, entry):
    with pytest.raises(InvalidInput, match="意见太短了"):
        correct_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="改错字",
                                correction=OfflineCorrection("短", Channel.PAPER, TODAY), today=TODAY)
    with pytest.raises(InvalidInput, match="没有改动"):
        correct_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="改错字",
                                correction=OfflineCorrection(PAPER, Channel.PAPER, TODAY), today=TODAY)
    with pytest.raises(InvalidInput, match="线下渠道"):
        correct_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="改渠道",
                                correction=OfflineCorrection(PAPER, Channel.WEB, TODAY), today=TODAY)


def test_withdrawing_takes_it_out_of_every_count_and_keeps_the_record(session, hood, entry):
    before = participation_counts(session, [hood.collecting.id])[hood.collecting.id][0]
    assert "将撤回线下意见" in plan_withdraw(session, actor=hood.clerk, opinion_id=entry.id)
    assert session.get(Opinion, entry.id).visibility == Visibility.VISIBLE  # the plan changed nothing
    with pytest.raises(InvalidInput, match="请写明撤回的理由"):
        withdraw_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason=" ")
    withdraw_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="同一张意见表重复录入")
    session.commit()
    assert participation_counts(session, [hood.collecting.id])[hood.collecting.id][0] == before - 1
    assert session.get(Opinion, entry.id).visibility == Visibility.WITHDRAWN
    assert correctable_offline(session, actor=hood.clerk, consultation_id=hood.collecting.id) == []
    with pytest.raises(InvalidInput, match="已经撤回"):
        withdraw_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="再撤一次")


def test_web_opinions_and_published_results_are_out_of_reach(session, hood, entry):
    web = factories.opinion(session, hood.collecting, hood.residents[0], "网上提交的意见，只有本人可以修改内容")
    session.commit()
    with pytest.raises(NotFound):
        withdraw_offline_opinion(session, actor=hood.clerk, opinion_id=web.id, reason="想撤回")
    with pytest.raises(PermissionDenied):
        withdraw_offline_opinion(session, actor=hood.reviewer, opinion_id=entry.id, reason="想撤回")
    c = hood.collecting
    c.phase = Phase.PUBLISHED
    session.add(c)
    session.commit()
    with pytest.raises(InvalidInput, match="结果已公示"):
        withdraw_offline_opinion(session, actor=hood.clerk, opinion_id=entry.id, reason="想撤回")
