"""The street's pages on the demo street (decision 0025): 街道总览 for the street admin, read-only
and counts only; each community's staff see their own community's workbench."""

from portal.models import Role
from tests.pages.conftest import demo_committee, open_page

OVERVIEW = "app_pages/street/overview.py"
DASHBOARD = "app_pages/committee/dashboard.py"


def _all_text(at) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader] + [str(e.value) for e in at.markdown]
    parts += [e.value for e in at.text] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [str(e.label) for e in at.expander] + [str(e.value) for e in at.metric]
    return "\n".join(str(p) for p in parts)


def test_street_admin_sees_both_communities_side_by_side(demo_db):
    street = demo_committee(demo_db, "street")
    assert street.role == Role.STREET_ADMIN
    at = open_page(OVERVIEW, actor=street)
    assert not at.exception and not at.error
    text = _all_text(at)
    assert "街道总览" in text and "清河街道" in text
    table = at.dataframe[0].value
    assert list(table["社区"]) == ["梧桐里社区", "银杏苑社区"]
    assert list(table["名册居民"]) == [600, 120]
    assert (table["正在征集"] == 1).all()
    assert table["未回应主题"].sum() >= 1  # 消防通道被占 waits in 梧桐里; 银杏苑's review is under way
    assert table.loc[table["社区"] == "银杏苑社区", "逾期事项"].item() >= 1  # the 11-30 垃圾房 deadline
    assert 0 < table["参与率（全部公开议题）"].max() <= 1
    # counts only: no household reference, code or opinion text of any resident
    assert "-001" not in text and "参与码" not in text


def _menu(at) -> list[str]:
    return [p.proto.label for p in at.get("page_link")]


def test_community_staff_have_no_street_overview_in_their_menu(demo_db):
    at = open_page("app_pages/public/home.py", actor=demo_committee(demo_db, "admin"))
    assert not at.exception
    assert "工作台" in _menu(at) and "街道总览" not in _menu(at)


def test_street_admin_menu_is_the_street_overview_not_a_workbench(demo_db):
    at = open_page("app_pages/public/home.py", actor=demo_committee(demo_db, "street"))
    assert not at.exception
    menu = _menu(at)
    assert "街道总览" in menu
    assert not {"工作台", "议题管理", "名册与参与码", "主题研判", "数据导出"} & set(menu)


def test_each_communitys_staff_see_only_their_own_consultations(demo_db):
    yx = open_page(DASHBOARD, actor=demo_committee(demo_db, "yx_admin"))
    assert not yx.exception
    titles = [e.value for e in yx.subheader]
    assert any("垃圾分类" in t for t in titles) and any("口袋公园" in t for t in titles)
    assert not any("加装电梯" in t for t in titles)
    wt = open_page(DASHBOARD, actor=demo_committee(demo_db, "admin"))
    titles = [e.value for e in wt.subheader]
    assert any("加装电梯" in t for t in titles) and not any("垃圾分类" in t for t in titles)


def test_a_code_on_another_communitys_sign_in_address_says_where_it_belongs(demo_db):
    from sqlmodel import Session, col, select

    from portal.models import Community, Resident
    from portal.services.actors import SystemActor
    from portal.services.identity import issue_code

    with Session(demo_db) as s:
        wutongli = s.exec(select(Community).where(Community.slug == "wutongli")).one()
        first = s.exec(select(Resident).where(Resident.community_id == wutongli.id).order_by(col(Resident.id))).first()
        code = issue_code(s, actor=SystemActor("test"), resident_id=first.id)
        s.commit()
    at = open_page("app_pages/resident/sign_in.py", query={"c": "yinxingyuan"})
    assert "银杏苑社区 · 居民登录" in [t.value for t in at.title]
    at.text_input(key="signin.code").input(code)
    next(b for b in at.button if b.label == "登录").click().run()
    assert not at.exception
    message = " ".join(e.value for e in at.error).replace("\\", "")  # Markdown escapes: shown as typed
    assert "这个参与码属于梧桐里社区" in message and "/?c=wutongli" in message
    assert at.text_input(key="signin.code").value == code  # the typed code stays in the form


# ---------------------------------------------------------------- 社区详情: one community, read-only

