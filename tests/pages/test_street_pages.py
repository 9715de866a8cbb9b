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
