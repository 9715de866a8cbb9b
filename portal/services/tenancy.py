"""Communities are tenants (decision 0025): every service that reads or writes a community's
data asks here whether the actor may, so no page, export or CLI command crosses the boundary.

- Community staff (admin / reviewer / clerk) reach only their own community.
- A street admin (街道管理员) reads every community of their street and changes nothing.
- A resident reaches only the community of their roster entry.
- The system (CLI, demo, scheduled jobs) reaches everything; the CLI names the community.

Rows that hang off a consultation (opinions, themes, runs, and the tables other features add)
are checked through their consultation: ``consultation_for`` and friends load the row and check
it in one call, so a service cannot forget the second half.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from portal.models import (
    AnalysisRun,
    Comment,
    CommitteeUser,
    Community,
    Consultation,
    Opinion,
    Resident,
    Role,
    Street,
    Theme,
)
from portal.services.actors import (
    Actor,
    CommitteeActor,
    ResidentActor,
    SystemActor,
    require,
)
from portal.services.errors import InvalidInput, NotFound, PermissionDenied

OTHER_COMMUNITY = "这是其他社区的数据，您的账号无权查看或办理。"
NO_COMMUNITY = "您的账号还没有分配到社区，请联系管理员（命令：consult user add … --community 社区代号）。"
STREET_READ_ONLY = "街道管理员只能查看各社区的情况，不能修改社区的数据。"


def can_reach(actor: Actor | None, community_id: int | None, *, write: bool = True) -> bool:
    """Whether ``actor`` may read (``write=False``) or change the data of ``community_id``."""
    if community_id is None:
        return False
    if isinstance(actor, SystemActor):
        return True
    if isinstance(actor, ResidentActor):
        return actor.community_id == community_id
    if isinstance(actor, CommitteeActor):
        if actor.role == Role.STREET_ADMIN:
            return not write and community_id in actor.street_community_ids
        return actor.community_id == community_id
    return False


def require_for(actor: Actor | None, community_id: int | None, permission: str | None = None,
                *, write: bool = True) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission`` (when given) and may read or
    change (``write``) the data of ``community_id``; the message says which rule was broken."""
    if permission is not None:
        require(actor, permission)
    if can_reach(actor, community_id, write=write):
        return
    if isinstance(actor, CommitteeActor):
        if actor.role == Role.STREET_ADMIN:
            if write and community_id in actor.street_community_ids:
                raise PermissionDenied(STREET_READ_ONLY)
        elif actor.community_id is None:
            raise PermissionDenied(NO_COMMUNITY)
    if actor is None:
        raise PermissionDenied("请先登录。")
    raise PermissionDenied(OTHER_COMMUNITY)


def _row(session: Session, model, row_id: int, missing: str):  # type: ignore[no-untyped-def]
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    return row


def consultation_for(session: Session, actor: Actor | None, consultation_id: int,
                     permission: str | None = None, *, write: bool = True) -> Consultation:
    """The consultation, once the actor may reach its community (NotFound if it does not exist)."""
    c: Consultation = _row(session, Consultation, consultation_id, "找不到这个议题。")
    require_for(actor, c.community_id, permission, write=write)
    return c


def theme_for(session: Session, actor: Actor | None, theme_id: int, permission: str | None = None,
              *, write: bool = True) -> Theme:
    t: Theme = _row(session, Theme, theme_id, "找不到这个主题。")
    consultation_for(session, actor, t.consultation_id, permission, write=write)
    return t


def opinion_for(session: Session, actor: Actor | None, opinion_id: int, permission: str | None = None,
                *, write: bool = True) -> Opinion:
    o: Opinion = _row(session, Opinion, opinion_id, "找不到这条意见。")
    consultation_for(session, actor, o.consultation_id, permission, write=write)
    return o


def comment_for(session: Session, actor: Actor | None, comment_id: int, permission: str | None = None,
                *, write: bool = True) -> Comment:
    cm: Comment = _row(session, Comment, comment_id, "找不到这条留言。")
    opinion_for(session, actor, cm.opinion_id, permission, write=write)
    return cm


def resident_for(session: Session, actor: Actor | None, resident_id: int, permission: str | None = None,
                 *, write: bool = True) -> Resident:
    r: Resident = _row(session, Resident, resident_id, "找不到该居民记录。")
    require_for(actor, r.community_id, permission, write=write)
    return r


def run_for(session: Session, actor: Actor | None, run_id: int, permission: str | None = None,
            *, write: bool = True) -> AnalysisRun:
    run: AnalysisRun = _row(session, AnalysisRun, run_id, "找不到这次分析。")
    consultation_for(session, actor, run.consultation_id, permission, write=write)
    return run


def user_for(session: Session, actor: Actor | None, user_id: int, permission: str | None = None) -> CommitteeUser:
    """A staff account the actor may manage: an admin manages only their community's accounts."""
    user: CommitteeUser = _row(session, CommitteeUser, user_id, "找不到这个账号。")
    if isinstance(actor, SystemActor):
        if permission is not None:
            require(actor, permission)
        return user
    require_for(actor, user.community_id, permission)
    return user


