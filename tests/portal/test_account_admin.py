"""Account administration: list, deactivate/reactivate, change role; who may do it."""

import pytest
from sqlmodel import select

from portal.models import AuditEvent, CommitteeUser, Role
from portal.services.actors import PERMISSIONS, has_permission
from portal.services.errors import InvalidInput, PermissionDenied, SignInFailed
from portal.services.identity import (
    authenticate,
    change_role,
    create_user,
    get_committee_actor,
    list_users,
    reset_password,
    set_user_active,
)
from tests.ops_support import build_hood


@pytest.fixture
def hood(session):
    return build_hood(session)


def test_admin_lists_users(session, hood):
    assert [u.username for u in list_users(session, actor=hood.admin)] == ["li", "wang", "zhang"]


@pytest.mark.parametrize("who", ["reviewer", "clerk"])
def test_only_admin_manages_users(session, hood, who):
    actor = getattr(hood, who)
    with pytest.raises(PermissionDenied, match="管理账号"):
        list_users(session, actor=actor)
    with pytest.raises(PermissionDenied):
        create_user(session, actor=actor, username="zhao", password="Zhao2026x", role=Role.CLERK)
    with pytest.raises(PermissionDenied):
        reset_password(session, actor=actor, username="wang", password="NewPass2026")
    with pytest.raises(PermissionDenied):
        set_user_active(session, actor=actor, user_id=hood.admin.user_id, active=False)
    with pytest.raises(PermissionDenied):
        change_role(session, actor=actor, user_id=actor.user_id, role=Role.ADMIN)


def test_deactivated_user_cannot_sign_in_and_loses_access(session, hood):
    set_user_active(session, actor=hood.admin, user_id=hood.clerk.user_id, active=False)
    session.commit()
    with pytest.raises(SignInFailed):
        authenticate(session, username="zhang", password="Passw0rd2026")
    assert get_committee_actor(session, hood.clerk.user_id) is None
    set_user_active(session, actor=hood.admin, user_id=hood.clerk.user_id, active=True)
    session.commit()
    assert authenticate(session, username="zhang", password="Passw0rd2026").role == Role.CLERK
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.target_type == "user"))]
    assert "user.deactivate" in actions and "user.reactivate" in actions


def test_admin_cannot_lock_themselves_out(session, hood):
    with pytest.raises(InvalidInput, match="不能停用自己"):
        set_user_active(session, actor=hood.admin, user_id=hood.admin.user_id, active=False)
    with pytest.raises(InvalidInput, match="不能取消自己的管理员角色"):
        change_role(session, actor=hood.admin, user_id=hood.admin.user_id, role=Role.CLERK)


def test_last_admin_is_kept(session, hood):
    from portal.services.actors import SystemActor

    with pytest.raises(InvalidInput, match="最后一个启用中的管理员"):
        set_user_active(session, actor=SystemActor("cli"), user_id=hood.admin.user_id, active=False)
    change_role(session, actor=hood.admin, user_id=hood.reviewer.user_id, role=Role.ADMIN)
    session.commit()
    # now there are two admins: the other one may demote wang
    other = get_committee_actor(session, hood.reviewer.user_id)
    change_role(session, actor=other, user_id=hood.admin.user_id, role=Role.REVIEWER)
    session.commit()
    assert session.get(CommitteeUser, hood.admin.user_id).role == Role.REVIEWER


def test_role_change_takes_effect_on_next_page(session, hood):
    change_role(session, actor=hood.admin, user_id=hood.clerk.user_id, role=Role.REVIEWER)
    session.commit()
    fresh = get_committee_actor(session, hood.clerk.user_id)
    assert fresh.role == Role.REVIEWER
    assert has_permission(fresh, "export_data") and not has_permission(fresh, "enter_offline")


def test_reset_password_unlocks(session, hood):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            authenticate(session, username="zhang", password="wrong-password1")
    with pytest.raises(SignInFailed, match="锁定"):
        authenticate(session, username="zhang", password="Passw0rd2026")
    reset_password(session, actor=hood.admin, username="zhang", password="Fresh2026pw")
    session.commit()
    assert authenticate(session, username="zhang", password="Fresh2026pw")


@pytest.mark.parametrize("permission, roles", [
    ("manage_users", {Role.ADMIN}),
    ("manage_consultation", {Role.ADMIN}),
    ("import_roster", {Role.ADMIN, Role.CLERK}),
    ("issue_codes", {Role.ADMIN, Role.CLERK}),
    ("enter_offline", {Role.ADMIN, Role.CLERK}),
    ("export_data", {Role.ADMIN, Role.REVIEWER}),
])
def test_operations_permission_table(permission, roles):
    assert PERMISSIONS[permission] == roles


def test_actor_reread_from_database_has_role_with_label(session, hood):
    session.expire_all()
    fresh = get_committee_actor(session, hood.clerk.user_id)
    assert fresh.role.label == "录入员"  # the sidebar shows it on every page


def test_cli_user_list(session, hood, settings):
    import os
    import subprocess
    import sys

    session.commit()
    out = subprocess.run([sys.executable, "-m", "portal.cli", "user", "list"], env=dict(os.environ),
                         capture_output=True, text=True, check=True)
    lines = [line.split() for line in out.stdout.splitlines()]
    assert ["wang", "王主任", "管理员", "启用"] == lines[1][:4]
    assert any(parts[:3] == ["zhang", "张社工", "录入员"] for parts in lines)


def test_staff_guide_permission_table_matches_the_code():
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "committee-operations.md").read_text("utf-8")
    guide = guide.split("## 角色与权限")[1].split("\n## ")[0]
    rows = {line.split("|")[1].strip(): [c.strip() == "✓" for c in line.split("|")[2:5]]
            for line in guide.splitlines() if line.startswith("| ") and "✓" in line}
    by_label = {"账号管理": "manage_users", "创建和编辑议题": "manage_consultation",
                "导入名册": "import_roster", "发放、补发": "issue_codes", "录入线下意见": "enter_offline",
                "查看参与情况": "view_committee", "导出议题数据": "export_data"}
    checked = 0
    for label, flags in rows.items():
        permission = next(p for prefix, p in by_label.items() if label.startswith(prefix))
        roles = {role for role, ok in zip([Role.ADMIN, Role.REVIEWER, Role.CLERK], flags, strict=True) if ok}
        assert roles == PERMISSIONS[permission], label
        checked += 1
    assert checked == 7
