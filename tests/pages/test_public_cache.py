"""The public pages' cache (portal/ui/public_cache.py): repeat visitors are served from it, and a
change written by another process (another replica, the CLI) shows on the next visit, because
the cache is keyed on a marker in the database, not on anything this process remembers."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from portal.db import change_marker, unit_of_work
from portal.services.identity import committee_actor
from portal.services.participation import cast_vote
from portal.services.participation.moderation import hide
from portal.services.participation.opinions import new_opinion
from tests.neighbourhood import neighbourhood_db, resident
from tests.pages.conftest import open_page

PAGE = "app_pages/public/consultation.py"


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    yield from neighbourhood_db(tmp_path, monkeypatch)


def _texts(at) -> list[str]:
    return [t.value for t in at.text] + [m.value for m in at.markdown] + [c.value for c in at.caption]


def test_a_change_made_elsewhere_shows_on_the_next_visit(hood_db):
    engine, hood = hood_db
    cid = str(hood.collecting.id)
    first = open_page(PAGE, query={"id": cid})
    assert not first.exception
    assert "**5** 条意见" in " ".join(_texts(first))

    # Another replica stores a new opinion: the marker in the database moves.
    before = _marker(engine)
    unit_of_work(engine, lambda s: new_opinion(
        s, consultation_id=hood.collecting.id, text="建议在3号楼旁边划出临时装卸车位，快递车不要堵消防通道。",
        resident_id=hood.residents[0].id, area_id=hood.residents[0].area_id))
    assert _marker(engine) != before
    again = open_page(PAGE, query={"id": cid})
    shown = " ".join(_texts(again))
    assert "**6** 条意见" in shown
    assert "建议在3号楼旁边划出临时装卸车位，快递车不要堵消防通道。" in shown

    # A moderator on another replica hides an opinion (an audited action): gone on the next visit.
    target = hood.opinions[2]
    reviewer = committee_actor(hood.reviewer)
    unit_of_work(engine, lambda s: hide(s, actor=reviewer, target_type="opinion", target_id=target.id,
                                        reason="含有他人住址"))
    after_hide = open_page(PAGE, query={"id": cid})
    assert target.text_public not in " ".join(_texts(after_hide))
    assert "**5** 条意见" in " ".join(_texts(after_hide))


def test_a_new_vote_moves_the_counts_on_the_home_page(hood_db):
    engine, hood = hood_db
    home = open_page("app_pages/public/home.py")
    before = [m.value for m in home.markdown if "次投票" in m.value]
    me = resident(engine, hood)
    unit_of_work(engine, lambda s: cast_vote(s, actor=me, opinion_id=hood.opinions[0].id, value="agree"))
    after = [m.value for m in open_page("app_pages/public/home.py").markdown if "次投票" in m.value]
    assert before != after


def _marker(engine) -> str:
    with Session(engine) as s:
        return change_marker(s)


def test_ten_opinions_first_then_ten_more_on_request(demo_db):
    """The opinion list starts with ten (a phone screen or two, and fewer elements for a crowd
    arriving at once); 显示更多意见 adds ten more, from the cache as for everyone else."""
    with Session(demo_db) as s:
        from sqlmodel import func, select

        from portal.models import Opinion
        from portal.services.queries import visible_opinions_of

        cid = s.exec(select(Opinion.consultation_id).group_by(Opinion.consultation_id)
                     .order_by(func.count().desc())).first()
        visible = s.exec(select(func.count()).select_from(Opinion).where(visible_opinions_of(cid))).one()
    assert visible > 20
    at = open_page(PAGE, query={"id": str(cid)})
    opens = [b for b in at.button if b.key.startswith("consultation.open.")]
    assert len(opens) == 10
    assert any(c.value == f"已显示 10 / {visible} 条" for c in at.caption)
    next(b for b in at.button if b.key == "consultation.more").click().run()
    assert len([b for b in at.button if b.key.startswith("consultation.open.")]) == 20
    assert any(c.value == f"已显示 20 / {visible} 条" for c in at.caption)
