"""Sign-in for residents (participation codes) and committee members (username + password)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, func, select

from portal.models import (
    Area,
    CommitteeUser,
    ParticipationCode,
    Resident,
    Role,
    SignInAttempt,
    utcnow,
)
from portal.services import audit
from portal.services.actors import Actor, CommitteeActor, ResidentActor, require
from portal.services.errors import InvalidInput, NotFound, SignInFailed
from portal.settings import get_settings

# Crockford base32 (no I, L, O, U): 32 symbols = 5 bits each; 10 symbols = 50 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_LENGTH = 10
CODE_BITS = CODE_LENGTH * 5

CODE_WINDOW = timedelta(minutes=15)
CODE_SLOWDOWN_AFTER = 3  # failures in the window before each attempt is delayed
CODE_MAX_FAILURES = 8  # failures in the window before attempts are refused
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
    require(actor, "issue_codes")
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound("找不到该居民记录。")
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
    require(actor, "issue_codes")
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


def _recent_failures(session: Session, key: str) -> int:
    since = utcnow() - CODE_WINDOW
    return session.exec(
        select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.key == key, SignInAttempt.at >= since
        )
    ).one()


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
    session: Session, *, code: str, throttle_key: str, sleep=time.sleep
) -> ResidentActor:
    """Check a participation code; throttle repeated failures from one browser session.

    After a few failures every attempt is delayed, and after more it is refused for a while.
    Failures are stored in the database so the limit holds across portal replicas.
    """
    key = f"code:{throttle_key}"
    failures = _recent_failures(session, key)
    if failures >= CODE_MAX_FAILURES:
        raise SignInFailed("尝试次数过多，请 15 分钟后再试，或联系居委会核对参与码。")
    if failures >= CODE_SLOWDOWN_AFTER:
        sleep(min(0.5 * (failures - CODE_SLOWDOWN_AFTER + 1), 3.0))
    cleaned = normalise_code(code)
    if not cleaned:
        raise SignInFailed("请输入参与码（印在居委会发放的参与码纸条上）。")
    wanted = hash_code(cleaned, secret=get_settings().secret_key)
    row = session.exec(select(ParticipationCode).where(ParticipationCode.code_hash == wanted)).first()
    now = utcnow()
    ok = row is not None and hmac.compare_digest(row.code_hash, wanted)
    if not ok or row is None:
        session.add(SignInAttempt(key=key, at=now))
        _keep_failed_attempt(session)
        left = CODE_MAX_FAILURES - failures - 1
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
    row.last_used_at = now
    session.add(row)
    return resident_actor(session, resident)


# ---------------------------------------------------------------- resident sessions

RESIDENT_SESSION_SALT = "resident-session"


def resident_session_token(session: Session, *, actor: ResidentActor) -> str:
    """A signed token that lets this browser resume the resident's sign-in after a reload.

    It names the resident and their current code, so revoking or re-issuing the code (a lost
    slip) ends every session that was opened with it.
    """
    from itsdangerous import URLSafeTimedSerializer

    code = session.exec(
        select(ParticipationCode).where(ParticipationCode.resident_id == actor.resident_id,
                                        col(ParticipationCode.revoked_at).is_(None))
        .order_by(col(ParticipationCode.issued_at).desc(), col(ParticipationCode.id).desc())
    ).first()
    return URLSafeTimedSerializer(get_settings().secret_key, salt=RESIDENT_SESSION_SALT).dumps(
        {"r": actor.resident_id, "k": code.id if code else None}
    )


def resume_resident_session(
    session: Session, *, token: str
) -> ResidentActor | None:
    """The resident a token from ``resident_session_token`` stands for, or None if the token
    is forged, older than the sign-in lifetime (``session_hours``), or its code has since been
    revoked or has expired."""
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    s = get_settings()
    try:
        data = URLSafeTimedSerializer(s.secret_key, salt=RESIDENT_SESSION_SALT).loads(
            token, max_age=s.session_hours * 3600)
        resident_id, code_id = int(data["r"]), data["k"]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    resident = session.get(Resident, resident_id)
    code = session.get(ParticipationCode, code_id) if code_id is not None else None
    if resident is None or not resident.active or code is None or code.resident_id != resident_id:
        return None
    expires = _aware(code.expires_at)
    if code.revoked_at is not None or (expires is not None and expires < utcnow()):
        return None
    return resident_actor(session, resident)


# ---------------------------------------------------------------- committee accounts


def validate_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位。")
    if password.isdigit() or password.isalpha():
        raise InvalidInput("密码需同时包含字母和数字。")


def create_user(
    session: Session, *, actor: Actor, username: str, password: str, role: Role,
    display_name: str = "", community_id: int | None = None,
) -> CommitteeUser:
    require(actor, "manage_users")
    username = username.strip()
    if not (2 <= len(username) <= 50) or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("用户名需为 2–50 位字母、数字、下划线或点。")
    validate_password(password)
    if session.exec(select(CommitteeUser).where(CommitteeUser.username == username)).first():
        raise InvalidInput(f"用户名 {username} 已存在。")
    user = CommitteeUser(
        username=username, display_name=display_name or username, role=Role(role),
        password_hash=_hasher.hash(password), community_id=community_id,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="user.create", target_type="user",
                 target_id=user.id, detail={"username": username, "role": str(role)})
    return user


def reset_password(session: Session, *, actor: Actor, username: str, password: str) -> None:
    require(actor, "manage_users")
    user = session.exec(select(CommitteeUser).where(CommitteeUser.username == username)).first()
    if user is None:
        raise NotFound(f"找不到用户 {username}。")
    validate_password(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, actor=actor.audit_name, action="user.reset_password",
                 target_type="user", target_id=user.id)


def committee_actor(user: CommitteeUser) -> CommitteeActor:
    assert user.id is not None
    # the column is a plain string: give the actor the enum (pages show role.label)
    return CommitteeActor(user.id, user.username, user.display_name or user.username, Role(user.role))


def authenticate(session: Session, *, username: str, password: str) -> CommitteeActor:
    """Check a committee member's password; lock the account after repeated failures."""
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
    locked = _aware(user.locked_until)
    if locked is not None and locked > now:
        minutes = max(1, int((locked - now).total_seconds() // 60) + 1)
        raise SignInFailed(f"该账号因多次输错密码已暂时锁定，请 {minutes} 分钟后再试或联系管理员。")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= LOGIN_MAX_FAILURES:
            user.locked_until = now + LOGIN_LOCK
            user.failed_logins = 0
            audit.record(session, actor="system", action="user.locked", target_type="user",
                         target_id=user.id)
        session.add(user)
        _keep_failed_attempt(session)
        raise SignInFailed("用户名或密码不正确。") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    audit.record(session, actor=f"committee:{user.id}", action="user.login", target_type="user",
                 target_id=user.id)
    return committee_actor(user)


def _keep_failed_attempt(session: Session) -> None:
    """Commit a refused sign-in's record before the refusal is raised.

    The one place a service commits outside ``portal.db.unit_of_work`` (listed in
    tests/test_architecture.py): the unit of work rolls back what a failed call did, but a wrong
    code or password must still count towards the lockout, or guessing would cost nothing.
    """
    session.commit()


def get_committee_actor(session: Session, user_id: int) -> CommitteeActor | None:
    """Re-read an account (e.g. on each page) so a deactivated user loses access at once."""
    user = session.get(CommitteeUser, user_id)
    if user is None or not user.active:
        return None
    return committee_actor(user)


# ---------------------------------------------------------------- account administration


def list_users(session: Session, *, actor: Actor) -> list[CommitteeUser]:
    """All committee accounts, active first, then by username."""
    require(actor, "manage_users")
    return list(session.exec(
        select(CommitteeUser).order_by(col(CommitteeUser.active).desc(), col(CommitteeUser.username))
    ))


def _user(session: Session, user_id: int) -> CommitteeUser:
    user = session.get(CommitteeUser, user_id)
    if user is None:
        raise NotFound("找不到这个账号。")
    return user


def _other_active_admins(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(CommitteeUser).where(
            CommitteeUser.role == Role.ADMIN, col(CommitteeUser.active).is_(True),
            CommitteeUser.id != user_id,
        )
    ).one()


def _is_self(actor: Actor, user_id: int) -> bool:
    return isinstance(actor, CommitteeActor) and actor.user_id == user_id


def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> CommitteeUser:
    """Deactivate (the account can no longer sign in, and loses access on its next page) or
    reactivate an account. Nobody can deactivate themselves or the last active admin."""
    require(actor, "manage_users")
    user = _user(session, user_id)
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
    user = _user(session, user_id)
    role = Role(role)
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
