"""Sign-in for residents (participation codes) and committee members (username + password)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from portal.models import (
    Area,
    CommitteeUser,
    Community,
    ParticipationCode,
    Resident,
    Role,
    Street,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, CommitteeActor, ResidentActor, SystemActor, require
from portal.services.errors import InvalidInput, NotFound, PermissionDenied, SignInFailed
from portal.services.identity import throttle
from portal.settings import get_settings

# Crockford base32 (no I, L, O, U): 32 symbols = 5 bits each; 10 symbols = 50 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_LENGTH = 10
CODE_BITS = CODE_LENGTH * 5

CODE_WINDOW = timedelta(minutes=15)
CODE_SLOWDOWN_AFTER = 3  # failures in the window before each attempt is delayed
CODE_MAX_FAILURES = 8  # attempts per browser session in the window before they are refused
CODE_MAX_PER_ADDRESS = 20  # wrong attempts per client address in the window (shared Wi-Fi, NAT)
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK = timedelta(minutes=15)

_hasher = PasswordHasher()  # argon2id with the library's current defaults
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


# ---------------------------------------------------------------- participation codes


def normalise_code(code: str) -> str:
    """Accept what people type from a paper slip: spaces, dashes, lower case."""
    return "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum()).translate(_CONFUSABLE)


def format_code(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def hash_code(code: str, *, secret: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised code: indexable, useless without the key."""
    return hmac.new(secret.encode(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def issue_code(
    session: Session, *, actor: Actor, resident_id: int, valid_days: int | None = 120,
) -> str:
    """Issue a new code for a resident, revoking any earlier one. Returns the plain code once."""
    tenancy.resident_for(session, actor, resident_id, "issue_codes")
    now = utcnow()
    for old in session.exec(
        select(ParticipationCode).where(
            ParticipationCode.resident_id == resident_id,
            col(ParticipationCode.revoked_at).is_(None),
        )
    ):
        old.revoked_at = now
        session.add(old)
    code = new_code()
    session.add(
        ParticipationCode(
            resident_id=resident_id,
            code_hash=hash_code(code, secret=get_settings().secret_key),
            hint=normalise_code(code)[-2:],
            issued_at=now,
            expires_at=now + timedelta(days=valid_days) if valid_days else None,
        )
    )
    audit.record(session, actor=actor.audit_name, action="code.issue", target_type="resident",
                 target_id=resident_id)
    return code


def revoke_codes(session: Session, *, actor: Actor, resident_id: int) -> int:
    tenancy.resident_for(session, actor, resident_id, "issue_codes")
    now = utcnow()
    n = 0
    for code in session.exec(
        select(ParticipationCode).where(
            ParticipationCode.resident_id == resident_id,
            col(ParticipationCode.revoked_at).is_(None),
        )
    ):
        code.revoked_at = now
        session.add(code)
        n += 1
    audit.record(session, actor=actor.audit_name, action="code.revoke", target_type="resident",
                 target_id=resident_id, detail={"revoked": n})
    return n


def resident_actor(session: Session, resident: Resident) -> ResidentActor:
    area = session.get(Area, resident.area_id)
    assert resident.id is not None
    return ResidentActor(
        resident_id=resident.id,
        community_id=resident.community_id,
        area_id=resident.area_id,
        area_name=area.name if area else "",
        grid=area.grid if area else "",
    )


def sign_in_with_code(
    session: Session, *, code: str, throttle_key: str,
    client_address: str = throttle.UNKNOWN_ADDRESS, sleep=time.sleep,
    community_id: int | None = None,
) -> ResidentActor:
    """Check a participation code; throttle guessing per browser session and per client address.

    Every attempt is counted first, atomically, under both keys (``throttle.count_attempt``), and
    only attempts within both limits are checked at all, so guesses sent in parallel, from new
    browser windows or to several replicas cannot get past ``CODE_MAX_FAILURES`` per session and
    ``CODE_MAX_PER_ADDRESS`` per address in ``CODE_WINDOW``. After a few failures each attempt is
    also delayed. A successful sign-in gives its attempt back.
    """
    cleaned = normalise_code(code)
    if not cleaned:
        raise SignInFailed("请输入参与码（印在居委会发放的参与码纸条上）。")
    keys = (f"code:sess:{throttle_key}"[:100], f"code:addr:{client_address}"[:100])
    in_session = throttle.count_attempt(session, keys[0], window=CODE_WINDOW)
    from_address = throttle.count_attempt(session, keys[1], window=CODE_WINDOW)
    if in_session > CODE_MAX_FAILURES or from_address > CODE_MAX_PER_ADDRESS:
        raise SignInFailed("尝试次数过多，请 15 分钟后再试，或联系居委会核对参与码。")
    if in_session > CODE_SLOWDOWN_AFTER:
        sleep(min(0.5 * (in_session - CODE_SLOWDOWN_AFTER), 3.0))
    wanted = hash_code(cleaned, secret=get_settings().secret_key)
    row = session.exec(select(ParticipationCode).where(ParticipationCode.code_hash == wanted)).first()
    now = utcnow()
    ok = row is not None and hmac.compare_digest(row.code_hash, wanted)
    if not ok or row is None:
        left = min(CODE_MAX_FAILURES - in_session, CODE_MAX_PER_ADDRESS - from_address)
        hint = f"还可再试 {left} 次。" if left > 0 else "请 15 分钟后再试。"
        raise SignInFailed(f"参与码不正确，请核对纸条上的 10 位字母和数字。{hint}")
    if row.revoked_at is not None:
        raise SignInFailed("这个参与码已作废，请联系居委会重新领取。")
    expires = _aware(row.expires_at)
    if expires is not None and expires < now:
        raise SignInFailed("这个参与码已过期，请联系居委会重新领取。")
    resident = session.get(Resident, row.resident_id)
    if resident is None or not resident.active:
        raise SignInFailed("这个参与码对应的居民记录已停用，请联系居委会。")
    if community_id is not None and resident.community_id != community_id:
        # a valid code on another community's address: say where it belongs (its holder may know)
        home = session.get(Community, resident.community_id)
        here = session.get(Community, community_id)
        throttle.give_back(session, keys)
        raise SignInFailed(
            f"这个参与码属于{home.name if home else '另一个社区'}，不是{here.name if here else '本社区'}的参与码。"
            f"请到{home.name if home else '发码社区'}的页面登录（地址 {tenancy.home_path(home.slug) if home else '/'}）。")
    row.last_used_at = now
    session.add(row)
    throttle.give_back(session, keys)
    return resident_actor(session, resident)


# ---------------------------------------------------------------- committee accounts


def validate_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位。")
    if password.isdigit() or password.isalpha():
        raise InvalidInput("密码需同时包含字母和数字。")


def create_user(
    session: Session, *, actor: Actor, username: str, password: str, role: Role,
    display_name: str = "", community_id: int | None = None, street_id: int | None = None,
) -> CommitteeUser:
    """A staff account: community staff belong to one community (an admin creates accounts only
    in their own), a street admin (created by the system) to one street."""
    require(actor, "manage_users")
    username = username.strip()
    if not (2 <= len(username) <= 50) or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("用户名需为 2–50 位字母、数字、下划线或点。")
    validate_password(password)
    if session.exec(select(CommitteeUser).where(CommitteeUser.username == username)).first():
        raise InvalidInput(f"用户名 {username} 已存在。")
    role = Role(role)
    if role == Role.STREET_ADMIN:
        if not isinstance(actor, SystemActor):
            raise PermissionDenied("街道管理员账号只能由系统管理员（命令行）创建。")
        if street_id is None or session.get(Street, street_id) is None:
            raise InvalidInput("街道管理员账号需要指定所属街道（--street 街道名称）。")
        community_id = None
    else:
        street_id = None
        if community_id is None and isinstance(actor, CommitteeActor):
            community_id = actor.community_id
        if community_id is None:
            community_id = tenancy.home_community(session, actor).id  # the only one, or a message
        tenancy.require_for(actor, community_id)
        if session.get(Community, community_id) is None:
            raise NotFound("找不到这个社区。")
    user = CommitteeUser(
        username=username, display_name=display_name or username, role=role,
        password_hash=_hasher.hash(password), community_id=community_id, street_id=street_id,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="user.create", target_type="user",
                 target_id=user.id, detail={"username": username, "role": str(role),
                                            "community": community_id, "street": street_id})
    return user


def reset_password(session: Session, *, actor: Actor, username: str, password: str) -> None:
    require(actor, "manage_users")
    user = session.exec(select(CommitteeUser).where(CommitteeUser.username == username)).first()
    if user is None:
        raise NotFound(f"找不到用户 {username}。")
    if not isinstance(actor, SystemActor):
        tenancy.require_for(actor, user.community_id)
    validate_password(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, actor=actor.audit_name, action="user.reset_password",
                 target_type="user", target_id=user.id)


def committee_actor(user: CommitteeUser, session: Session | None = None) -> CommitteeActor:
    """The actor of an account; a street admin's actor lists the street's communities (read
    with ``session``, or from the account's own session)."""
    assert user.id is not None
    role = Role(user.role)  # the column is a plain string: give the actor the enum (pages show role.label)
    ids: frozenset[int] = frozenset()
    if role == Role.STREET_ADMIN:
        reader = session or Session.object_session(user)
        ids = tenancy.street_community_ids(reader, user.street_id) if reader is not None else frozenset()
    return CommitteeActor(user.id, user.username, user.display_name or user.username, role,
                          community_id=user.community_id if role != Role.STREET_ADMIN else None,
                          street_id=user.street_id, street_community_ids=ids)


def authenticate(session: Session, *, username: str, password: str) -> CommitteeActor:
    """Check a committee member's password; lock the account after repeated failures.

    Failures are counted in the database with one ``UPDATE … SET failed_logins =
    failed_logins + 1 … RETURNING`` per guess, so guesses sent in parallel (or to several
    replicas) cannot overwrite each other's count: the fifth failure locks the account however
    the guesses arrive. A success clears the counter only if the account is not locked at that
    moment, checked in the same statement.
    """
    user = session.exec(
        select(CommitteeUser).where(CommitteeUser.username == username.strip())
    ).first()
    now = utcnow()
    if user is None or not user.active:
        try:  # same work as a real check, so timing does not reveal which usernames exist
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise SignInFailed("用户名或密码不正确。")
    user_id = user.id
    _refuse_if_locked(_aware(user.locked_until), now)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _count_failure(session, user_id, now)
        raise SignInFailed("用户名或密码不正确。") from None
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(user.password_hash) else None
    values: dict = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if new_hash is not None:
        values["password_hash"] = new_hash
    # Only while not locked: a lock set by parallel wrong guesses since we read the row wins.
    done = session.execute(
        update(CommitteeUser)
        .where(col(CommitteeUser.id) == user_id,
               or_(col(CommitteeUser.locked_until).is_(None), col(CommitteeUser.locked_until) <= now))
        .values(**values)
        .returning(col(CommitteeUser.id)),
        execution_options={"synchronize_session": False},
    ).first()
    if done is None:
        session.rollback()
        user = session.get(CommitteeUser, user_id, populate_existing=True)
        _refuse_if_locked(_aware(user.locked_until) if user else None, now)
        raise SignInFailed("用户名或密码不正确。")  # (deleted meanwhile)
    audit.record(session, actor=f"committee:{user_id}", action="user.login", target_type="user",
                 target_id=user_id)
    session.flush()
    user = session.get(CommitteeUser, user_id, populate_existing=True)
    assert user is not None
    return committee_actor(user, session)


def _refuse_if_locked(locked: datetime | None, now: datetime) -> None:
    if locked is not None and locked > now:
        minutes = max(1, int((locked - now).total_seconds() // 60) + 1)
        raise SignInFailed(f"该账号因多次输错密码已暂时锁定，请 {minutes} 分钟后再试或联系管理员。")


def _count_failure(session: Session, user_id: int | None, now: datetime) -> None:
    """Add one failure atomically; the guess that reaches the limit locks the account."""
    failures = session.execute(
        update(CommitteeUser)
        .where(col(CommitteeUser.id) == user_id)
        .values(failed_logins=col(CommitteeUser.failed_logins) + 1)
        .returning(col(CommitteeUser.failed_logins)),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    if failures >= LOGIN_MAX_FAILURES:
        # Exactly one guess sees the count reach the limit; later ones (already past the
        # lock check) keep counting towards a fresh lock instead of lifting this one.
        session.execute(
            update(CommitteeUser).where(col(CommitteeUser.id) == user_id)
            .values(locked_until=now + LOGIN_LOCK, failed_logins=0),
            execution_options={"synchronize_session": False},
        )
        audit.record(session, actor="system", action="user.locked", target_type="user",
                     target_id=user_id)
    session.commit()


def get_committee_actor(session: Session, user_id: int) -> CommitteeActor | None:
    """Re-read an account (e.g. on each page) so a deactivated user loses access at once."""
    user = session.get(CommitteeUser, user_id)
    if user is None or not user.active:
        return None
    return committee_actor(user, session)


# ---------------------------------------------------------------- account administration


def list_users(session: Session, *, actor: Actor) -> list[CommitteeUser]:
    """The community's committee accounts (all of them for the system), active first, then by
    username."""
    require(actor, "manage_users")
    query = select(CommitteeUser).order_by(col(CommitteeUser.active).desc(), col(CommitteeUser.username))
    if not isinstance(actor, SystemActor):
        community = tenancy.home_community(session, actor)
        query = query.where(CommitteeUser.community_id == community.id)
    return list(session.exec(query))


def _user(session: Session, user_id: int, actor: Actor | None = None) -> CommitteeUser:
    return tenancy.user_for(session, actor, user_id)


def _other_active_admins(session: Session, user_id: int) -> int:
    """Other active admins of the same community (each community keeps one)."""
    user = session.get(CommitteeUser, user_id)
    return session.exec(
        select(func.count()).select_from(CommitteeUser).where(
            CommitteeUser.role == Role.ADMIN, col(CommitteeUser.active).is_(True),
            CommitteeUser.id != user_id,
            CommitteeUser.community_id == (user.community_id if user else None),
        )
    ).one()


def _is_self(actor: Actor, user_id: int) -> bool:
    return isinstance(actor, CommitteeActor) and actor.user_id == user_id


def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> CommitteeUser:
    """Deactivate (the account can no longer sign in, and loses access on its next page) or
    reactivate an account. Nobody can deactivate themselves or the last active admin."""
    require(actor, "manage_users")
    user = _user(session, user_id, actor)
    if not active:
        if _is_self(actor, user_id):
            raise InvalidInput("不能停用自己正在使用的账号。")
        if user.role == Role.ADMIN and user.active and _other_active_admins(session, user_id) == 0:
            raise InvalidInput("这是最后一个启用中的管理员账号，不能停用。")
    if user.active == active:
        return user
    user.active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
    session.add(user)
    audit.record(session, actor=actor.audit_name,
                 action="user.reactivate" if active else "user.deactivate",
                 target_type="user", target_id=user_id, detail={"username": user.username})
    return user


def change_role(session: Session, *, actor: Actor, user_id: int, role: Role) -> CommitteeUser:
    """Give an account another role; the last active admin keeps the admin role."""
    require(actor, "manage_users")
    user = _user(session, user_id, actor)
    role = Role(role)
    if role == Role.STREET_ADMIN or user.role == Role.STREET_ADMIN:
        raise InvalidInput("街道管理员账号由系统管理员（命令行）管理，不能在社区里改成或改出。")
    if user.role == role:
        return user
    if user.role == Role.ADMIN:
        if _is_self(actor, user_id):
            raise InvalidInput("不能取消自己的管理员角色，请让另一位管理员操作。")
        if user.active and _other_active_admins(session, user_id) == 0:
            raise InvalidInput("这是最后一个启用中的管理员账号，不能改为其他角色。")
    old = user.role
    user.role = role
    session.add(user)
    audit.record(session, actor=actor.audit_name, action="user.role", target_type="user",
                 target_id=user_id, detail={"username": user.username, "from": str(old), "to": str(role)})
    return user
