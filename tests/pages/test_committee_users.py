"""账号管理 page."""

import pytest
from sqlmodel import Session, select

from portal.models import CommitteeUser, Role
from tests.pages.conftest import open_page
from tests.pages.ops_fixtures import ops_database, run_page


@pytest.fixture
def ops_db(tmp_path, monkeypatch):
    yield from ops_database(tmp_path, monkeypatch)


PAGE = "committee/users.py"


def test_visitor_and_clerk_are_refused(ops_db):
    _, hood = ops_db
    at = run_page(PAGE)
    assert "请先以居委会工作人员身份登录" in at.warning[0].value
    at = run_page(PAGE, hood.clerk)
    assert at.error[0].value == "您的账号没有访问此页面的权限。"
    assert not at.dataframe


def test_admin_adds_a_user_and_sees_a_mismatch_error(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.admin)
    assert set(at.dataframe[0].value["用户名"]) == {"wang", "li", "zhang"}
    at.text_input(key="users.add.username").input("zhao")
    at.text_input(key="users.add.name").input("赵社工")
    at.selectbox(key="users.add.role").select(Role.CLERK)
    at.text_input(key="users.add.pw").input("Zhao2026pw")
    at.text_input(key="users.add.pw2").input("Zhao2026px")
    at.button[0].click()  # the form's submit button
    at = at.run()
    assert at.error[0].value == "两次输入的密码不一致。"
    assert at.text_input(key="users.add.username").value == "zhao"  # kept for correcting
    at.text_input(key="users.add.pw2").input("Zhao2026pw")
    at.button[0].click()
    at = at.run()
    assert at.success[0].value == "已创建账号 zhao（录入员）。"
    with Session(engine) as s:
        assert s.exec(select(CommitteeUser).where(CommitteeUser.username == "zhao")).one().role == Role.CLERK


def test_admin_deactivates_the_clerk(ops_db):
    engine, hood = ops_db
    at = run_page(PAGE, hood.admin)
    at.selectbox(key="users.selected").select(hood.clerk.user_id)
    at = at.run()
    at.button(key="users.toggle").click()
    at = at.run()
    assert at.success[0].value == "已停用 zhang。"
    with Session(engine) as s:
        assert s.get(CommitteeUser, hood.clerk.user_id).active is False


def test_admin_cannot_deactivate_self(ops_db):
    _, hood = ops_db
    at = run_page(PAGE, hood.admin)
    at.selectbox(key="users.selected").select(hood.admin.user_id)
    at = at.run()
    at.button(key="users.toggle").click()
    at = at.run()
    assert at.error[0].value == "不能停用自己正在使用的账号。"


def test_router_shows_operations_pages_by_role(ops_db):
    _, hood = ops_db
    at = open_page("app_pages/committee/dashboard.py", actor=hood.clerk)
    assert not at.exception
    at = open_page("app_pages/committee/offline.py", actor=hood.clerk)
    assert at.title[0].value == "线下意见录入"
