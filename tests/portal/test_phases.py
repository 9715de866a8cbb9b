"""The phase table is the one home of phase rules, and collection ends by itself at closes_at."""

from datetime import timedelta

import pytest

from portal.models import Channel, Opinion, Phase, utcnow
from portal.services.actors import ResidentActor
from portal.services.consultations import change_phase, list_consultations, phases
from portal.services.errors import InvalidInput, PhaseClosed
from portal.services.participation import cast_vote, open_consultations, submit_opinion
from portal.services.participation.offline import OfflineOpinion, enter_offline_opinion
from portal.timefmt import today_local
from tests.ops_support import build_hood


@pytest.fixture
def hood(session):
    return build_hood(session)


def _resident(hood) -> ResidentActor:
    r = hood.residents[0]
    area = next(a for a in hood.areas if a.id == r.area_id)
    return ResidentActor(resident_id=r.id, community_id=hood.community.id, area_id=area.id,
                         area_name=area.name, grid=area.grid)


def _close_yesterday(session, c) -> None:
    c.closes_at = utcnow() - timedelta(days=1)
    session.add(c)
    session.commit()


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_answers_every_question(session, hood, phase):
    """A phase without its row would raise here (and at import), never on a resident's page."""
    c = hood.collecting
    c.phase = phase
    for ask in (phases.can_submit_opinion, phases.can_vote, phases.can_comment, phases.results_public,
                phases.is_public, phases.can_edit, phases.can_analyse, phases.can_answer,
                phases.can_update_status):
        assert isinstance(ask(c), bool)
    assert phases.what_residents_can_do(c)
    for move in phases.moves(c):
        assert move.verb and move.warning and move.to != phase


def test_moves_follow_the_table(session, hood):
    assert [m.to for m in phases.moves(hood.draft)] == [Phase.COLLECTING]
    hood.collecting.phase = Phase.REVIEWING
    assert {m.to for m in phases.moves(hood.collecting)} == {Phase.PUBLISHED, Phase.COLLECTING}
    # publishing happens on the 回应与发布 page, so the phase page does not offer it
    assert [m.to for m in phases.moves(hood.collecting, phase_page=True)] == [Phase.COLLECTING]
    with pytest.raises(InvalidInput, match="不能从“研判中”直接切换到“已办结”"):
        change_phase(session, actor=hood.admin, consultation_id=hood.collecting.id, to=Phase.CLOSED)


def test_collection_ends_by_itself_at_the_closing_time(session, hood):
    c = hood.collecting
    resident = _resident(hood)
    neighbour = Opinion(consultation_id=c.id, resident_id=hood.residents[1].id,
                        text_original="楼道灯坏了一个月，晚上下楼全靠手机照明。",
                        text_public="楼道灯坏了一个月，晚上下楼全靠手机照明。")
    session.add(neighbour)
    session.commit()
    assert phases.current_phase(c) == Phase.COLLECTING
    _close_yesterday(session, c)

    assert c.phase == Phase.COLLECTING  # nobody switched it by hand
    assert phases.current_phase(c) == Phase.REVIEWING
    assert phases.phase_label(c) == "研判中"
    assert "截止" in phases.what_residents_can_do(c)
    with pytest.raises(PhaseClosed, match="意见征集已于.*截止"):
        submit_opinion(session, actor=resident, consultation_id=c.id,
                       text="楼道里的纸箱堆了半个月没人清，晚上走路容易绊倒。")
    with pytest.raises(PhaseClosed, match="截止"):
        enter_offline_opinion(session, actor=hood.clerk, consultation_id=c.id, item=OfflineOpinion(
            text="三楼楼道堆了旧沙发，消防通道被堵住了。", channel=Channel.PHONE,
            received_on=today_local()))
    with pytest.raises(PhaseClosed, match="投票已结束"):
        cast_vote(session, actor=resident, opinion_id=neighbour.id, value="agree")
    assert open_consultations(session, actor=resident, purpose="submit") == []

    # every list shows the phase in force
    ids = lambda ps: [card.id for card in list_consultations(session, phases=ps)]  # noqa: E731
    assert c.id not in ids((Phase.COLLECTING,))
    assert c.id in ids((Phase.REVIEWING,))
    assert next(card for card in list_consultations(session) if card.id == c.id).phase_label == "研判中"


def test_votes_during_review_follow_the_deadline_too(session, hood):
    c = hood.collecting
    c.votes_during_review = True
    _close_yesterday(session, c)
    assert not phases.can_submit_opinion(c)
    assert phases.can_vote(c)
    assert "您仍可以投票" in phases.what_residents_can_do(c)
    assert [x.id for x in open_consultations(session, actor=_resident(hood), purpose="vote")] == [c.id]


def test_reopening_after_the_deadline_needs_a_new_closing_date(session, hood):
    c = hood.collecting
    _close_yesterday(session, c)
    with pytest.raises(InvalidInput, match="新的截止日期"):
        change_phase(session, actor=hood.admin, consultation_id=c.id, to=Phase.COLLECTING)
    session.rollback()
    today = today_local()
    with pytest.raises(InvalidInput, match="不能早于今天"):
        change_phase(session, actor=hood.admin, consultation_id=c.id, to=Phase.COLLECTING,
                     closes_on=today - timedelta(days=1))
    session.rollback()
    change_phase(session, actor=hood.admin, consultation_id=c.id, to=Phase.COLLECTING,
                 closes_on=today + timedelta(days=7))
    session.commit()
    assert phases.current_phase(c) == Phase.COLLECTING
    assert phases.can_submit_opinion(c)


def test_publishing_from_an_expired_collection(session, hood):
    """A consultation whose collection ended by itself can be published like any under review."""
    c = hood.collecting
    _close_yesterday(session, c)
    change_phase(session, actor=hood.admin, consultation_id=c.id, to=Phase.PUBLISHED)
    session.commit()
    assert c.phase == Phase.PUBLISHED and phases.results_public(c)
