"""Who is acting, and what each committee role may do.

Every service that changes something takes an ``actor`` and checks it here, so a rule holds
whether the request came from a page, the CLI or a test, not only because a button was hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import Role
from portal.services.errors import PermissionDenied


@dataclass(frozen=True)
class CommitteeActor:
    """A signed-in staff member. Community staff carry their ``community_id``; a street admin
    carries ``street_id`` and the ids of the street's communities (read when the account is
    read, on every page), which is all ``tenancy.require_for`` needs (decision 0025)."""

    user_id: int
    username: str
    display_name: str
    role: Role
    community_id: int | None = None
    street_id: int | None = None
    street_community_ids: frozenset[int] = frozenset()

    @property
    def audit_name(self) -> str:
        return f"committee:{self.user_id}"


@dataclass(frozen=True)
class ResidentActor:
    resident_id: int
    community_id: int
    area_id: int
    area_name: str
    grid: str

    @property
    def audit_name(self) -> str:
        return f"resident:{self.resident_id}"


@dataclass(frozen=True)
class SystemActor:
    """The CLI, the demo generator, scheduled jobs."""

    name: str = "system"

    @property
    def audit_name(self) -> str:
        return self.name


Actor = CommitteeActor | ResidentActor | SystemActor

# permission -> roles that hold it. SystemActor holds every permission.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "manage_users": frozenset({Role.ADMIN}),
    "view_audit": frozenset({Role.ADMIN}),
    "manage_consultation": frozenset({Role.ADMIN}),
    "manage_decisions": frozenset({Role.ADMIN}),
    "change_phase": frozenset({Role.ADMIN}),
    "publish_results": frozenset({Role.ADMIN, Role.REVIEWER}),
    "import_roster": frozenset({Role.ADMIN, Role.CLERK}),
    "issue_codes": frozenset({Role.ADMIN, Role.CLERK}),
    "enter_offline": frozenset({Role.ADMIN, Role.CLERK}),
    "moderate": frozenset({Role.ADMIN, Role.REVIEWER}),
    "run_analysis": frozenset({Role.ADMIN, Role.REVIEWER}),
    "curate_themes": frozenset({Role.ADMIN, Role.REVIEWER}),
    "answer_themes": frozenset({Role.ADMIN, Role.REVIEWER}),
    "export_data": frozenset({Role.ADMIN, Role.REVIEWER}),
    "view_committee": frozenset({Role.ADMIN, Role.REVIEWER, Role.CLERK}),
    "view_street": frozenset({Role.STREET_ADMIN}),
    "send_announcements": frozenset({Role.ADMIN}),
    "record_consent": frozenset({Role.ADMIN, Role.CLERK}),
    "deliver_notices": frozenset({Role.ADMIN, Role.CLERK}),
}

PERMISSION_LABELS = {
    "manage_users": "管理账号",
    "view_audit": "查看审计日志",
    "manage_consultation": "创建和编辑议题",
    "manage_decisions": "管理问卷与业主表决",
    "change_phase": "切换议题阶段",
    "publish_results": "发布结果",
    "import_roster": "导入居民名册",
    "issue_codes": "发放参与码",
    "enter_offline": "录入线下意见",
    "moderate": "审核内容",
    "run_analysis": "运行意见分析",
    "curate_themes": "整理主题",
    "answer_themes": "回应主题",
    "export_data": "导出数据",
    "view_committee": "进入工作台",
    "view_street": "查看街道总览",
    "send_announcements": "发布居民通知",
    "record_consent": "登记居民的通知同意书",
    "deliver_notices": "打印上门通知",
}


def has_permission(actor: Actor | None, permission: str) -> bool:
    if isinstance(actor, SystemActor):
        return True
    if isinstance(actor, CommitteeActor):
        return actor.role in PERMISSIONS[permission]
    return False


def require(actor: Actor | None, permission: str) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    if not has_permission(actor, permission):
        raise PermissionDenied(f"您没有“{PERMISSION_LABELS[permission]}”的权限。")


def require_resident(actor: Actor | None) -> ResidentActor:
    if not isinstance(actor, ResidentActor):
        raise PermissionDenied("请先用参与码登录。")
    return actor
