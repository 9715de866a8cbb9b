"""All tables of the portal (SQLModel).

Enumerations are stored as short strings (portable across SQLite and PostgreSQL, easy to read
in exports); their Chinese labels live beside them. Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


# Times are stored in UTC; portal.timefmt turns them into China Standard Time for people.


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), **kw)


def _opt_ts(**kw: Any) -> Any:
    return Field(default=None, sa_type=sa.DateTime(timezone=True), **kw)


def _enum(default: Any = None, **kw: Any) -> Any:
    return Field(default=default, sa_type=sa.String(20), **kw)


# ---------------------------------------------------------------- enumerations


class Phase(StrEnum):
    DRAFT = "draft"
    COLLECTING = "collecting"
    REVIEWING = "reviewing"
    PUBLISHED = "published"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS = {
    Phase.DRAFT: "草稿",
    Phase.COLLECTING: "征集中",
    Phase.REVIEWING: "研判中",
    Phase.PUBLISHED: "结果公示",
    Phase.CLOSED: "已办结",
}
PHASE_ORDER = list(Phase)


class Channel(StrEnum):
    WEB = "web"
    PAPER = "paper"
    PHONE = "phone"
    DOOR = "door"
    HOTLINE = "hotline"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.WEB: "网上",
    Channel.PAPER: "纸质",
    Channel.PHONE: "电话",
    Channel.DOOR: "上门走访",
    Channel.HOTLINE: "12345热线",
}


class VoteValue(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    PASS = "pass"

    @property
    def label(self) -> str:
        return {"agree": "同意", "disagree": "不同意", "pass": "跳过"}[self.value]

    @property
    def score(self) -> int:
        return {"agree": 1, "disagree": -1, "pass": 0}[self.value]


class Visibility(StrEnum):
    """Moderation state of an opinion or comment."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"  # an offline entry taken back by staff (typed in error), see offline_corrections

    @property
    def label(self) -> str:
        return {"visible": "公开", "hidden": "已隐藏", "withdrawn": "已撤回"}[self.value]


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    CLERK = "clerk"
    STREET_ADMIN = "street_admin"  # 街道管理员: reads every community of one street, changes nothing

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "管理员",
    Role.REVIEWER: "研判员",
    Role.CLERK: "录入员",
    Role.STREET_ADMIN: "街道管理员",
}
COMMUNITY_ROLES = (Role.ADMIN, Role.REVIEWER, Role.CLERK)


class AssignmentSource(StrEnum):
    MODEL = "model"
    COMMITTEE = "committee"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Decision(StrEnum):
    ADOPT = "adopt"
    PARTIAL = "partial"
    DECLINE = "decline"
    REFER = "refer"

    @property
    def label(self) -> str:
        return DECISION_LABELS[self]


DECISION_LABELS = {
    Decision.ADOPT: "采纳",
    Decision.PARTIAL: "部分采纳",
    Decision.DECLINE: "暂不采纳",
    Decision.REFER: "转交相关部门",
}


class ThemeStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REFERRED = "referred"

    @property
    def label(self) -> str:
        return THEME_STATUS_LABELS[self]


THEME_STATUS_LABELS = {
    ThemeStatus.PENDING: "待回应",
    ThemeStatus.ANSWERED: "已回应",
    ThemeStatus.IN_PROGRESS: "处理中",
    ThemeStatus.DONE: "已完成",
    ThemeStatus.REFERRED: "已转交",
}


class ReportTarget(StrEnum):
    OPINION = "opinion"
    COMMENT = "comment"


# ---------------------------------------------------------------- places and people


class Street(SQLModel, table=True):
    """One 街道 (street office): groups the communities it oversees (decision 0025)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    district: str = Field(default="", max_length=100)
    created_at: datetime = _ts()


class Community(SQLModel, table=True):
    """One 社区 (neighbourhood), a tenant: its consultations, roster, codes, opinions, themes and
    staff belong to it alone. A deployment holds many, grouped by street; ``slug`` is its
    public address (``/?c=<slug>``)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    slug: str = Field(default="", max_length=40, unique=True)  # empty: derived from the name on insert
    street_id: int | None = Field(default=None, foreign_key="street.id", index=True)
    district: str = Field(default="", max_length=100)
    created_at: datetime = _ts()


