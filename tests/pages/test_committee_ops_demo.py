"""The operations pages on the full demo neighbourhood (600 residents, three consultations)."""

from tests.pages.conftest import demo_committee, open_page


def test_roster_page_lists_the_whole_demo_roster(demo_db):
    admin = demo_committee(demo_db, "admin")
    at = open_page("app_pages/committee/roster.py", actor=admin)
    assert not at.exception
    assert "将为 **600** 位居民发放参与码，生成 75 页 A4 纸条" in at.markdown[0].value
    assert len(at.dataframe[0].value) == 600


def test_participation_on_the_demo_parking_consultation(demo_db):
    reviewer = demo_committee(demo_db, "reviewer")
    at = open_page("app_pages/committee/participation.py", actor=reviewer)
    assert not at.exception
    titles = at.selectbox(key="participation.consultation").options
    assert any("停车难" in t for t in titles)
    roster, participants, _ = (m.value for m in at.metric)
    assert roster == "600" and int(participants) > 0


def test_offline_page_for_the_demo_clerk(demo_db):
    clerk = demo_committee(demo_db, "clerk")
    at = open_page("app_pages/committee/offline.py", actor=clerk)
    assert not at.exception
    # only the collecting consultation takes new opinions
    options = at.selectbox(key="offline.consultation").options
    assert len(options) == 1 and "社区食堂" in options[0] and options[0].endswith("征集中")
