"""我的参与 page: own opinions with theme, answer and timeline; own votes changeable while open."""

import pytest
from sqlmodel import Session, select

from portal.db import unit_of_work
from portal.models import Vote, VoteValue
from portal.services.participation import cast_vote
from tests.neighbourhood import neighbourhood_db, resident
from tests.pages.conftest import open_page

PAGE = "app_pages/resident/my.py"


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    yield from neighbourhood_db(tmp_path, monkeypatch)


def test_my_opinion_with_theme_answer_and_timeline(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood))
    assert not at.exception
    shown = [t.value for t in at.text]
    assert "希望加装电梯时照顾一楼住户的采光，费用分摊要公开透明。" in shown
    assert "费用分摊与低层住户（处理中）" in shown
    assert "部分采纳：按楼层分级分摊费用，并为一楼住户争取补偿。" in shown
    assert any("正在征求各楼栋签字" in t for t in shown)
    assert "加装电梯" in [h.value for h in at.subheader]


def test_votes_can_be_changed_here_while_voting_is_open(hood_db):
    engine, hood = hood_db
    me = resident(engine, hood)
    unit_of_work(engine, lambda s: cast_vote(s, actor=me, opinion_id=hood.opinions[0].id, value="agree"))
    at = open_page(PAGE, actor=me)
    radio = at.radio(key=f"my.vote.{hood.opinions[0].id}")
    assert radio.value == VoteValue.AGREE
    radio.set_value(VoteValue.DISAGREE).run()
    assert not at.exception
    assert any("已改为“不同意”" in s.value for s in at.success)
    with Session(engine) as s:
        assert s.exec(select(Vote).where(Vote.resident_id == me.resident_id)).one().value == "disagree"


def test_hidden_opinion_explains_why(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood, 6))
    assert any("已被居委会隐藏" in w.value and "含有人身攻击" in w.value for w in at.warning)


def test_resident_with_nothing_yet_gets_a_pointer(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood, 7))
    assert any("还没有参与过" in i.value for i in at.info)