def home_community(session: Session, actor: Actor | None, community_id: int | None = None) -> Community:
    """The community an action is about: the actor's own (staff, residents), or the one the
    caller names (the system; a street admin for one of their communities). Replaces the old
    "first community row", which silently picked another community's data."""
    if community_id is None:
        if isinstance(actor, CommitteeActor) and actor.role != Role.STREET_ADMIN:
            community_id = actor.community_id
        elif isinstance(actor, ResidentActor):
            community_id = actor.community_id
    if community_id is None:
        if isinstance(actor, CommitteeActor) and actor.role != Role.STREET_ADMIN:
            raise PermissionDenied(NO_COMMUNITY)
        only = session.exec(select(Community).order_by(col(Community.id)).limit(2)).all()
        if len(only) == 1:  # a single-community deployment: nothing to choose
            community_id = only[0].id
        elif not only:
            raise NotFound("还没有社区。请先运行 consult community add 或 consult demo。")
        else:
            raise InvalidInput("这里有多个社区，请指明是哪一个社区。")
    c: Community = _row(session, Community, community_id, "找不到这个社区。")
    require_for(actor, c.id, write=False)
    return c


# ---------------------------------------------------------------- communities and streets


def home_path(slug: str) -> str:
    """A community's own home on the public portal: ``/?c=<slug>`` (its residents sign in there)."""
    return f"/?c={slug}"


def community_by_slug(session: Session, slug: str) -> Community:
    """The community at a public address; a clear message for an unknown one."""
    found = session.exec(select(Community).where(Community.slug == slug.strip().lower())).first()
    if found is None:
        raise NotFound(f"找不到代号为“{slug.strip()}”的社区。请用 consult community list 查看已有的社区。")
    return found


def street_by_name(session: Session, name: str) -> Street:
    found = session.exec(select(Street).where(Street.name == name.strip())).first()
    if found is None:
        raise NotFound(f"找不到名为“{name.strip()}”的街道。")
    return found


def communities(session: Session, *, street_id: int | None = None) -> list[Community]:
    """All communities (of one street), by name — public information (the street home)."""
    q = select(Community).order_by(col(Community.street_id), col(Community.id))
    if street_id is not None:
        q = q.where(Community.street_id == street_id)
    return list(session.exec(q))


def street_community_ids(session: Session, street_id: int | None) -> frozenset[int]:
    if street_id is None:
        return frozenset()
    return frozenset(i for i in session.exec(select(Community.id).where(Community.street_id == street_id))
                     if i is not None)


SLUG_RULE = "社区代号只能用小写英文字母、数字和连字符（2–40 个字符，以字母开头），例如 wutongli。"


def validate_slug(slug: str) -> str:
    s = slug.strip().lower()
    if not (2 <= len(s) <= 40) or not s[0].isascii() or not s[0].isalpha() or not all(
        ch.isascii() and (ch.isalnum() or ch == "-") for ch in s
    ):
        raise InvalidInput(SLUG_RULE)
    return s


def add_community(session: Session, *, actor: Actor, slug: str, name: str,
                  street: str | None = None, district: str = "") -> Community:
    """A new community (tenant), optionally in a street (created when new). System only."""
    from portal.services import audit

    if not isinstance(actor, SystemActor):
        raise PermissionDenied("只有系统管理员（命令行）可以新建社区。")
    slug = validate_slug(slug)
    name = name.strip()
    if not (2 <= len(name) <= 100):
        raise InvalidInput("社区名称需要 2–100 个字。")
    if session.exec(select(Community).where(Community.slug == slug)).first() is not None:
        raise InvalidInput(f"社区代号 {slug} 已被使用。")
    if session.exec(select(Community).where(Community.name == name)).first() is not None:
        raise InvalidInput(f"已经有名为“{name}”的社区。")
    street_row = ensure_street(session, street, district=district) if street else None
    c = Community(name=name, slug=slug, district=district or (street_row.district if street_row else ""),
                  street_id=street_row.id if street_row else None)
    session.add(c)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="community.create", target_type="community",
                 target_id=c.id, detail={"slug": slug, "name": name, "street": street or ""})
    return c


def ensure_street(session: Session, name: str, *, district: str = "") -> Street:
    name = name.strip()
    if not (2 <= len(name) <= 100):
        raise InvalidInput("街道名称需要 2–100 个字。")
    found = session.exec(select(Street).where(Street.name == name)).first()
    if found is None:
        found = Street(name=name, district=district)
        session.add(found)
        session.flush()
    return found


def move_community(session: Session, *, actor: Actor, slug: str, street: str) -> Community:
    """Put an existing community (e.g. one migrated from a single-community database) in a street."""
    from portal.services import audit

    if not isinstance(actor, SystemActor):
        raise PermissionDenied("只有系统管理员（命令行）可以调整社区所属街道。")
    c = community_by_slug(session, slug)
    s = ensure_street(session, street)
    c.street_id = s.id
    session.add(c)
    audit.record(session, actor=actor.audit_name, action="community.street", target_type="community",
                 target_id=c.id, detail={"street": s.name})
    return c