def slug_from_name(name: str) -> str:
    """An address-friendly slug for a community name: 梧桐里社区 → wutongli (pinyin without the
    社区 / 居委会 suffix); "" when nothing usable is left (the caller falls back to ``c<id>``)."""
    base = name.strip()
    for suffix in ("社区居委会", "居委会", "社区"):
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    try:
        from pypinyin import lazy_pinyin

        spelled = "".join(lazy_pinyin(base))
    except ImportError:  # pragma: no cover - pypinyin is a dependency
        spelled = base
    slug = "".join(ch for ch in spelled.lower() if ch.isascii() and ch.isalnum())[:36]
    return slug if slug[:1].isalpha() else ""


@sa.event.listens_for(Community, "before_insert")
def _fill_slug(_mapper: Any, connection: Any, target: Community) -> None:
    """A community stored without a slug gets one from its name, unique in the database."""
    if target.slug:
        return
    table = Community.__table__  # type: ignore[attr-defined]
    taken = set(connection.execute(sa.select(table.c.slug)).scalars())
    base = slug_from_name(target.name) or "c"
    slug, n = base, 1
    while slug in taken or slug == "c":
        n += 1
        slug = f"{base}{n}"
    target.slug = slug


class Area(SQLModel, table=True):
    """A building (楼栋) inside a grid (网格)."""

    __table_args__ = (sa.UniqueConstraint("community_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=50)  # e.g. 3号楼
    grid: str = Field(default="", max_length=50)  # e.g. 第一网格
    position: int = 0


class Resident(SQLModel, table=True):
    """A pseudonymous roster entry: where someone lives and their age band, never a name."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    unit: str = Field(default="", max_length=20)  # 单元
    age_band: str = Field(default="", max_length=20)  # e.g. 60-69
    household_ref: str = Field(default="", max_length=50)  # committee's own household id
    active: bool = True
    created_at: datetime = _ts()


class ParticipationCode(SQLModel, table=True):
    """A one-time participation code. Only a keyed hash is stored; the code is printed once."""

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(default="", max_length=8)  # last characters, to tell slips apart
    issued_at: datetime = _ts()
    expires_at: datetime | None = _opt_ts()
    revoked_at: datetime | None = _opt_ts()
    last_used_at: datetime | None = _opt_ts()


class CommitteeUser(SQLModel, table=True):
    """A staff account: community staff (admin / reviewer / clerk) have ``community_id``, a
    street admin has ``street_id`` (decision 0025)."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    street_id: int | None = Field(default=None, foreign_key="street.id", index=True)
    username: str = Field(max_length=50, unique=True)
    display_name: str = Field(default="", max_length=50)
    role: Role = _enum(Role.CLERK)
    password_hash: str = Field(max_length=200)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = _opt_ts()
    created_at: datetime = _ts()
    last_login_at: datetime | None = _opt_ts()


class SignInThrottle(SQLModel, table=True):
    """Code sign-in attempts per key (a client address or a browser session) in the current
    window, kept in the database so the limit holds across portal replicas. One row per key,
    counted with a single upsert so parallel attempts cannot overwrite each other."""

    key: str = Field(max_length=100, primary_key=True)  # "code:addr:<ip>", "code:sess:<id>"
    window_start: datetime = _ts()
    attempts: int = 0


class AuthSession(SQLModel, table=True):
    """A sign-in, resident or staff, kept on the server (the browser holds only a signed random
    id in an HttpOnly cookie): it ends when it expires, when it is revoked (退出登录), or at once
    when the account is deactivated or the resident's code is revoked."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)  # sha256 of the cookie id
    handoff_hash: str | None = Field(default=None, max_length=64, unique=True)  # one-time, to set the cookie
    handoff_expires_at: datetime | None = _opt_ts()
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    code_id: int | None = Field(default=None, foreign_key="participationcode.id")
    committee_user_id: int | None = Field(default=None, foreign_key="committeeuser.id", index=True)
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _opt_ts()
    user_agent: str = Field(default="", max_length=120)  # a summary, e.g. "Chrome · Android"


# ---------------------------------------------------------------- consultations


class ConsultationBase(SQLModel):
    title: str = Field(min_length=2, max_length=100)
    question: str = Field(min_length=2, max_length=500)
    background: str = Field(default="", max_length=5000)
    opens_at: datetime | None = _opt_ts()
    closes_at: datetime | None = _opt_ts()  # end of collecting
    votes_during_review: bool = False  # may residents still vote while 研判中?


class Consultation(ConsultationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    phase: Phase = _enum(Phase.DRAFT, index=True)
    published_at: datetime | None = _opt_ts()
    closed_at: datetime | None = _opt_ts()
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ConsultationArea(SQLModel, table=True):
    """Areas a consultation concerns (empty = the whole community)."""

    consultation_id: int = Field(foreign_key="consultation.id", primary_key=True)
    area_id: int = Field(foreign_key="area.id", primary_key=True)


class Opinion(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id")
    channel: Channel = _enum(Channel.WEB)
    text_original: str = Field(sa_type=sa.Text)  # committee-only
    text_public: str = Field(sa_type=sa.Text)  # cleaned and PII-redacted
    pii_kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    anonymous: bool = False
    visibility: Visibility = _enum(Visibility.VISIBLE, index=True)
    moderation_reason: str = Field(default="", max_length=500)
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # auto-flags
    duplicate_of_id: int | None = Field(default=None, foreign_key="opinion.id")
    entered_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    received_at: datetime = _ts()  # when the resident gave it (paper date for offline ones)
    created_at: datetime = _ts()
    client_token: str | None = Field(default=None, max_length=64, unique=True)  # idempotency


class Vote(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("opinion_id", "resident_id", name="uq_vote_once"),)

    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    value: VoteValue = _enum()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Participant(SQLModel, table=True):
    """A resident who took part in a consultation (wrote an opinion or voted): one row per
    (consultation, resident), written with their first opinion or vote in the same transaction,
    so participation is counted from an index instead of a UNION over every vote (decision 0028).
    Opinions and votes are never deleted, so a row is never taken back."""

    consultation_id: int = Field(foreign_key="consultation.id", primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", primary_key=True, index=True)
    first_at: datetime = _ts()


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="comment.id")  # one level of replies
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    committee_user_id: int | None = Field(default=None, foreign_key="committeeuser.id")
    text_original: str = Field(sa_type=sa.Text)
    text_public: str = Field(sa_type=sa.Text)
    visibility: Visibility = _enum(Visibility.VISIBLE)
    moderation_reason: str = Field(default="", max_length=500)
    created_at: datetime = _ts()
    client_token: str | None = Field(default=None, max_length=64, unique=True)  # idempotency


class Report(SQLModel, table=True):
    """A resident's 举报 of an opinion or comment, waiting for moderation."""

    id: int | None = Field(default=None, primary_key=True)
    target_type: ReportTarget = _enum()
    target_id: int = Field(index=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    reason: str = Field(max_length=500)
    created_at: datetime = _ts()
    resolved_at: datetime | None = _opt_ts()
    resolved_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    resolution: str = Field(default="", max_length=500)


# ---------------------------------------------------------------- analysis and answers


class AnalysisRun(SQLModel, table=True):
    # At most one running run per consultation: the batch job's lock on SQLite and the guard
    # against two replicas starting the same analysis (decision 0025).
    __table_args__ = (
        sa.Index("uq_analysisrun_one_running", "consultation_id", unique=True,
                 sqlite_where=sa.text("status = 'running'"),
                 postgresql_where=sa.text("status = 'running'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    status: RunStatus = _enum(RunStatus.RUNNING)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # Outputs that are not rows of their own: opinion groups, consensus, duplicate groups.
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    n_opinions: int = 0
    error: str = Field(default="", max_length=2000)
    started_at: datetime = _ts()
    finished_at: datetime | None = _opt_ts()
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")


class Theme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="analysisrun.id")
    label: str = Field(max_length=100)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # The summary residents see once the committee reviewed it (see review.summaries): the
    # machine draft until the committee edits it. ``summary_draft`` is always the latest run's
    # draft; ``summary_points`` its structured form (sub-points with counts, quotes, votes).
    summary: str = Field(default="", sa_type=sa.Text)
    summary_draft: str = Field(default="", sa_type=sa.Text)
    summary_points: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    summary_reviewed_at: datetime | None = _opt_ts()  # None: not reviewed, never published
    summary_reviewed_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    # Keywords the committee typed for a theme it named (guided themes, see review.confirm);
    # ``keywords`` above are the run's, rewritten every run.
    seed_words: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    representative_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    size: int = 0  # opinions
    n_distinct: int = 0  # after collapsing near-duplicates
    n_residents: int = 0
    support: int = 0  # agree votes on its opinions
    opposition: int = 0
    hot_score: float = 0.0
    curated: bool = False  # named or edited by the committee: kept across re-runs
    priority: bool = False
    is_other: bool = False  # the explicit 其他 theme
    active: bool = True  # false once merged away or retired by a re-run
    merged_into_id: int | None = Field(default=None, foreign_key="theme.id")
    status: ThemeStatus = _enum(ThemeStatus.PENDING)
    position: int = 0
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ThemeAssignment(SQLModel, table=True):
    """The current theme of one opinion."""

    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", unique=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    source: AssignmentSource = _enum(AssignmentSource.MODEL)
    score: float = 0.0
    assigned_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


class ThemeRejection(SQLModel, table=True):
    """A committee answer "this opinion does not belong to this theme" (确认归类 queue: 不属于)."""

    __table_args__ = (sa.UniqueConstraint("opinion_id", "theme_id", name="uq_theme_rejection"),)
    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


class Response(SQLModel, table=True):
    """The committee's public answer to one theme."""

    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", unique=True)
    decision: Decision = _enum()
    reasoning: str = Field(sa_type=sa.Text)
    responsible_party: str = Field(max_length=100)
    due_date: date | None = None
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class StatusUpdate(SQLModel, table=True):
    """One entry of a theme's public timeline."""

    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    status: ThemeStatus = _enum()
    note: str = Field(default="", sa_type=sa.Text)
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained log: each row's hash covers its content and the previous hash."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=100)  # "committee:3", "resident:42", "system", "cli"
    action: str = Field(max_length=100, index=True)
    target_type: str = Field(default="", max_length=50)
    target_id: str = Field(default="", max_length=50)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    prev_hash: str = Field(max_length=64, unique=True)  # no fork: one successor per row
    hash: str = Field(max_length=64, unique=True)


class AuditCheckpoint(SQLModel, table=True):
    """The chain's head (event count and last hash), sealed with an HMAC of the secret key.

    Kept apart from the chain and updated in the same transaction as every append, so deleting
    the last events, or all of them, no longer leaves a chain that verifies.
    """

    id: int = Field(default=1, primary_key=True)
    count: int = 0
    head_hash: str = Field(max_length=64)
    mac: str = Field(max_length=64)
    updated_at: datetime = _ts()


# ---------------------------------------------------------------- notifications (decision 0024)


class ContactChannel(StrEnum):
    """Where a notice can reach a resident besides the portal's own inbox."""

    EMAIL = "email"
    SMS = "sms"

    @property
    def label(self) -> str:
        return {"email": "电子邮件", "sms": "短信"}[self.value]


class DeliveryChannel(StrEnum):
    """How one outbox message travels: e-mail, SMS, or a printed slip delivered door to door."""

    EMAIL = "email"
    SMS = "sms"
    PAPER = "paper"

    @property
    def label(self) -> str:
        return {"email": "电子邮件", "sms": "短信", "paper": "纸质上门"}[self.value]


class ConsentSource(StrEnum):
    WEB = "web"  # the resident ticked it on 我的账号
    PAPER = "paper"  # a signed paper form, recorded by staff

    @property
    def label(self) -> str:
        return {"web": "网上勾选", "paper": "纸质同意书"}[self.value]


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting, or leased by a sender right now (lease_until in the future)
    SENT = "sent"
    FAILED = "failed"  # gave up after the retry limit, or refused for good
    CANCELLED = "cancelled"  # consent withdrawn (退订) before it went out

    @property
    def label(self) -> str:
        return {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "cancelled": "已取消"}[self.value]


class ContactPoint(SQLModel, table=True):
    """A resident's e-mail address or mobile number with their consent to be told things there.

    The value is encrypted (Fernet, key ``PORTAL_CONTACT_KEY``); ``lookup_hash`` is a keyed HMAC
    of the normalised value, to find a number that replied 退订 and to tell a re-entered value
    from a new one, without decrypting every row.
    """

    __table_args__ = (sa.UniqueConstraint("resident_id", "channel", name="uq_contact_per_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    channel: ContactChannel = _enum()
    value_encrypted: str = Field(sa_type=sa.Text)
    lookup_hash: str = Field(max_length=64, index=True)
    consent: bool = True  # false once withdrawn (退订); the row stays as the record of it
    consent_source: ConsentSource = _enum(ConsentSource.WEB)
    consent_recorded_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    consented_at: datetime = _ts()
    withdrawn_at: datetime | None = _opt_ts()
    updated_at: datetime = _ts()


class Notification(SQLModel, table=True):
    """One message in a resident's 我的消息 inbox. ``event_key`` names the event, so the same
    event never tells the same resident twice."""

    __table_args__ = (sa.UniqueConstraint("resident_id", "event_key", name="uq_notification_event"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    kind: str = Field(max_length=30)
    event_key: str = Field(max_length=120)
    title: str = Field(max_length=100)
    body: str = Field(sa_type=sa.Text)
    link: str = Field(default="", max_length=300)  # path on the portal, e.g. /results?id=3
    consultation_id: int | None = Field(default=None, foreign_key="consultation.id", index=True)
    created_at: datetime = _ts()
    read_at: datetime | None = _opt_ts()


class OutboxMessage(SQLModel, table=True):
    """A notice waiting to leave by e-mail, SMS or on paper, written in the same transaction as
    its inbox row. Senders claim rows with a lease (``lease_owner`` until ``lease_until``)."""

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contactpoint.id")  # None on paper
    channel: DeliveryChannel = _enum()
    status: OutboxStatus = _enum(OutboxStatus.PENDING, index=True)
    due_at: datetime = _ts(index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _opt_ts()
    sent_at: datetime | None = _opt_ts()  # SENT: when; PENDING and leased: the attempt under way
    created_at: datetime = _ts()


class Announcement(SQLModel, table=True):
    """A staff notice (居民通知, e.g. 施工通知) to the residents of a consultation's areas."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    title: str = Field(max_length=60)
    body: str = Field(sa_type=sa.Text)
    n_recipients: int = 0
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


# ---------------------------------------------------------------- documents and photos


class DocumentKind(StrEnum):
    """What a document behind a consultation is."""

    PLAN = "plan"
    MINUTES = "minutes"
    COSTS = "costs"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DOCUMENT_KIND_LABELS[self]


DOCUMENT_KIND_LABELS = {
    DocumentKind.PLAN: "方案图纸",
    DocumentKind.MINUTES: "会议纪要",
    DocumentKind.COSTS: "费用测算",
    DocumentKind.OTHER: "其他",
}


class PhotoReview(StrEnum):
    """A resident's photo is public only once staff approved it (faces and plates are personal)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "待审核", "approved": "已公开", "rejected": "未通过"}[self.value]


class StoredFile(SQLModel, table=True):
    """The bytes of one checked (images: re-encoded) file, stored once per content.

    ``data`` holds the bytes when the database is the store; with an S3-compatible store it is
    empty and the object's key is ``files/<sha256>``. Every replica reads either.
    """

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)  # of the stored bytes
    media_type: str = Field(max_length=50)  # image/jpeg, image/png, image/webp, application/pdf
    size: int
    width: int | None = None
    height: int | None = None
    storage: str = Field(default="db", max_length=10)  # "db" | "s3"
    data: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    created_at: datetime = _ts()


class ConsultationDocument(SQLModel, table=True):
    """A background document staff attached to a consultation (方案图纸, 会议纪要, 费用测算 …)."""

    __table_args__ = (sa.UniqueConstraint("consultation_id", "file_id", name="uq_document_once"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    file_id: int = Field(foreign_key="storedfile.id")
    kind: DocumentKind = _enum(DocumentKind.OTHER)
    title: str = Field(max_length=100)
    filename: str = Field(max_length=120)  # offered when downloading
    uploaded_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


class OpinionPhoto(SQLModel, table=True):
    """A photo a resident added to an opinion; public only after staff approval."""

    __table_args__ = (sa.UniqueConstraint("opinion_id", "file_id", name="uq_photo_once"),)

    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True)
    file_id: int = Field(foreign_key="storedfile.id")
    position: int = 0
    review: PhotoReview = _enum(PhotoReview.PENDING, index=True)
    review_reason: str = Field(default="", max_length=200)
    reviewed_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    reviewed_at: datetime | None = _opt_ts()
    created_at: datetime = _ts()


# ---------------------------------------------------------------- polls and owners' votes
# (services.decisions; docs/owners-vote.md, decision 0022)


class PollKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RANKING = "ranking"

    @property
    def label(self) -> str:
        return {"single": "单选", "multiple": "多选", "ranking": "排序"}[self.value]


class Poll(SQLModel, table=True):
    """A questionnaire (问卷) inside a consultation: open while the consultation takes votes
    (the phase table) and until its own ``closes_at`` or until staff close it."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    title: str = Field(max_length=100)
    intro: str = Field(default="", max_length=1000)
    hide_results_until_close: bool = False
    closes_at: datetime | None = _opt_ts()
    closed_at: datetime | None = _opt_ts()  # closed early by staff
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


class PollQuestion(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    position: int = 0
    text: str = Field(max_length=200)
    kind: PollKind = _enum(PollKind.SINGLE)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    max_choices: int | None = None  # multiple choice: at most this many
    allow_other: bool = False  # a last option 其他（请说明） with free text that becomes an opinion


class PollResponse(SQLModel, table=True):
    """One resident's answers to one poll (changeable until it closes). ``answers`` maps a
    question id (as text) to the chosen option indices, in rank order for a ranking; the index
    ``len(options)`` is 其他, whose text is an opinion (``other_opinions``: question id → id)."""

    __table_args__ = (sa.UniqueConstraint("poll_id", "resident_id", name="uq_poll_response_once"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    other_opinions: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    channel: Channel = _enum(Channel.WEB)
    entered_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class VoteMatter(StrEnum):
    """The matters of 《民法典》第二百七十八条 (items 一 to 九)."""

    RULES = "rules"  # (一) 制定和修改业主大会议事规则
    COVENANT = "covenant"  # (二) 制定和修改管理规约
    COMMITTEE = "committee"  # (三) 选举业主委员会或者更换业主委员会成员
    MANAGER = "manager"  # (四) 选聘和解聘物业服务企业或者其他管理人
    USE_FUND = "use_fund"  # (五) 使用建筑物及其附属设施的维修资金
    RAISE_FUND = "raise_fund"  # (六) 筹集建筑物及其附属设施的维修资金
    REBUILD = "rebuild"  # (七) 改建、重建建筑物及其附属设施
    CHANGE_USE = "change_use"  # (八) 改变共有部分的用途或者利用共有部分从事经营活动
    OTHER = "other"  # (九) 有关共有和共同管理权利的其他重大事项

    @property
    def label(self) -> str:
        return VOTE_MATTER_LABELS[self]


VOTE_MATTER_LABELS = {
    VoteMatter.RULES: "（一）制定和修改业主大会议事规则",
    VoteMatter.COVENANT: "（二）制定和修改管理规约",
    VoteMatter.COMMITTEE: "（三）选举业主委员会或者更换业主委员会成员",
    VoteMatter.MANAGER: "（四）选聘和解聘物业服务企业或者其他管理人",
    VoteMatter.USE_FUND: "（五）使用建筑物及其附属设施的维修资金",
    VoteMatter.RAISE_FUND: "（六）筹集建筑物及其附属设施的维修资金",
    VoteMatter.REBUILD: "（七）改建、重建建筑物及其附属设施（如加装电梯）",
    VoteMatter.CHANGE_USE: "（八）改变共有部分的用途或者利用共有部分从事经营活动",
    VoteMatter.OTHER: "（九）有关共有和共同管理权利的其他重大事项",
}


class OwnerChoice(StrEnum):
    AGREE = "agree"
    OPPOSE = "oppose"
    ABSTAIN = "abstain"

    @property
    def label(self) -> str:
        return {"agree": "同意", "oppose": "反对", "abstain": "弃权"}[self.value]


class OwnerHousehold(SQLModel, table=True):
    """One 专有部分 (a flat) on the roster with its owner and area, for owners' votes. The owner
    and a registered proxy are roster entries (residents with participation codes)."""

    __table_args__ = (sa.UniqueConstraint("area_id", "unit", "room", name="uq_owner_household"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    unit: str = Field(default="", max_length=20)
    room: str = Field(max_length=50)  # the roster's 户号, e.g. 3-1-502
    area_m2: Decimal = Field(sa_type=sa.Numeric(10, 2))  # 专有部分面积
    owner_resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    proxy_resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    active: bool = True


class OwnersVote(SQLModel, table=True):
    """An owners' vote (业主表决) for a building or one of its units. ``roll`` freezes who may
    vote and with what area when the vote is created ([household id, "86.50"], …), so the tally
    can be recomputed from stored rows at any time (``consult owners-vote tally``)."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    title: str = Field(max_length=100)
    matter: VoteMatter = _enum(VoteMatter.OTHER)
    area_id: int = Field(foreign_key="area.id")
    unit: str = Field(default="", max_length=20)  # "" = the whole building
    roll: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
    closes_at: datetime | None = _opt_ts()
    closed_at: datetime | None = _opt_ts()
    published_at: datetime | None = _opt_ts()
    published_passed: bool | None = None
    published_tally: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_by: int | None = Field(default=None, foreign_key="committeeuser.id")
    created_at: datetime = _ts()


class OwnerBallot(SQLModel, table=True):
    """One household's ballot: the unique constraint makes it one per household, whoever casts
    it (the owner or the proxy, on the web or on paper)."""

    __table_args__ = (sa.UniqueConstraint("vote_id", "household_id", name="uq_owner_ballot_once"),)

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="ownersvote.id", index=True)
    household_id: int = Field(foreign_key="ownerhousehold.id", index=True)
    choice: OwnerChoice = _enum()
    channel: Channel = _enum(Channel.WEB)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")  # who cast it on the web
    by_proxy: bool = False
    entered_by: int | None = Field(default=None, foreign_key="committeeuser.id")  # paper: who typed it
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ResultsSnapshot(SQLModel, table=True):
    """The results page of one published consultation, computed once and kept in the database,
    so the first visitor after publishing or a re-analysis — on any replica — reads one row
    instead of recomputing (see publishing.snapshot and decision 0021). ``version`` is the
    ``results_version`` it was computed for; a different version means it is stale."""

    consultation_id: int = Field(foreign_key="consultation.id", primary_key=True)
    version: str = Field(max_length=400)
    format: int = 1  # the shape of the payload; a snapshot of another shape is rebuilt
    payload: bytes = Field(sa_type=sa.LargeBinary)
    built_at: datetime = _ts()
