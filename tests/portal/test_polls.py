"""Polls inside a consultation: the three question types, one changeable answer per code, 其他
text that becomes an opinion, paper answers with their channel, hidden results, breakdowns and
polls closing soon."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal.models import (
    AuditEvent,
    Channel,
    Consultation,
    Opinion,
    Phase,
    PollKind,
    PollResponse,
    utcnow,
)
from portal.services.decisions import (
    QuestionDraft,
    answer_poll,
    close_poll,
    closing_within,
    correct_paper_poll_answer,
    create_poll,
    enter_paper_poll_answer,
    my_poll_answer,
    poll_results,
)
from portal.services.errors import InvalidInput, PhaseClosed
from portal.services.queries import visible_opinions_of
from tests.portal.decisions_world import poll_world

TALL_TEXT = "希望电梯井道不要挡住一楼的窗户，低层住户的采光要保障"


def _answer(session, w, i, scheme=0, concerns=(1,), ranking=(0, 1, 2), other=""):
    q1, q2, q3 = w.question_ids
    return answer_poll(session, actor=w.residents[i], poll_id=w.poll_id,
                       answers={q1: [scheme], q2: list(concerns), q3: list(ranking)},
                       other_texts={q2: other} if other else None)


def _results(session, w, **kw):
    return {q.text: q for q in poll_results(session, poll_id=w.poll_id, **kw).questions}


def test_one_answer_per_code_and_the_last_answer_counts(session):
    w = poll_world(session)
    first = _answer(session, w, 0, scheme=0)
    again = _answer(session, w, 0, scheme=1)
    _answer(session, w, 1, scheme=1)
    session.commit()
    assert not first.changed and again.changed
    assert len(session.exec(select(PollResponse)).all()) == 2
    scheme = _results(session, w)["您更倾向哪个加装方案？"]
    assert [(o.count, o.share) for o in scheme.options] == [(0, 0.0), (2, 1.0)]
    mine = my_poll_answer(session, actor=w.residents[0], poll_id=w.poll_id)
    assert mine is not None and mine.answers[str(w.question_ids[0])] == [1]


@pytest.mark.parametrize(("answers", "message"), [
    ({0: [0, 1]}, "是单选题，只能选一项"),
    ({1: [0, 1, 2]}, "最多选 2 项，您选了 3 项"),
    ({2: [0, 1]}, "请给全部 3 个选项排好顺序"),
    ({2: [0, 0, 1]}, "选择无效"),
    ({0: []}, "还没有作答"),
    ({1: [4]}, "请写下具体内容"),
])
def test_bad_answers_are_refused_in_chinese_and_nothing_is_stored(session, answers, message):
    w = poll_world(session)
    good = {w.question_ids[0]: [0], w.question_ids[1]: [1], w.question_ids[2]: [2, 1, 0]}
    good.update({w.question_ids[i]: v for i, v in answers.items()})
    with pytest.raises(InvalidInput, match=message):
        answer_poll(session, actor=w.residents[0], poll_id=w.poll_id, answers=good)
    session.rollback()
    assert session.exec(select(PollResponse)).all() == []


def test_other_text_becomes_an_opinion_of_the_consultation(session):
    w = poll_world(session)
    _answer(session, w, 2, concerns=(0, 4), other=TALL_TEXT)
    session.commit()
    ops = session.exec(select(Opinion).where(visible_opinions_of(w.consultation_id))).all()
    assert [o.text_original for o in ops] == [TALL_TEXT]
    assert ops[0].resident_id == w.residents[2].resident_id and ops[0].channel == Channel.WEB
    # the same answer sent again does not make a second opinion
    _answer(session, w, 2, concerns=(0, 4), other=TALL_TEXT)
    session.commit()
    assert len(session.exec(select(Opinion)).all()) == 1
    concerns = _results(session, w)["您最关心哪些问题？（最多选两项）"]
    assert [(o.label, o.count) for o in concerns.options][-1] == ("其他（请说明）", 1)


def test_other_text_goes_through_the_opinion_rules(session):
    w = poll_world(session)
    with pytest.raises(InvalidInput, match="其他（请说明）：意见太短了"):
        _answer(session, w, 0, concerns=(4,), other="采光")
    session.rollback()
    assert session.exec(select(Opinion)).all() == [] and session.exec(select(PollResponse)).all() == []


def test_ranking_results_give_borda_points(session):
    w = poll_world(session)
    _answer(session, w, 0, ranking=(2, 0, 1))
    _answer(session, w, 1, ranking=(2, 1, 0))
    _answer(session, w, 2, ranking=(0, 2, 1))
    session.commit()
    ranking = _results(session, w)["请给施工时段排序（最能接受的排第一）"]
    assert [(o.label, o.points, o.count) for o in ranking.options] == [
        ("寒暑假集中施工", 5, 2), ("工作日白天", 3, 1), ("周末白天", 1, 0)]


def test_paper_answers_keep_their_channel_and_do_not_double_a_resident(session):
    w = poll_world(session)
    q1, q2, q3 = w.question_ids
    ballot = {q1: [0], q2: [2], q3: [0, 1, 2]}
    enter_paper_poll_answer(session, actor=w.clerk, poll_id=w.poll_id, answers=ballot,
                            resident_id=w.residents[3].resident_id, channel=Channel.DOOR)
    enter_paper_poll_answer(session, actor=w.clerk, poll_id=w.poll_id, answers=ballot)  # not on the roster
    session.commit()
    with pytest.raises(InvalidInput, match="已由居委会按上门走访答卷录入，网上不能再答"):
        _answer(session, w, 3)
    session.rollback()
    _answer(session, w, 4)
    session.commit()
    with pytest.raises(InvalidInput, match="已在网上填写了这份问卷，纸质答卷不能再计入"):
        enter_paper_poll_answer(session, actor=w.clerk, poll_id=w.poll_id, answers=ballot,
                                resident_id=w.residents[4].resident_id)
    session.rollback()
    res = poll_results(session, poll_id=w.poll_id)
    assert res.respondents == 3 and res.by_channel == {"上门走访": 1, "纸质": 1, "网上": 1}


def test_correcting_a_paper_answer_is_audited(session):
    w = poll_world(session)
    q1, q2, q3 = w.question_ids
    entered = enter_paper_poll_answer(session, actor=w.clerk, poll_id=w.poll_id,
                                      answers={q1: [0], q2: [0], q3: [0, 1, 2]},
                                      resident_id=w.residents[5].resident_id)
    correct_paper_poll_answer(session, actor=w.clerk, response_id=entered.response.id,
                              answers={q1: [1], q2: [0], q3: [0, 1, 2]})
    session.commit()
    scheme = _results(session, w)["您更倾向哪个加装方案？"]
    assert [o.count for o in scheme.options] == [0, 1]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "poll.paper_corrected")).one()
    assert event.detail["before"][str(q1)] == [0] and event.detail["answers"][str(q1)] == [1]
    web = _answer(session, w, 6)
    with pytest.raises(InvalidInput, match="只有居民本人可以修改"):
        correct_paper_poll_answer(session, actor=w.clerk, response_id=web.response.id,
                                  answers={q1: [1], q2: [0], q3: [0, 1, 2]})


def test_hidden_results_wait_for_the_close_but_staff_see_them(session):
    w = poll_world(session, hide=True)
    _answer(session, w, 0)
    session.commit()
    public = poll_results(session, poll_id=w.poll_id)
    assert public.hidden and public.questions == []
    assert poll_results(session, poll_id=w.poll_id, staff=True).respondents == 1
    close_poll(session, actor=w.admin, poll_id=w.poll_id)
    session.commit()
    after = poll_results(session, poll_id=w.poll_id)
    assert not after.hidden and after.respondents == 1
    with pytest.raises(PhaseClosed, match="已经结束"):
        _answer(session, w, 1)


def test_the_phase_table_closes_polls(session):
    w = poll_world(session)
    c = session.get(Consultation, w.consultation_id)
    c.phase = Phase.REVIEWING  # votes are not taken while 研判中 unless staff allowed them
    session.add(c)
    session.commit()
    with pytest.raises(PhaseClosed):
        _answer(session, w, 0)
    session.rollback()
    c = session.get(Consultation, w.consultation_id)
    c.votes_during_review = True
    session.add(c)
    session.commit()
    assert not _answer(session, w, 0).changed


def test_results_by_building_and_age_band_against_the_roster(session):
    w = poll_world(session, n_residents=12)  # 4 per building, age bands cycling
    for i in (0, 1, 3, 4, 6):  # buildings: 3号楼, 5号楼, 3号楼, 5号楼, 3号楼
        _answer(session, w, i, scheme=i % 2)
    session.commit()
    by_building = _results(session, w, by="building")["您更倾向哪个加装方案？"]
    rows = {g.group: (g.respondents, g.roster, g.counts) for g in by_building.groups}
    assert rows["3号楼"][:2] == (3, 4) and rows["5号楼"][:2] == (2, 4)
    assert "6号楼" not in rows
    by_grid = _results(session, w, by="grid")["您更倾向哪个加装方案？"]
    assert {g.group: (g.respondents, g.roster) for g in by_grid.groups} == {"第一网格": (3, 4), "第二网格": (2, 8)}
    by_age = _results(session, w, by="age_band")["您更倾向哪个加装方案？"]
    assert sum(g.respondents for g in by_age.groups) == 5


def test_poll_questions_are_checked_before_anything_is_saved(session):
    w = poll_world(session)
    with pytest.raises(InvalidInput, match="第 2 题至少需要两个选项"):
        create_poll(session, actor=w.admin, consultation_id=w.consultation_id, title="食堂营业时间", questions=[
            QuestionDraft("早餐几点开始？", PollKind.SINGLE, ["6:30", "7:00"]),
            QuestionDraft("午餐几点结束？", PollKind.SINGLE, ["13:00", " "]),
        ])
    with pytest.raises(InvalidInput, match="勾选“允许填写其他（请说明）”即可"):
        create_poll(session, actor=w.admin, consultation_id=w.consultation_id, title="食堂营业时间", questions=[
            QuestionDraft("早餐几点开始？", PollKind.SINGLE, ["6:30", "其他"])])
    from portal.services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_poll(session, actor=w.clerk, consultation_id=w.consultation_id, title="食堂营业时间", questions=[
            QuestionDraft("早餐几点开始？", PollKind.SINGLE, ["6:30", "7:00"])])


def test_closing_within_lists_polls_and_votes_about_to_close(session):
    w = poll_world(session)
    soon = create_poll(session, actor=w.admin, consultation_id=w.consultation_id, title="长者食堂开放时间",
                       closes_at=utcnow() + timedelta(hours=10), questions=[
                           QuestionDraft("晚餐开放到几点？", PollKind.SINGLE, ["18:00", "19:00"])])
    create_poll(session, actor=w.admin, consultation_id=w.consultation_id, title="停车位划线",
                closes_at=utcnow() + timedelta(hours=60), questions=[
                    QuestionDraft("是否同意划线？", PollKind.SINGLE, ["同意", "不同意"])])
    session.commit()
    found = closing_within(session, 24)
    assert [(s.kind, s.item_id, s.kind_label) for s in found] == [("poll", soon.id, "问卷")]
    # the consultation's own closing time counts too
    c = session.get(Consultation, w.consultation_id)
    c.closes_at = utcnow() + timedelta(hours=3)
    session.add(c)
    session.commit()
    assert [s.title for s in closing_within(session, 24)] == ["电梯方案问卷", "长者食堂开放时间", "停车位划线"]
    assert closing_within(session, 1) == []