COMMUNITY = "app_pages/street/community.py"
# input widgets that could change something; read widgets (select boxes, tabs, the 分组方式 radio) are fine
WRITE_WIDGETS = ("button", "text_input", "text_area", "number_input", "date_input", "checkbox", "toggle",
                 "file_uploader", "form", "download_button", "chat_input", "color_picker")


def _main_writes(at) -> list[str]:
    return [f"{kind}:{getattr(e, 'label', '')}" for kind in WRITE_WIDGETS for e in at.main.get(kind)]


def test_street_admin_opens_a_community_of_the_street_read_only(demo_db):
    at = open_page(COMMUNITY, actor=demo_committee(demo_db, "street"), query={"c": "yinxingyuan"})
    assert not at.exception and not at.error
    assert at.selectbox(key="street.community").value == "yinxingyuan"
    assert "银杏苑社区" in [e.value for e in at.subheader]
    table = at.dataframe[0].value
    assert set(table["议题"]) == {"口袋公园改造意见征集", "垃圾分类投放点调整意见征集"}
    garbage = table[table["议题"] == "垃圾分类投放点调整意见征集"].iloc[0]
    assert garbage["阶段"] == "研判中" and garbage["主题"] == 3 and garbage["未回应主题"] == 2
    assert not _main_writes(at), _main_writes(at)


def test_the_themes_tab_shows_each_theme_with_its_answer(demo_db):
    at = open_page(COMMUNITY, actor=demo_committee(demo_db, "street"), query={"c": "yinxingyuan"})
    picker = at.selectbox(key="street.consultation.yinxingyuan")
    picker.select(next(o for o in picker.options if "垃圾分类" in o)).run()
    assert not at.exception and not at.error
    text = _all_text(at)
    assert "投放点位置与异味" in text and "督导员与宣传" in text
    assert "居委会决定：部分采纳" in text and "物业服务中心" in text  # the answer and who carries it out
    assert "待回应" in text  # 督导员与宣传 waits for its answer
    # participation against the roster, by building: counts only
    assert [m.value for m in at.metric if m.label == "名册人数"] == ["120"]
    assert not _main_writes(at)


def test_street_admin_sees_no_residents_identity_on_a_community(demo_db):
    from sqlmodel import Session, select

    from portal.models import Area, Community, Resident

    at = open_page(COMMUNITY, actor=demo_committee(demo_db, "street"), query={"c": "wutongli"})
    assert not at.exception
    for picker_value in at.selectbox(key="street.consultation.wutongli").options:
        at.selectbox(key="street.consultation.wutongli").select(picker_value).run()
        assert not at.exception and not at.error
    frames = "\n".join(f.value.to_csv() for f in at.dataframe)
    text = _all_text(at) + frames
    with Session(demo_db) as s:
        wutongli = s.exec(select(Community).where(Community.slug == "wutongli")).one()
        refs = [r.household_ref for r in s.exec(select(Resident).where(Resident.community_id == wutongli.id))
                if r.household_ref]
        areas = {a.name for a in s.exec(select(Area).where(Area.community_id == wutongli.id))}
    assert refs and not [ref for ref in refs if ref in text]  # no household reference of any resident
    assert "参与码" not in text
    assert any(a in frames for a in areas)  # buildings appear only as groups with counts


def test_street_overview_links_each_community_to_its_read_only_page(demo_db):
    at = open_page(OVERVIEW, actor=demo_committee(demo_db, "street"))
    links = [p.proto for p in at.get("page_link") if "的议题、参与和回应" in p.proto.label]
    assert [p.label for p in links] == ["查看梧桐里社区的议题、参与和回应", "查看银杏苑社区的议题、参与和回应"]
    assert "社区详情" in _menu(at)


def test_community_staff_cannot_open_the_streets_community_page(demo_db):
    from datetime import UTC, datetime

    from streamlit.testing.v1 import AppTest

    from tests.support import ROOT

    staff = demo_committee(demo_db, "yx_admin")
    assert "社区详情" not in _menu(open_page("app_pages/public/home.py", actor=staff))
    # and the page itself, run directly, refuses them before reading anything
    at = AppTest.from_file(str(ROOT / "portal" / COMMUNITY), default_timeout=30)
    at.session_state["auth.actor"] = staff
    at.session_state["auth.since"] = datetime.now(UTC)
    at.query_params["c"] = "wutongli"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["您的账号没有访问此页面的权限。"]
    assert not at.dataframe and not at.selectbox
