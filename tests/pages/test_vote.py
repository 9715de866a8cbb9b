"""表态投票 page: one opinion at a time, fewest votes first, changeable, ends when all are done."""

import pytest
from sqlmodel import Session, select

from portal.models import Vote
from tests.neighbourhood import neighbourhood_db, resident
from tests.pages.conftest import open_page

PAGE = "app_pages/resident/vote.py"


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    yield from neighbourhood_db(tmp_path, monkeypatch)


def click(at, key):
    # vote buttons carry the opinion id in their key: vote.agree.<id>
    next(b for b in at.button if b.key == key or b.key.startswith(key + ".")).click().run()
    assert not at.exception


def test_resident_votes_through_the_queue_and_can_change_the_last_vote(hood_db):
    engine, hood = hood_db
    me = resident(engine, hood)
    at = open_page(PAGE, actor=me, query={"id": str(hood.collecting.id)})
    assert not at.exception
    assert "还有 5 条" in at.get("progress")[0].proto.text
    texts = {o.text_public for o in hood.opinions}
    assert any(t.value in texts for t in at.text)
    assert not any("骗子" in t.value for t in at.text)  # hidden opinion never shown

    click(at, "vote.agree")
    assert "还有 4 条" in at.get("progress")[0].proto.text
    assert any("刚才这条您选了“同意”" in c.value for c in at.caption)
    click(at, "vote.change.disagree")
    click(at, "vote.pass")
    click(at, "vote.agree")
    click(at, "vote.disagree")
    click(at, "vote.pass")
    assert any("您都表过态了" in s.value for s in at.success)
    with Session(engine) as s:
        votes = s.exec(select(Vote).where(Vote.resident_id == me.resident_id)).all()
    assert len(votes) == 5
    assert sorted(v.value for v in votes) == ["agree", "disagree", "disagree", "pass", "pass"]


def test_author_never_sees_own_opinion(hood_db):
    engine, hood = hood_db
    author = resident(engine, hood, 1)
    at = open_page(PAGE, actor=author)
    for _ in range(4):
        assert not any(t.value == hood.opinions[0].text_public for t in at.text)
        click(at, "vote.pass")
    assert any("您都表过态了" in s.value for s in at.success)


def test_no_open_consultation_says_so(hood_db):
    engine, hood = hood_db
    with Session(engine) as s:
        c = s.get(type(hood.collecting), hood.collecting.id)
        c.phase = "reviewing"
        s.add(c)
        s.commit()
    at = open_page(PAGE, actor=resident(engine, hood))
    assert any("没有可以投票的议题" in i.value for i in at.info)
