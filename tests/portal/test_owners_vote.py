"""Owners' votes under 《民法典》第二百七十八条: exact thresholds, proxies, changed votes, paper
and web ballots for the same household, publishing, and the recomputed tally."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from portal.db import unit_of_work
from portal.models import AuditEvent, Channel, OwnerBallot, OwnerChoice, VoteMatter
from portal.services.decisions import (
    ballot_sheet,
    cast_owner_ballot,
    close_owners_vote,
    enter_paper_owner_ballot,
    my_owners_votes,
    publish_owners_vote,
    recompute_tally,
    register_proxy,
    rule_text,
    tally_owners_vote,
)
from portal.services.errors import InvalidInput, PhaseClosed
from tests.portal.decisions_world import owners_building

AGREE, OPPOSE, ABSTAIN = OwnerChoice.AGREE, OwnerChoice.OPPOSE, OwnerChoice.ABSTAIN


def _web(session, w, i, choice):
    return cast_owner_ballot(session, actor=w.owners[i], vote_id=w.vote_id, choice=choice)


def _votes(session, w, choices):
    for i, choice in enumerate(choices):
        if choice is not None:
            _web(session, w, i, choice)
    session.commit()
    return tally_owners_vote(session, vote_id=w.vote_id)


def test_participation_of_exactly_two_thirds_is_enough(session):
    w = owners_building(session, ["80.00"] * 6)
    t = _votes(session, w, [AGREE, AGREE, AGREE, AGREE, None, None])
    assert (t.voted_households, t.voted_area) == (4, Decimal("320.00"))
    assert t.participation_heads_met and t.participation_area_met
    assert t.missing_participation_text() == ""
    assert t.passed


def test_one_household_short_says_what_is_missing(session):
    w = owners_building(session, ["80.00"] * 6)
    t = _votes(session, w, [AGREE, AGREE, AGREE, None, None, None])
    assert not t.participation_met and t.agreement_met and not t.passed
    assert t.missing_participation_households == 1
    assert t.missing_participation_area == Decimal("80.00")
    assert t.missing_participation_text() == "还差 1 户和 80 m² 参与"
    with pytest.raises(InvalidInput, match="不能公布为“通过”：未达到法定门槛：还差 1 户和 80 m² 参与"):
        close_owners_vote(session, actor=w.admin, vote_id=w.vote_id)
        publish_owners_vote(session, actor=w.admin, vote_id=w.vote_id, as_passed=True)


def test_agreement_of_exactly_three_quarters_passes_a_lift(session):
    w = owners_building(session, ["100.00"] * 8)
    t = _votes(session, w, [AGREE] * 6 + [OPPOSE, ABSTAIN])
    assert t.supermajority and t.agree_head_share == t.agree_area_share == Decimal(3) / 4
    assert t.passed
    assert "四分之三以上" in rule_text(VoteMatter.REBUILD)


def test_one_agreement_short_of_three_quarters_fails(session):
    w = owners_building(session, ["100.00"] * 8)
    t = _votes(session, w, [AGREE] * 5 + [OPPOSE, OPPOSE, ABSTAIN])
    assert t.participation_met and not t.agreement_met
    assert t.missing_agreement_text() == "参与者中还差 1 户和 100 m² 同意"


def test_ordinary_matter_needs_more_than_half_not_half(session):
    w = owners_building(session, ["90.00"] * 6, matter=VoteMatter.USE_FUND)
    t = _votes(session, w, [AGREE, AGREE, OPPOSE, OPPOSE, None, None])
    assert t.participation_met and not t.supermajority
    assert not t.agreement_met  # exactly half is not "过半数"
    assert t.missing_agree_households == 1 and t.missing_agree_area == Decimal("0.01")
    assert "过半数" in rule_text(VoteMatter.USE_FUND)
    _web(session, w, 4, AGREE)
    assert tally_owners_vote(session, vote_id=w.vote_id).passed


def test_area_and_head_count_can_disagree(session):
    # two large flats (150 m²) and four small ones (60 m²): 540 m² in all
    w = owners_building(session, ["150.00", "150.00", "60.00", "60.00", "60.00", "60.00"])
    t = _votes(session, w, [None, None, AGREE, AGREE, AGREE, AGREE])
    assert t.participation_heads_met and not t.participation_area_met
    assert t.missing_participation_text() == "还差 120 m² 参与"
    # now the big flats take part and oppose: heads still agree 4 of 6 (< 3/4), area 240 of 540
    _web(session, w, 0, OPPOSE)
    _web(session, w, 1, AGREE)
    t = tally_owners_vote(session, vote_id=w.vote_id)
    assert t.participation_met
    assert t.agree_households == 5 and t.agreement_heads_met  # 5/6 ≥ 3/4
    assert t.agree_area == Decimal("390.00") and not t.agreement_area_met  # 390/540 < 3/4
    assert t.missing_agreement_text() == "参与者中还差 15 m² 同意"


def test_areas_with_cents_compare_exactly(session):
    # 2/3 of 100.01 + 100.01 + 100.01 is exactly 200.02: reaching it exactly counts
    w = owners_building(session, ["100.01", "100.01", "100.01"], matter=VoteMatter.OTHER)
    t = _votes(session, w, [AGREE, AGREE, None])
    assert t.participation_area_met and t.voted_area == Decimal("200.02")


def test_a_changed_vote_counts_once_with_its_last_choice(session):
    w = owners_building(session, ["88.50"] * 3)
    first = _web(session, w, 0, AGREE)
    again = _web(session, w, 0, OPPOSE)
    session.commit()
    assert first.previous is None and again.previous == AGREE
    t = tally_owners_vote(session, vote_id=w.vote_id)
    assert (t.voted_households, t.agree_households, t.oppose_households) == (1, 0, 1)


def test_a_registered_proxy_votes_for_the_household_and_the_owner_cannot_vote_twice(session):
    w = owners_building(session, ["96.30", "96.30", "75.20"])
    daughter = w.others[0]
    with pytest.raises(InvalidInput, match="没有登记您是本次表决范围内的业主或受托代理人"):
        cast_owner_ballot(session, actor=daughter, vote_id=w.vote_id, choice=AGREE)
    register_proxy(session, actor=w.clerk, household_id=w.households[2], resident_id=daughter.resident_id)
    r = cast_owner_ballot(session, actor=daughter, vote_id=w.vote_id, choice=AGREE)
    session.commit()
    assert r.ballot.by_proxy and r.ballot.household_id == w.households[2]
    with pytest.raises(InvalidInput, match="已由代理人在网上投票，一户只计一票"):
        _web(session, w, 2, OPPOSE)
    session.rollback()
    t = tally_owners_vote(session, vote_id=w.vote_id)
    assert (t.voted_households, t.agree_area) == (1, Decimal("75.20"))
    mine = my_owners_votes(session, actor=daughter)
    assert [(label, proxy, choice) for _, label, proxy, choice, _ in mine[0].households] == [
        ("5号楼 2单元 5-2-201", True, AGREE)]
    with pytest.raises(InvalidInput, match="不能是业主本人"):
        register_proxy(session, actor=w.clerk, household_id=w.households[0], resident_id=w.owners[0].resident_id)


def test_paper_then_web_for_one_household_counts_the_paper_one(session):
    w = owners_building(session, ["89.50", "76.20"])
    enter_paper_owner_ballot(session, actor=w.clerk, vote_id=w.vote_id, household_id=w.households[0], choice=AGREE)
    session.commit()
    with pytest.raises(InvalidInput, match="5-2-101这一户的表决票已按纸质票录入，网上不能再投"):
        _web(session, w, 0, OPPOSE)
    session.rollback()
    t = tally_owners_vote(session, vote_id=w.vote_id)
    assert (t.voted_households, t.agree_households, t.oppose_households) == (1, 1, 0)
    sheet = {row.household_id: row for row in ballot_sheet(session, actor=w.clerk, vote_id=w.vote_id)}
    assert sheet[w.households[0]].how == "纸质" and sheet[w.households[1]].choice is None
    entered = session.exec(select(OwnerBallot)).one()
    assert entered.entered_by == w.clerk.user_id and entered.channel == Channel.PAPER


def test_web_then_paper_for_one_household_refuses_the_paper_one(session):
    w = owners_building(session, ["89.50", "76.20"])
    _web(session, w, 1, OPPOSE)
    session.commit()
    with pytest.raises(InvalidInput, match="已由业主本人在网上投票（反对），纸质票不能再计入"):
        enter_paper_owner_ballot(session, actor=w.clerk, vote_id=w.vote_id, household_id=w.households[1],
                                 choice=AGREE)
    session.rollback()
    assert tally_owners_vote(session, vote_id=w.vote_id).oppose_households == 1


def test_correcting_a_paper_ballot_is_audited(session):
    w = owners_building(session, ["89.50", "76.20"])
    enter_paper_owner_ballot(session, actor=w.clerk, vote_id=w.vote_id, household_id=w.households[0], choice=AGREE)
    fixed = enter_paper_owner_ballot(session, actor=w.clerk, vote_id=w.vote_id, household_id=w.households[0],
                                     choice=ABSTAIN)
    session.commit()
    assert fixed.previous == AGREE
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "owners_vote.ballot_corrected")).all()
    assert [(e.detail["before"], e.detail["choice"]) for e in events] == [("agree", "abstain")]


def test_closed_vote_takes_no_ballots_and_its_tally_is_reproducible(session):
    w = owners_building(session, ["89.50", "76.20", "89.50"])
    _votes(session, w, [AGREE, AGREE, OPPOSE])
    close_owners_vote(session, actor=w.admin, vote_id=w.vote_id)
    session.commit()
    with pytest.raises(PhaseClosed, match="业主表决已经结束"):
        _web(session, w, 2, AGREE)
    session.rollback()
    check = recompute_tally(session, vote_id=w.vote_id)
    assert check.matches is True and not check.tally.passed  # 179 of 255.2 m² is below 3/4
    # someone edits a ballot in the database behind the portal's back: the recount disagrees
    b = session.exec(select(OwnerBallot).where(OwnerBallot.choice == OwnerChoice.OPPOSE)).one()
    b.choice = OwnerChoice.AGREE
    session.add(b)
    session.commit()
    assert recompute_tally(session, vote_id=w.vote_id).matches is False


def test_published_result_must_match_the_thresholds(session):
    w = owners_building(session, ["80.00"] * 4)
    _votes(session, w, [AGREE, AGREE, AGREE, OPPOSE])
    close_owners_vote(session, actor=w.admin, vote_id=w.vote_id)
    with pytest.raises(InvalidInput, match="不能公布为“未通过”"):
        publish_owners_vote(session, actor=w.admin, vote_id=w.vote_id, as_passed=False)
    t = publish_owners_vote(session, actor=w.admin, vote_id=w.vote_id, as_passed=True)
    session.commit()
    assert t.passed and recompute_tally(session, vote_id=w.vote_id).vote.published_passed is True


def test_the_cli_recomputes_the_tally(engine, session, capsys):
    w = owners_building(session, ["89.50", "76.20", "89.50"])
    unit_of_work(engine, lambda s: _web(s, w, 0, AGREE))
    unit_of_work(engine, lambda s: close_owners_vote(s, actor=w.admin, vote_id=w.vote_id))
    from typer.testing import CliRunner

    from portal.cli import app

    result = CliRunner().invoke(app, ["owners-vote", "tally", str(w.vote_id)])
    assert result.exit_code == 0, result.output
    assert "参与：1 / 3 户" in result.output and "89.5 / 255.2 m²" in result.output
    assert "与结束时保存的计票一致" in result.output


def test_the_roster_import_records_owners_and_their_areas(session):
    from portal.models import OwnerHousehold
    from portal.services.decisions import create_owners_vote
    from portal.services.identity.roster import import_roster, preview_roster
    from tests import factories as f

    hood = f.community(session)
    actors = f.staff(session, hood)
    from portal.models import Role

    bad = "楼栋,单元,年龄段,户号,专有部分面积\n7号楼,1单元,60-69,7-1-101,八十九\n7号楼,1单元,45-59,,76.2\n".encode()
    preview = preview_roster(session, data=bad, filename="名册.csv", community_id=hood.id, actor=actors[Role.CLERK])
    assert [p.message for p in preview.errors] == [
        "专有部分面积“八十九”无法识别，请写成 89.50 这样的平方米数。",
        "填写了专有部分面积的业主行须同时填写户号。"]
    good = ("楼栋,单元,年龄段,户号,专有部分面积\n"
            "7号楼,1单元,60-69,7-1-101,89.5㎡\n"
            "7号楼,1单元,30-44,7-1-101,\n"  # a family member of the same flat: not the owner
            "7号楼,1单元,70-79,7-1-102,76.20 平方米\n").encode()
    import_roster(session, actor=actors[Role.CLERK], data=good, filename="名册.csv", community_id=hood.id)
    session.commit()
    flats = session.exec(select(OwnerHousehold).order_by(OwnerHousehold.room)).all()
    assert [(h.room, h.area_m2) for h in flats] == [("7-1-101", Decimal("89.50")), ("7-1-102", Decimal("76.20"))]
    c = f.consultation(session, hood, title="7号楼外墙保温改造", question="是否同意外墙保温改造？")
    v = create_owners_vote(session, actor=actors[Role.ADMIN], consultation_id=c.id, title="7号楼外墙保温改造",
                           matter=VoteMatter.REBUILD, area_id=flats[0].area_id)
    assert v.roll == [[flats[0].id, "89.50"], [flats[1].id, "76.20"]]


def test_the_demo_lift_vote_just_misses_the_area_threshold(tmp_path, monkeypatch):
    """The demo's 5号楼2单元 vote: enough owners took part, a few m² too little area; the tally
    recomputed from its stored ballots matches what was stored when it closed."""
    from portal.db import make_engine
    from portal.models import Consultation, OwnersVote
    from portal.services.decisions import closing_within
    from tests.support import demo_database

    engine = make_engine(f"sqlite:///{demo_database(tmp_path)}")
    with Session(engine) as s:
        vote = s.exec(select(OwnersVote)).one()
        c = s.get(Consultation, vote.consultation_id)
        check = recompute_tally(s, vote_id=vote.id)
        soon = closing_within(s, 24)
    engine.dispose()
    t = check.tally
    assert "加装电梯" in c.title and check.matches is True and vote.published_passed is False
    assert t.participation_heads_met and t.agreement_met and not t.participation_area_met
    assert t.missing_participation_text() == "还差 3.07 m² 参与"
    assert [s.title for s in soon] == ["长者食堂晚餐时间"]


def test_staff_of_another_community_cannot_touch_the_vote_or_the_poll(session):
    from portal.models import PollKind, Role
    from portal.services.decisions import QuestionDraft, close_poll, create_poll
    from portal.services.errors import PermissionDenied
    from tests import factories as f

    w = owners_building(session, ["89.50", "76.20"])
    poll = create_poll(session, actor=w.admin, consultation_id=w.consultation_id, title="电梯方案问卷", questions=[
        QuestionDraft("您更倾向哪个方案？", PollKind.SINGLE, ["贴墙加装", "连廊入户"])])
    other = f.community(session, name="银杏苑社区")
    strangers = f.staff(session, other, [(Role.ADMIN, "yx_admin", "陈书记"), (Role.CLERK, "yx_clerk", "刘社工")])
    session.commit()
    for attempt in (
        lambda: enter_paper_owner_ballot(session, actor=strangers[Role.CLERK], vote_id=w.vote_id,
                                         household_id=w.households[0], choice=AGREE),
        lambda: close_owners_vote(session, actor=strangers[Role.ADMIN], vote_id=w.vote_id),
        lambda: register_proxy(session, actor=strangers[Role.CLERK], household_id=w.households[0],
                               resident_id=w.others[0].resident_id),
        lambda: close_poll(session, actor=strangers[Role.ADMIN], poll_id=poll.id),
        lambda: create_poll(session, actor=strangers[Role.ADMIN], consultation_id=w.consultation_id,
                            title="别的社区的问卷", questions=[QuestionDraft("同意吗？", PollKind.SINGLE, ["同意", "不同意"])]),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
        session.rollback()
    assert tally_owners_vote(session, vote_id=w.vote_id).voted_households == 0
