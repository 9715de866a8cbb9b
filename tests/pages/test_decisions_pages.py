"""决策与表决 (committee), 参与表决 (resident) and the results page's 问卷与表决 tab, driven headlessly."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from portal.db import unit_of_work
from portal.models import Channel, OwnerBallot, OwnerChoice, Phase, Poll, PollResponse
from portal.services.decisions import cast_owner_ballot, close_owners_vote, publish_owners_vote
from tests.factories import seeded_app_database
from tests.pages.conftest import open_page
from tests.portal.decisions_world import lift_decision

RESIDENT = "app_pages/resident/decide.py"
COMMITTEE = "app_pages/committee/decisions.py"
BALLOTS = "app_pages/committee/ballots.py"


@pytest.fixture
def lift_db(tmp_path, monkeypatch):
    yield from seeded_app_database(tmp_path, monkeypatch, "lift.sqlite", lift_decision)


def _submit(at, label):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def test_a_resident_answers_the_poll_and_changes_the_answer(lift_db):
    engine, (w, poll_id) = lift_db
    me = w.others[0]
    at = open_page(RESIDENT, actor=me)
    assert not at.exception
    assert any("电梯方案问卷" in s.value for s in at.subheader)
    next(r for r in at.radio if r.key and f".{poll_id}." in r.key).set_value(1)
    multi, ranking = [m for m in at.multiselect if m.key and f".{poll_id}." in m.key]
    multi.set_value([0, 2])
    ranking.set_value([2, 0, 1])
    _submit(at, "提交答卷")
    assert any("已提交答卷" in s.value for s in at.success)
    with Session(engine) as s:
        resp = s.exec(select(PollResponse)).one()
    assert resp.resident_id == me.resident_id and list(resp.answers.values()) == [[1], [0, 2], [2, 0, 1]]
    # the form comes back with the answer filled in; a change replaces it
    assert any("您已填写过这份问卷" in c.value for c in at.caption)
    radio = next(r for r in at.radio if r.key and f".{poll_id}." in r.key)
    assert radio.value == 1
    radio.set_value(0)
    _submit(at, "修改答卷")
    assert any("已修改您的答卷" in s.value for s in at.success)
    with Session(engine) as s:
        again = s.exec(select(PollResponse)).one()
    assert list(again.answers.values()) == [[0], [0, 2], [2, 0, 1]]


def test_a_bad_answer_is_refused_and_the_form_keeps_what_was_chosen(lift_db):
    engine, (w, poll_id) = lift_db
    at = open_page(RESIDENT, actor=w.others[1])
    radio = next(r for r in at.radio if r.key and f".{poll_id}." in r.key)
    radio.set_value(0)
    multi = [m for m in at.multiselect if m.key and f".{poll_id}." in m.key]
    multi[0].set_value([3])
    multi[1].set_value([0, 1])  # a ranking of two of three
    _submit(at, "提交答卷")
    assert any("请给全部 3 个选项排好顺序" in e.value for e in at.error)
    assert next(r for r in at.radio if r.key and f".{poll_id}." in r.key).value == 0
    with Session(engine) as s:
        assert s.exec(select(PollResponse)).all() == []


def test_an_owner_votes_and_sees_the_paper_refusal_for_a_neighbour(lift_db):
    engine, (w, _) = lift_db
    at = open_page(RESIDENT, actor=w.owners[0])
    assert any("业主表决：5号楼2单元加装电梯" in s.value for s in at.subheader)
    next(b for b in at.button if b.label == "同意").click().run()
    assert any("已为 5号楼 2单元 5-2-101 投“同意”" in s.value for s in at.success)
    with Session(engine) as s:
        b = s.exec(select(OwnerBallot)).one()
    assert (b.household_id, b.choice, b.channel) == (w.households[0], OwnerChoice.AGREE, Channel.WEB)


def test_committee_sees_the_tally_and_a_clerk_enters_a_paper_ballot(lift_db):
    engine, (w, _) = lift_db
    for i in range(4):
        unit_of_work(engine, lambda s, i=i: cast_owner_ballot(s, actor=w.owners[i], vote_id=w.vote_id,
                                                              choice=OwnerChoice.AGREE))
    at = open_page(COMMITTEE, actor=w.clerk)
    assert not at.exception
    text = " ".join(m.value for m in [*at.caption, *at.warning, *at.success])
    assert "四分之三以上" in text
    assert "还差 2 户和 136.34 m² 参与" in text  # 4 of 8 flats, 331.4 of 701.6 m²
    at = open_page(BALLOTS, actor=w.clerk)
    at.selectbox(key="ballots.household").set_value(w.households[4])
    at.radio(key="ballots.choice").set_value(OwnerChoice.OPPOSE)
    _submit(at, "保存这张表决票")
    assert any("已录入 5号楼 2单元 5-2-301 的表决票（反对）" in s.value for s in at.success)
    with Session(engine) as s:
        paper = s.exec(select(OwnerBallot).where(OwnerBallot.channel == Channel.PAPER)).one()
    assert paper.entered_by == w.clerk.user_id
    # the clerk cannot type a paper ballot over an owner's web vote
    at.selectbox(key="ballots.household").set_value(w.households[0])
    at.radio(key="ballots.choice").set_value(OwnerChoice.OPPOSE)
    _submit(at, "保存这张表决票")
    assert any("已由业主本人在网上投票（同意），纸质票不能再计入" in e.value for e in at.error)


def test_an_admin_creates_a_poll(lift_db):
    engine, (w, _) = lift_db
    at = open_page(COMMITTEE, actor=w.admin)
    at.text_input(key="decide.poll_title").input("长者食堂开放时间")
    at.text_input(key="decide.q0.text").input("晚餐希望开放到几点？")
    at.text_area(key="decide.q0.options").input("17:30\n18:00\n18:30")
    _submit(at, "创建问卷")
    assert any("已创建问卷“长者食堂开放时间”" in s.value for s in at.success)
    with Session(engine) as s:
        assert "长者食堂开放时间" in [p.title for p in s.exec(select(Poll))]
    # a question without options is refused and the title stays typed
    at.text_input(key="decide.poll_title").input("停车位划线")
    at.text_input(key="decide.q0.text").input("是否同意在东门划线？")
    at.text_area(key="decide.q0.options").input("同意")
    _submit(at, "创建问卷")
    assert any("第 1 题至少需要两个选项" in e.value for e in at.error)
    assert at.text_input(key="decide.poll_title").value == "停车位划线"


def test_the_results_page_shows_a_published_vote_that_missed_a_threshold(lift_db):
    engine, (w, poll_id) = lift_db
    for i in range(5):
        unit_of_work(engine, lambda s, i=i: cast_owner_ballot(s, actor=w.owners[i], vote_id=w.vote_id,
                                                              choice=OwnerChoice.AGREE))
    with Session(engine) as s:
        from portal.models import Consultation

        c = s.get(Consultation, w.consultation_id)
        c.phase = Phase.PUBLISHED
        s.add(c)
        s.commit()
    unit_of_work(engine, lambda s: close_owners_vote(s, actor=w.admin, vote_id=w.vote_id))
    unit_of_work(engine, lambda s: publish_owners_vote(s, actor=w.admin, vote_id=w.vote_id, as_passed=False))
    at = open_page("app_pages/public/results.py", query={"id": str(w.consultation_id), "tab": "问卷与表决"})
    assert not at.exception, at.exception
    assert any("业主表决：5号楼2单元加装电梯（5号楼 2单元）" in s.value for s in at.subheader)
    assert any("未达到法定门槛：还差 1 户和 16.04 m² 参与" in m.value for m in at.warning)
    titles = [json.loads(c.proto.spec).get("title") for c in at.get("vega_lite_chart")]
    assert "参与与同意（竖线为法定门槛）" in titles, titles


def test_a_clerk_enters_a_paper_poll_answer_for_a_roster_resident(lift_db):
    engine, (w, poll_id) = lift_db
    at = open_page(BALLOTS, actor=w.clerk)
    at.selectbox(key="ballots.area").set_value(w.area_id).run()
    who = at.selectbox(key=f"ballots.resident.{w.area_id}")
    who.set_value(w.owners[2].resident_id).run()
    at.selectbox(key="ballots.poll_channel").set_value(Channel.PHONE)
    next(r for r in at.radio if r.key and f"paper.{poll_id}." in r.key).set_value(0)
    multi, ranking = [m for m in at.multiselect if m.key and f"paper.{poll_id}." in m.key]
    multi.set_value([1])
    ranking.set_value([0, 1, 2])
    _submit(at, "保存这份答卷")
    assert any("已录入一份纸质答卷" in s.value for s in at.success)
    with Session(engine) as s:
        resp = s.exec(select(PollResponse)).one()
    assert (resp.resident_id, resp.channel, resp.entered_by) == (w.owners[2].resident_id, Channel.PHONE,
                                                                 w.clerk.user_id)


def test_the_demo_lift_vote_on_the_committee_and_results_pages(demo_db):
    from sqlmodel import col

    from portal.models import Consultation
    from tests.pages.conftest import demo_committee

    with Session(demo_db) as s:
        lift = s.exec(select(Consultation).where(col(Consultation.title).contains("加装电梯"))).first()
    at = open_page(COMMITTEE, actor=demo_committee(demo_db), query={"id": str(lift.id)})
    assert not at.exception, at.exception
    assert any("还差 3.07 m² 参与" in m.value for m in at.warning)
    assert any("加装电梯方案问卷" in s.value for s in at.subheader)
    at.selectbox(key=next(sb.key for sb in at.selectbox if sb.key and sb.key.startswith("decide.by."))).set_value(
        "age_band").run()
    assert not at.exception
    public = open_page("app_pages/public/results.py", query={"id": str(lift.id), "tab": "问卷与表决"})
    assert not public.exception, public.exception
    assert any("业主表决：5号楼2单元加装电梯" in s.value for s in public.subheader)
    assert any("90 份答卷" in m.value for m in public.markdown)


def _enter_unnamed_paper_answer(engine, w, poll_id):
    """A clerk types in a paper answer with no name on it; returns the page and the stored answer."""
    at = open_page(BALLOTS, actor=w.clerk)
    next(r for r in at.radio if r.key and f"paper.{poll_id}." in r.key).set_value(0)
    multi, ranking = [m for m in at.multiselect if m.key and f"paper.{poll_id}." in m.key]
    multi.set_value([1])
    ranking.set_value([0, 1, 2])
    _submit(at, "保存这份答卷")
    with Session(engine) as s:
        return at, s.exec(select(PollResponse)).one()


def test_a_clerk_corrects_an_unnamed_paper_answer_typed_wrongly(lift_db):
    """A ballot with no name on it cannot be re-entered for the same person: it is corrected in place."""
    engine, (w, poll_id) = lift_db
    at, resp = _enter_unnamed_paper_answer(engine, w, poll_id)
    assert resp.resident_id is None
    single_q = next(k for k, v in resp.answers.items() if v == [0])

    # the clerk notices the first answer should have been the second option
    fix = next(r for r in at.radio if r.key and r.key.startswith(f"ballots.fix.{resp.id}."))
    assert fix.value == 0  # the form opens with what was entered
    fix.set_value(1)
    _submit(at, "保存更正")
    assert any(f"已更正答卷 #{resp.id}" in s.value for s in at.success)
    with Session(engine) as s:
        rows = s.exec(select(PollResponse)).all()
        assert len(rows) == 1  # corrected, not counted twice
        assert rows[0].answers[single_q] == [1]
        from portal.models import AuditEvent
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "poll.paper_corrected")).one()
        assert event.detail["before"][single_q] == [0]


def test_a_correction_that_breaks_the_rules_is_refused_and_changes_nothing(lift_db):
    engine, (w, poll_id) = lift_db
    at, resp = _enter_unnamed_paper_answer(engine, w, poll_id)
    before = dict(resp.answers)
    ranking_fix = [m for m in at.multiselect if m.key and m.key.startswith(f"ballots.fix.{resp.id}.")][-1]
    ranking_fix.set_value([0])  # a ranking must order every option
    _submit(at, "保存更正")
    assert at.error, "a clear message"
    assert all("\u4e00" <= ch <= "\u9fff" or not ch.isalpha() for ch in at.error[0].value)
    with Session(engine) as s:
        assert s.exec(select(PollResponse)).one().answers == before


def _two_consultations(session: Session):
    """The lift decision plus a second consultation of the community with its own open poll."""
    from portal import models
    from portal.services.decisions import QuestionDraft, create_poll
    from tests import factories

    w, _ = lift_decision(session)
    lift = session.get(models.Consultation, w.consultation_id)
    lights = factories.consultation(session, session.get(models.Community, w.community_id), title="楼道照明改造",
                                    question="楼道灯怎么改？", closes_at=lift.closes_at)
    create_poll(session, actor=w.admin, consultation_id=lights.id, title="楼道照明问卷", questions=[
        QuestionDraft("感应灯还是常亮灯？", models.PollKind.SINGLE, ["声控感应灯", "夜间常亮灯"])])
    session.commit()
    return w, lights.id


@pytest.fixture
def two_db(tmp_path, monkeypatch):
    yield from seeded_app_database(tmp_path, monkeypatch, "two.sqlite", _two_consultations)


def test_a_reminders_link_opens_the_ballot_page_on_its_consultation(two_db):
    """/decide?id=N (the link of a 即将截止 reminder) shows that consultation's poll and owners'
    vote only; 查看全部问卷和表决 shows everything open again."""
    _, (w, lights_id) = two_db
    at = open_page(RESIDENT, actor=w.owners[0], query={"id": str(w.consultation_id)})
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["电梯方案问卷", "业主表决：5号楼2单元加装电梯"]
    next(b for b in at.button if b.label == "查看全部问卷和表决").click().run()
    assert [s.value for s in at.subheader] == ["电梯方案问卷", "楼道照明问卷", "业主表决：5号楼2单元加装电梯"]
    lights = open_page(RESIDENT, actor=w.owners[0], query={"id": str(lights_id)})
    assert [s.value for s in lights.subheader] == ["楼道照明问卷"]
    gone = open_page(RESIDENT, actor=w.owners[0], query={"id": "999"})
    assert any("这个议题目前没有需要您填写的问卷或表决" in i.value for i in gone.info)
    assert len(gone.subheader) == 3
