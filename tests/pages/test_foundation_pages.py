"""Every foundation page renders for its role, with real data from the demo database."""

import pytest

from portal.services.identity import issue_code
from tests.pages.conftest import demo_committee, demo_resident, open_page


def _texts(at) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader] + [str(e.value) for e in at.markdown]
    parts += [e.value for e in at.text] + [e.value for e in at.caption] + [e.value for e in at.info]
    return "\n".join(str(p) for p in parts)


def test_home_lists_the_demo_consultations(demo_db):
    """The demo is a street: / lists its communities, /?c=wutongli is 梧桐里社区's own home."""
    street = open_page("app_pages/public/home.py")
    assert not street.exception
    text = _texts(street)
    assert "清河街道" in text and "梧桐里社区" in text and "银杏苑社区" in text
    assert "加装电梯" not in text
    at = open_page("app_pages/public/home.py", query={"c": "wutongli"})
    assert not at.exception
    text = _texts(at)
    assert "梧桐里社区" in text
    for title in ("加装电梯", "停车", "食堂"):
        assert title in text
    assert "垃圾分类" not in text  # 银杏苑社区's consultation stays on its own home


def test_an_unknown_community_address_is_explained(demo_db):
    at = open_page("app_pages/public/home.py", query={"c": "nosuchplace"})
    assert not at.exception
    assert "找不到代号为“nosuchplace”的社区" in " ".join(e.value for e in at.error)


def test_resident_signs_in_with_a_code(demo_db):
    from sqlmodel import Session, select

    from portal.models import Resident
    from portal.services.actors import SystemActor

    with Session(demo_db) as s:
        resident_id = s.exec(select(Resident.id)).first()
        code = issue_code(s, actor=SystemActor("test"), resident_id=resident_id)
        s.commit()
    at = open_page("app_pages/resident/sign_in.py")
    at.text_input(key="signin.code").input(code.lower())
    at.button[-1].click().run()
    assert not at.exception
    assert at.session_state["auth.actor"].resident_id == resident_id


def test_wrong_code_gets_a_chinese_message_and_keeps_the_input(demo_db):
    at = open_page("app_pages/resident/sign_in.py")
    at.text_input(key="signin.code").input("ABCDE-FGHJK")
    at.button[-1].click().run()
    assert "参与码不正确" in at.error[0].value
    assert at.text_input(key="signin.code").value == "ABCDE-FGHJK"


def test_my_page_shows_the_residents_building(demo_db):
    resident = demo_resident(demo_db)
    at = open_page("app_pages/resident/my.py", actor=resident)
    assert not at.exception
    assert resident.area_name in _texts(at)


def test_committee_dashboard_shows_counts_and_refuses_visitors(demo_db):
    at = open_page("app_pages/committee/dashboard.py", actor=demo_committee(demo_db, "reviewer"))
    assert not at.exception
    assert "加装电梯" in " ".join(h.value for h in at.subheader)
    assert sum(int(m.value) for m in at.metric if m.label == "意见") >= 400
    # a visitor is not even offered the page
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page("app_pages/committee/dashboard.py")


def test_committee_login_with_demo_account(demo_db):
    at = open_page("app_pages/committee/login.py")
    at.text_input(key="login.username").input("admin")
    at.text_input(key="login.password").input("Admin2026")
    at.button[-1].click().run()
    assert not at.exception
    assert at.session_state["auth.actor"].username == "admin"
