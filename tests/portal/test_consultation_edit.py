"""Creating and editing consultations; phase changes with their confirmation text."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal.models import AuditEvent, ConsultationArea, Opinion, Phase
from portal.services.consultations import (
    ConsultationDraft,
    change_phase,
    create_consultation,
    deadline_text,
    draft_of,
    phases,
    update_consultation,
)
from portal.services.errors import InvalidInput, PermissionDenied, PhaseClosed
from tests.ops_support import TODAY, build_hood


@pytest.fixture
def hood(session):
    return build_hood(session)


def draft(**kw):
    base = {"title": "社区食堂试运营", "question": "您希望社区食堂提供哪些服务？",
                "background": "街道计划在2号楼底层开设长者食堂。", "opens_on": TODAY,
                "closes_on": TODAY + timedelta(days=14)}
    return ConsultationDraft(**(base | kw))


def test_admin_creates_a_draft_with_areas_and_dates(session, hood):
    c = create_consultation(session, actor=hood.admin, today=TODAY,
                            draft=draft(area_ids=(hood.areas[0].id, hood.areas[1].id)))
    session.commit()
    assert c.phase == Phase.DRAFT and c.created_by == hood.admin.user_id
    assert deadline_text(c) == "2026年5月20日 — 2026年6月3日"
    areas = session.exec(select(ConsultationArea.area_id).where(ConsultationArea.consultation_id == c.id)).all()
    assert sorted(areas) == sorted([hood.areas[0].id, hood.areas[1].id])
    assert draft_of(session, c).closes_on == TODAY + timedelta(days=14)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "consultation.create")).one()


@pytest.mark.parametrize("change, message", [
    ({"closes_on": TODAY}, "截止日期必须晚于开始日期"),
    ({"closes_on": TODAY - timedelta(days=3), "opens_on": TODAY - timedelta(days=9)}, "截止日期不能早于今天"),
    ({"title": "食"}, "标题需为 2–100 个字"),
    ({"question": " "}, "问题需为 2–500 个字"),
    ({"opens_on": None}, "也请填写开始日期"),
    ({"area_ids": (9999,)}, "不属于本社区"),
])
def test_invalid_drafts_are_refused(session, hood, change, message):
    with pytest.raises(InvalidInput, match=message):
        create_consultation(session, actor=hood.admin, draft=draft(**change), today=TODAY)


@pytest.mark.parametrize("who", ["reviewer", "clerk"])
def test_only_admin_creates_and_edits(session, hood, who):
    with pytest.raises(PermissionDenied, match="创建和编辑议题"):
        create_consultation(session, actor=getattr(hood, who), draft=draft(), today=TODAY)
    with pytest.raises(PermissionDenied):
        update_consultation(session, actor=getattr(hood, who), consultation_id=hood.draft.id, draft=draft())


def test_question_is_frozen_once_answered_but_background_can_grow(session, hood):
    c = hood.collecting
    session.add(Opinion(consultation_id=c.id, text_original="纸箱堆在楼道很危险。", text_public="纸箱堆在楼道很危险。"))
    session.commit()
    d = draft_of(session, c)
    with pytest.raises(InvalidInput, match="不能再修改问题"):
        update_consultation(session, actor=hood.admin, consultation_id=c.id,
                            draft=ConsultationDraft(**(d.__dict__ | {"question": "换一个问题？"})))
    updated = update_consultation(session, actor=hood.admin, consultation_id=c.id,
                                  draft=ConsultationDraft(**(d.__dict__ | {"background": "物业将配合清理。"})))
    session.commit()
    assert updated.background == "物业将配合清理。"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "consultation.update")).one()
    assert event.detail["changed"] == ["background"]


def test_no_edits_after_collecting(session, hood):
    change_phase(session, actor=hood.admin, consultation_id=hood.collecting.id, to=Phase.REVIEWING)
    session.commit()
    with pytest.raises(PhaseClosed, match="研判中"):
        update_consultation(session, actor=hood.admin, consultation_id=hood.collecting.id,
                            draft=draft_of(session, hood.collecting))


def test_phase_warning_texts(session, hood):
    assert "对公众可见" in phases.find_move(hood.draft, Phase.COLLECTING).warning
    hood.collecting.phase = Phase.REVIEWING
    assert "重新开放" in phases.find_move(hood.collecting, Phase.COLLECTING).warning


def test_dates_are_calendar_days_in_china(session, hood):
    c = create_consultation(session, actor=hood.admin, today=TODAY,
                            draft=draft(opens_on=date(2026, 6, 1), closes_on=date(2026, 6, 30)))
    # opens 08:00 and closes 23:59:59 Beijing time
    assert (c.opens_at.hour, c.closes_at.hour, c.closes_at.minute) == (0, 15, 59)
