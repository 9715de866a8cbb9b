"""居民登录 page: good, wrong and expired codes; signed-in view with area and sign-out;
the 大字 switch persists through the address."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from portal.models import ParticipationCode, utcnow
from portal.services.actors import SystemActor
from portal.services.identity import issue_code
from tests.neighbourhood import neighbourhood_db
from tests.pages.conftest import APP, open_page

PAGE = "app_pages/resident/sign_in.py"


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    yield from neighbourhood_db(tmp_path, monkeypatch)


def code_for(engine, hood, index=0, expired=False):
    with Session(engine) as s:
        code = issue_code(s, actor=SystemActor("test"), resident_id=hood.residents[index].id)
        if expired:
            row = s.exec(select(ParticipationCode)).all()[-1]
            row.expires_at = utcnow() - timedelta(days=1)
            s.add(row)
        s.commit()
    return code


def sign_in(at, code):
    at.text_input(key="signin.code").input(code)
    next(b for b in at.button if b.label == "登录").click().run()


def test_sign_in_shows_area_then_sign_out(hood_db):
    engine, hood = hood_db
    code = code_for(engine, hood)
    at = open_page(PAGE, query={"next": str(hood.collecting.id)})
    assert at.title[0].value == "居民登录"
    sign_in(at, code.lower())
    assert not at.exception
    assert at.title[0].value == "我的账号"
    assert any("第一网格 · 3号楼" in s.value for s in at.success)
    links = [p.proto.label for p in at.get("page_link")]
    assert "回到“停车难与非机动车充电”" in links
    next(b for b in at.button if b.key == "signin.sign_out").click().run()
    assert at.title[0].value == "居民登录"


@pytest.mark.parametrize(("expired", "typed", "message"), [
    (False, "ABCDE-FGHJK", "参与码不正确"),
    (True, None, "已过期"),
    (False, "   ", "请输入参与码"),
])
def test_wrong_or_expired_code_is_refused_in_chinese(hood_db, expired, typed, message):
    engine, hood = hood_db
    code = code_for(engine, hood, expired=expired)
    at = open_page(PAGE)
    sign_in(at, typed if typed is not None else code)
    assert any(message in e.value for e in at.error)
    assert at.title[0].value == "居民登录"


def test_large_text_switch_survives_navigation_and_reload(hood_db):
    from streamlit.testing.v1 import AppTest

    at = open_page("app_pages/public/home.py")
    assert not any("font-size: 20px" in h.proto.body for h in at.get("html"))
    at.toggle(key="ui.large_text").set_value(True).run()
    assert at.query_params["big"] in ("1", ["1"])
    assert any("font-size: 20px" in h.proto.body for h in at.get("html"))
    at.switch_page(PAGE).run()
    assert at.toggle(key="ui.large_text").value is True

    reloaded = AppTest.from_file(APP, default_timeout=30)  # a new browser session, same address
    reloaded.query_params["big"] = "1"
    reloaded.run()
    assert reloaded.toggle(key="ui.large_text").value is True
    assert any("font-size: 20px" in h.proto.body for h in reloaded.get("html"))
    reloaded.toggle(key="ui.large_text").set_value(False).run()
    assert "big" not in reloaded.query_params


def redirect_scripts(at) -> list[str]:
    return [h.proto.body for h in at.get("html") if "window.location.replace" in h.proto.body]


def test_sign_in_opens_a_server_session_and_sign_out_revokes_it(hood_db):
    from portal.models import AuthSession

    engine, hood = hood_db
    at = open_page(PAGE, query={"next": str(hood.collecting.id)})
    assert redirect_scripts(at) == []  # a visitor is sent nowhere
    sign_in(at, code_for(engine, hood))
    (script,) = redirect_scripts(at)  # to the route that sets the HttpOnly cookie, then back here
    assert '"/auth/session?t=' in script and f"next=%2Fsign_in%3Fnext%3D{hood.collecting.id}" in script
    assert "document.cookie" not in script
    at.run()
    assert redirect_scripts(at) == []  # sent once, not on every run
    with Session(engine) as s:
        (row,) = s.exec(select(AuthSession)).all()
        assert row.resident_id == hood.residents[0].id and row.revoked_at is None
    next(b for b in at.button if b.key == "signin.sign_out").click().run()
    assert at.title[0].value == "居民登录"
    with Session(engine) as s:
        assert s.exec(select(AuthSession)).one().revoked_at is not None
