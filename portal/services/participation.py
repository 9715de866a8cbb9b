"""What residents do: give opinions, vote, comment, report, and follow what became of them.

Every rule is checked here (phase, ownership, visibility, input), so it holds whether the request
came from a page, a script or a test. Each write is one transaction: the service commits on
success and rolls back on any error, so nothing is half-saved.

Votes: one row per (opinion, resident), guaranteed by the ``uq_vote_once`` unique constraint.
Two requests racing to insert the same vote both pass the "not voted yet" check; the loser's
INSERT fails on the constraint, and ``cast_vote`` then rolls back and updates the winner's row.
Wrap calls in ``db.run_with_retry`` so SQLite lock time-outs are retried too.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from analysis.redact import PII_LABELS
from portal.models import (
    Area,
    Channel,
    Comment,
    Consultation,
    Decision,
    Opinion,
    Phase,
    Report,
    ReportTarget,
    Resident,
    Response,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    ThemeStatus,
    Visibility,
    Vote,
    VoteValue,
    utcnow,
)
from portal.services.actors import Actor, ResidentActor, require_resident
from portal.services.consultations import (
    can_comment,
    can_submit_opinion,
    can_vote,
    ensure_can_submit,
    ensure_can_vote,
    get_consultation,
    results_public,
)
from portal.services.errors import InvalidInput, NotFound, PhaseClosed
from portal.services.moderation import auto_flags
from portal.services.text import public_text
from portal.settings import get_settings

COMMENT_MIN_CHARS = 2
COMMENT_MAX_CHARS = 500
REPORT_MIN_CHARS = 2
REPORT_MAX_CHARS = 500
REPORT_REASONS = ["人身攻击或辱骂", "泄露他人隐私", "广告或无关内容", "虚假信息", "重复刷屏", "其他"]
SIMILAR_MIN_SCORE = 0.35
SIMILAR_SHOWN = 3


# Control and invisible format characters; newlines and tabs are kept (tabs become spaces).
_CONTROL_RE = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\ufeff]"
)
_BLANK_LINES_RE = re.compile(r"\n{3,}")


# ---------------------------------------------------------------- input cleaning


def clean_text(text: str | None) -> str:
    """The text as the resident meant it: control characters removed, ends trimmed.

    HTML and script tags are kept as typed: they are stored and shown as plain text, never run.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _has_words(text: str) -> bool:
    """True if the text has any letter, CJK character or digit (not only emoji/punctuation)."""
    return any(ch.isalnum() for ch in text)


def validate_text(
    text: str | None, *, what: str, min_chars: int, max_chars: int
) -> str:
    """Clean ``text`` and check it; raise InvalidInput with a plain Chinese sentence if it fails."""
    cleaned = clean_text(text)
    n = len(cleaned)
    if n == 0:
        raise InvalidInput(f"请先写下您的{what}，内容不能为空。")
    if not _has_words(cleaned):
        raise InvalidInput(f"{what}里没有文字，请用文字写下您想说的话（只有表情或符号无法被整理和回应）。")
    if n < min_chars:
        raise InvalidInput(f"{what}太短了：至少需要 {min_chars} 个字，现在只有 {n} 个字。请写得具体一些。")
    if n > max_chars:
        raise InvalidInput(f"{what}太长了：最多 {max_chars} 个字，现在有 {n} 个字。请精简一下，或分成几条提交。")
    return cleaned


def pii_labels(kinds: list[str]) -> list[str]:
    return [PII_LABELS.get(k, k) for k in kinds]


# ---------------------------------------------------------------- shared look-ups


def _consultation_for(session: Session, actor: ResidentActor, consultation_id: int) -> Consultation:
    c = get_consultation(session, consultation_id)
    if c.community_id != actor.community_id:
        raise NotFound("找不到这个议题。")
    return c


def _visible_opinion(session: Session, opinion_id: int) -> tuple[Opinion, Consultation]:
    op = session.get(Opinion, opinion_id)
    if op is None:
        raise NotFound("找不到这条意见。")
    c = get_consultation(session, op.consultation_id)
    if op.visibility != Visibility.VISIBLE:
        raise NotFound("这条意见已被隐藏，无法再查看或参与。")
    return op, c


def author_label(anonymous: bool, area_name: str | None) -> str:
    if anonymous or not area_name:
        return "匿名居民"
    return f"{area_name}居民"


def _area_names(session: Session, area_ids: set[int]) -> dict[int, str]:
    ids = [a for a in area_ids if a is not None]
    if not ids:
        return {}
    return {a.id: a.name for a in session.exec(select(Area).where(col(Area.id).in_(ids)))}  # type: ignore[misc]


def _vote_counts(session: Session, opinion_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"agree": 0, "disagree": 0, "pass": 0})
    if not opinion_ids:
        return out
    rows = session.exec(
        select(Vote.opinion_id, Vote.value, func.count())
        .where(col(Vote.opinion_id).in_(opinion_ids))
        .group_by(col(Vote.opinion_id), col(Vote.value))
    ).all()
    for oid, value, n in rows:
        out[oid][str(value)] = n
    return out


def open_consultations(session: Session, *, actor: Actor | None, purpose: str) -> list[Consultation]:
    """The resident's consultations that accept opinions now (``purpose="submit"``) or votes
    (``purpose="vote"``), newest first."""
    resident = require_resident(actor)
    allowed = can_submit_opinion if purpose == "submit" else can_vote
    rows = session.exec(
        select(Consultation).where(Consultation.community_id == resident.community_id,
                                   col(Consultation.phase).in_([Phase.COLLECTING, Phase.REVIEWING]))
        .order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
    )
    return [c for c in rows if allowed(c)]


# ---------------------------------------------------------------- giving an opinion


@dataclass(frozen=True)
class SimilarOpinion:
    opinion_id: int
    text: str
    score: float
    agree: int


@dataclass(frozen=True)
class OpinionPreview:
    """What the resident sees before submitting."""

    text: str  # cleaned, as it will be stored
    text_public: str  # what the public will see
    pii_kinds: list[str]
    similar: list[SimilarOpinion]  # the closest few, best first
    n_similar: int  # how many existing opinions are alike (for "类似意见已有 N 条")

    @property
    def redacted(self) -> bool:
        return bool(self.pii_kinds)

    @property
    def pii_labels(self) -> list[str]:
        return pii_labels(self.pii_kinds)


@dataclass(frozen=True)
class SubmitResult:
    opinion: Opinion
    pii_kinds: list[str]
    created: bool  # False when the same client_token was seen before (a repeated click)

    @property
    def redacted(self) -> bool:
        return bool(self.pii_kinds)

    @property
    def pii_labels(self) -> list[str]:
        return pii_labels(self.pii_kinds)


_INDEX_CACHE: dict[int, tuple[tuple[int, int], Any, list[int]]] = {}


def _similarity_index(session: Session, consultation_id: int) -> tuple[Any, list[int]] | None:
    """A fitted ``analysis.SimilarOpinionIndex`` over the consultation's visible opinions.

    Refitted only when opinions were added or hidden (keyed on count and newest id).
    Returns None while the analysis package has no similarity index.
    """
    try:
        from analysis import SimilarOpinionIndex
    except (ImportError, AttributeError):
        return None
    rows = session.exec(
        select(Opinion.id, Opinion.text_public)
        .where(Opinion.consultation_id == consultation_id, Opinion.visibility == Visibility.VISIBLE)
        .order_by(col(Opinion.id))
    ).all()
    if not rows:
        return None
    signature = (len(rows), rows[-1][0] or 0)
    cached = _INDEX_CACHE.get(consultation_id)
    if cached and cached[0] == signature:
        return cached[1], cached[2]
    from portal.services.text import tokenizer

    index = SimilarOpinionIndex(tokenizer=tokenizer()).fit([t for _, t in rows])
    ids = [int(oid) for oid, _ in rows if oid is not None]
    _INDEX_CACHE[consultation_id] = (signature, index, ids)
    return index, ids


def warm_up(engine: Engine | None = None) -> None:
    """Load the similarity index's libraries and the tokenizer (many seconds on first use) and,
    given an engine, index the consultations now collecting, so the first 预览 is quick."""
    try:
        from analysis import SimilarOpinionIndex  # noqa: F401
    except (ImportError, AttributeError):
        return
    from portal.services.text import tokenizer

    tokenizer()
    if engine is None:
        return
    with Session(engine) as session:
        ids = session.exec(select(Consultation.id).where(Consultation.phase == Phase.COLLECTING)).all()
        for cid in ids:
            if cid is not None:
                _similarity_index(session, cid)


def similar_opinions(
    session: Session, *, consultation_id: int, text: str, min_score: float = SIMILAR_MIN_SCORE,
    limit: int = 50,
) -> list[SimilarOpinion]:
    """Visible opinions of the consultation that say much the same as ``text``, best first."""
    found = _similarity_index(session, consultation_id)
    if found is None:
        return []
    index, ids = found
    hits = index.query(text, top_k=limit, min_score=min_score)
    if not hits:
        return []
    wanted = [ids[i] for i, _ in hits]
    ops = {o.id: o for o in session.exec(select(Opinion).where(col(Opinion.id).in_(wanted)))}
    counts = _vote_counts(session, wanted)
    out = []
    for i, score in hits:
        op = ops.get(ids[i])
        if op is None or op.visibility != Visibility.VISIBLE:
            continue
        oid = int(op.id or 0)
        out.append(SimilarOpinion(oid, op.text_public, float(score), counts[oid]["agree"]))
    return out


def preview_opinion(
    session: Session, *, actor: Actor | None, consultation_id: int, text: str
) -> OpinionPreview:
    """Check a draft and show what the public will see and which opinions are alike.

    Raises the same errors as ``submit_opinion`` would, so the resident learns them early.
    """
    resident = require_resident(actor)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_submit(c)
    s = get_settings()
    cleaned = validate_text(text, what="意见", min_chars=s.opinion_min_chars, max_chars=s.opinion_max_chars)
    shown, kinds = public_text(cleaned)
    similar = similar_opinions(session, consultation_id=consultation_id, text=cleaned)
    own = set(session.exec(
            select(Opinion.id).where(Opinion.consultation_id == consultation_id,
                                     Opinion.resident_id == resident.resident_id)
        ))
    others = [s_ for s_ in similar if s_.opinion_id not in own]
    return OpinionPreview(cleaned, shown, kinds, others[:SIMILAR_SHOWN], len(others))


def submit_opinion(
    session: Session, *, actor: Actor | None, consultation_id: int, text: str,
    anonymous: bool = False, client_token: str | None = None,
) -> SubmitResult:
    """Store a resident's opinion (PII redacted for the public) and commit.

    ``client_token`` makes a repeated submit (double click, re-sent form) return the first
    opinion instead of storing it twice.
    """
    resident = require_resident(actor)
    token = (client_token or "").strip()[:64] or None
    if token:
        earlier = _opinion_by_token(session, resident, token)
        if earlier is not None:
            return SubmitResult(earlier, list(earlier.pii_kinds), created=False)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_submit(c)
    s = get_settings()
    cleaned = validate_text(text, what="意见", min_chars=s.opinion_min_chars, max_chars=s.opinion_max_chars)
    same = session.exec(
        select(Opinion.id).where(Opinion.consultation_id == consultation_id,
                                 Opinion.resident_id == resident.resident_id,
                                 Opinion.text_original == cleaned)
    ).first()
    if same is not None:
        raise InvalidInput("您已经提交过内容完全相同的意见，不用重复提交。")
    shown, kinds = public_text(cleaned)
    now = utcnow()
    op = Opinion(
        consultation_id=consultation_id, resident_id=resident.resident_id, area_id=resident.area_id,
        text_original=cleaned, text_public=shown, pii_kinds=kinds, flags=auto_flags(cleaned),
        anonymous=bool(anonymous), received_at=now, created_at=now, client_token=token,
    )
    session.add(op)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if token and (earlier := _opinion_by_token(session, resident, token)) is not None:
            return SubmitResult(earlier, list(earlier.pii_kinds), created=False)
        raise
    session.refresh(op)
    return SubmitResult(op, kinds, created=True)


def _opinion_by_token(session: Session, resident: ResidentActor, token: str) -> Opinion | None:
    earlier = session.exec(select(Opinion).where(Opinion.client_token == token)).first()
    if earlier is None:
        return None
    if earlier.resident_id != resident.resident_id:
        raise InvalidInput("提交编号冲突，请刷新页面后重新提交。")
    return earlier


# ---------------------------------------------------------------- voting


@dataclass(frozen=True)
class VoteResult:
    vote: Vote
    previous: VoteValue | None  # None for a first vote

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.vote.value


def _parse_vote(value: VoteValue | str) -> VoteValue:
    try:
        return VoteValue(value)
    except ValueError:
        raise InvalidInput("请选择“同意”“不同意”或“跳过”。") from None


def _is_vote_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "uq_vote_once" in text or ("unique" in text and "vote" in text)


def cast_vote(
    session: Session, *, actor: Actor | None, opinion_id: int, value: VoteValue | str
) -> VoteResult:
    """Record or change the resident's vote on an opinion and commit (insert-or-update).

    Refuses a resident's own opinion, hidden opinions and phases in which voting is closed.
    """
    resident = require_resident(actor)
    wanted = _parse_vote(value)
    for _attempt in range(3):
        try:
            return _cast_vote_once(session, resident, opinion_id, wanted)
        except IntegrityError as exc:
            # Another request inserted this resident's vote first: update that row instead.
            session.rollback()
            if not _is_vote_conflict(exc):
                raise
    raise InvalidInput("投票没有成功，请再点一次。")


def _cast_vote_once(session: Session, resident: ResidentActor, opinion_id: int, value: VoteValue) -> VoteResult:
    op, c = _visible_opinion(session, opinion_id)
    if c.community_id != resident.community_id:
        raise NotFound("找不到这条意见。")
    ensure_can_vote(c)
    if op.resident_id == resident.resident_id:
        raise InvalidInput("这是您自己提出的意见，不能给自己投票。")
    vote = session.exec(
        select(Vote).where(Vote.opinion_id == opinion_id, Vote.resident_id == resident.resident_id)
    ).first()
    now = utcnow()
    previous: VoteValue | None = None
    if vote is None:
        vote = Vote(opinion_id=opinion_id, resident_id=resident.resident_id, value=value,
                    created_at=now, updated_at=now)
    else:
        previous = VoteValue(vote.value)
        if previous != value:
            vote.value = value
            vote.updated_at = now
    session.add(vote)
    session.commit()
    return VoteResult(vote, previous)


def support_opinion(session: Session, *, actor: Actor | None, opinion_id: int) -> VoteResult:
    """Support an existing (similar) opinion instead of posting a duplicate: an agree vote."""
    return cast_vote(session, actor=actor, opinion_id=opinion_id, value=VoteValue.AGREE)


@dataclass(frozen=True)
class VoteCard:
    """One opinion waiting for the resident's vote."""

    opinion_id: int
    text: str
    author: str
    n_votes: int
    remaining: int  # opinions still waiting, this one included
    voted: int  # opinions this resident has voted on in the consultation


def _tie_break(opinion_id: Any, resident_id: int) -> Any:
    # A per-resident order among equally-voted opinions, so residents do not all see the same
    # opinion first; deterministic, and portable SQL arithmetic (SQLite and PostgreSQL).
    return (opinion_id * 7919 + resident_id * 104729) % 10007


def next_opinion_to_vote(
    session: Session, *, actor: Actor | None, consultation_id: int
) -> VoteCard | None:
    """The visible opinion this resident has not voted on (and did not write) with the fewest
    votes; ties broken by a fixed per-resident order. None when there is nothing left."""
    resident = require_resident(actor)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_vote(c)
    rid = resident.resident_id
    mine = select(Vote.opinion_id).where(Vote.resident_id == rid)
    n_votes = (
        select(func.count()).select_from(Vote).where(col(Vote.opinion_id) == col(Opinion.id))
        .correlate(Opinion).scalar_subquery()
    )
    waiting = (
        Opinion.consultation_id == consultation_id,
        Opinion.visibility == Visibility.VISIBLE,
        col(Opinion.id).not_in(mine),
        (col(Opinion.resident_id).is_(None)) | (col(Opinion.resident_id) != rid),
    )
    remaining = session.exec(select(func.count()).select_from(Opinion).where(*waiting)).one()
    voted = session.exec(
        select(func.count()).select_from(Vote).join(Opinion, col(Opinion.id) == col(Vote.opinion_id))
        .where(Vote.resident_id == rid, Opinion.consultation_id == consultation_id)
    ).one()
    row = session.exec(
        select(Opinion, n_votes).where(*waiting).order_by(n_votes, _tie_break(col(Opinion.id), rid), col(Opinion.id))
        .limit(1)
    ).first()
    if row is None:
        return None
    op, n = row
    areas = _area_names(session, {op.area_id} if op.area_id else set())
    return VoteCard(op.id, op.text_public, author_label(op.anonymous, areas.get(op.area_id)),  # type: ignore[arg-type]
                    int(n), int(remaining), int(voted))


# ---------------------------------------------------------------- comments and reports


def add_comment(
    session: Session, *, actor: Actor | None, opinion_id: int, text: str, parent_id: int | None = None
) -> Comment:
    """Comment on an opinion, or reply to a top-level comment (one level of replies only)."""
    resident = require_resident(actor)
    op, c = _visible_opinion(session, opinion_id)
    if c.community_id != resident.community_id:
        raise NotFound("找不到这条意见。")
    if not can_comment(c):
        raise PhaseClosed(f"“{c.title}”目前处于{Phase(c.phase).label}阶段，留言已关闭。")
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.opinion_id != opinion_id or parent.visibility != Visibility.VISIBLE:
            raise NotFound("要回复的留言不存在或已被隐藏。")
        if parent.parent_id is not None:
            raise InvalidInput("只能回复一层：请回复这条留言所在的主留言。")
    cleaned = validate_text(text, what="留言", min_chars=COMMENT_MIN_CHARS, max_chars=COMMENT_MAX_CHARS)
    same = session.exec(
        select(Comment).where(Comment.opinion_id == opinion_id, Comment.parent_id == parent_id,
                              Comment.resident_id == resident.resident_id,
                              Comment.text_original == cleaned)
    ).first()
    if same is not None:  # a double click or a re-sent form: keep the one already there
        return same
    shown, _kinds = public_text(cleaned)
    cm = Comment(opinion_id=opinion_id, parent_id=parent_id, resident_id=resident.resident_id,
                 text_original=cleaned, text_public=shown)
    session.add(cm)
    session.commit()
    session.refresh(cm)
    return cm


@dataclass(frozen=True)
class ReportResult:
    report: Report
    already: bool  # this resident had already reported it and it is still waiting


def report(
    session: Session, *, actor: Actor | None, target_type: ReportTarget | str, target_id: int,
    reason: str,
) -> ReportResult:
    """举报 an opinion or a comment for the committee's moderation queue."""
    resident = require_resident(actor)
    try:
        kind = ReportTarget(target_type)
    except ValueError:
        raise InvalidInput("只能举报意见或留言。") from None
    if kind == ReportTarget.OPINION:
        op, c = _visible_opinion(session, target_id)
    else:
        cm = session.get(Comment, target_id)
        if cm is None or cm.visibility != Visibility.VISIBLE:
            raise NotFound("这条留言不存在或已被隐藏。")
        op, c = _visible_opinion(session, cm.opinion_id)
    if c.community_id != resident.community_id:
        raise NotFound("找不到要举报的内容。")
    cleaned = validate_text(reason, what="举报理由", min_chars=REPORT_MIN_CHARS, max_chars=REPORT_MAX_CHARS)
    earlier = session.exec(
        select(Report).where(Report.target_type == kind, Report.target_id == target_id,
                             Report.resident_id == resident.resident_id,
                             col(Report.resolved_at).is_(None))
    ).first()
    if earlier is not None:
        return ReportResult(earlier, already=True)
    r = Report(target_type=kind, target_id=target_id, consultation_id=c.id,  # type: ignore[arg-type]
               resident_id=resident.resident_id, reason=cleaned)
    session.add(r)
    session.commit()
    session.refresh(r)
    return ReportResult(r, already=False)


# ---------------------------------------------------------------- public reading


@dataclass(frozen=True)
class OpinionView:
    id: int
    text: str  # public, redacted
    author: str
    received_at: datetime
    agree: int
    disagree: int
    passes: int
    n_comments: int
    is_mine: bool = False
    my_vote: VoteValue | None = None


@dataclass(frozen=True)
class CommentView:
    id: int
    text: str
    author: str
    created_at: datetime
    is_mine: bool = False
    replies: list[CommentView] = field(default_factory=list)


@dataclass(frozen=True)
class OpinionList:
    items: list[OpinionView]
    total: int


@dataclass(frozen=True)
class OpinionThread:
    opinion: OpinionView
    consultation: Consultation
    comments: list[CommentView]
    can_vote: bool
    can_comment: bool


SORTS = {"hot": "同意最多", "new": "最新", "least": "投票最少"}


def _views(session: Session, ops: list[Opinion], viewer: ResidentActor | None) -> list[OpinionView]:
    ids = [o.id for o in ops if o.id is not None]
    counts = _vote_counts(session, ids)
    areas = _area_names(session, {o.area_id for o in ops if o.area_id})
    n_comments = dict(
        session.exec(
            select(Comment.opinion_id, func.count())
            .where(col(Comment.opinion_id).in_(ids), Comment.visibility == Visibility.VISIBLE)
            .group_by(col(Comment.opinion_id))
        ).all()
    ) if ids else {}
    my_votes: dict[int, VoteValue] = {}
    if viewer is not None and ids:
        my_votes = {
            oid: VoteValue(v) for oid, v in session.exec(
                select(Vote.opinion_id, Vote.value)
                .where(Vote.resident_id == viewer.resident_id, col(Vote.opinion_id).in_(ids))
            )
        }
    return [
        OpinionView(
            id=o.id, text=o.text_public,  # type: ignore[arg-type]
            author=author_label(o.anonymous, areas.get(o.area_id)),  # type: ignore[arg-type]
            received_at=o.received_at, agree=counts[o.id]["agree"],  # type: ignore[index]
            disagree=counts[o.id]["disagree"], passes=counts[o.id]["pass"],  # type: ignore[index]
            n_comments=n_comments.get(o.id or 0, 0),
            is_mine=viewer is not None and o.resident_id == viewer.resident_id,
            my_vote=my_votes.get(o.id),  # type: ignore[arg-type]
        )
        for o in ops
    ]


def list_opinions(
    session: Session, *, consultation_id: int, viewer: ResidentActor | None = None,
    sort: str = "hot", limit: int = 20, offset: int = 0,
) -> OpinionList:
    """The public opinions of a consultation (redacted text only; hidden ones left out)."""
    get_consultation(session, consultation_id)
    where = (Opinion.consultation_id == consultation_id, Opinion.visibility == Visibility.VISIBLE)
    total = session.exec(select(func.count()).select_from(Opinion).where(*where)).one()
    stmt = select(Opinion).where(*where)
    n_agree = (
        select(func.count()).select_from(Vote)
        .where(col(Vote.opinion_id) == col(Opinion.id), Vote.value == VoteValue.AGREE)
        .correlate(Opinion).scalar_subquery()
    )
    n_all = (
        select(func.count()).select_from(Vote).where(col(Vote.opinion_id) == col(Opinion.id))
        .correlate(Opinion).scalar_subquery()
    )
    if sort == "new":
        stmt = stmt.order_by(col(Opinion.received_at).desc(), col(Opinion.id).desc())
    elif sort == "least":
        stmt = stmt.order_by(n_all, col(Opinion.id))
    else:
        stmt = stmt.order_by(n_agree.desc(), col(Opinion.id))
    ops = list(session.exec(stmt.offset(max(0, offset)).limit(max(1, limit))))
    return OpinionList(_views(session, ops, viewer), total)


def opinion_thread(session: Session, *, opinion_id: int, viewer: ResidentActor | None = None) -> OpinionThread:
    """One public opinion with its visible comments and one level of replies."""
    op, c = _visible_opinion(session, opinion_id)
    view = _views(session, [op], viewer)[0]
    rows = list(session.exec(
        select(Comment).where(Comment.opinion_id == opinion_id, Comment.visibility == Visibility.VISIBLE)
        .order_by(col(Comment.created_at), col(Comment.id))
    ))
    rids = {r.resident_id for r in rows if r.resident_id}
    area_of = dict(session.exec(
        select(Resident.id, Area.name).join(Area, col(Area.id) == col(Resident.area_id))
        .where(col(Resident.id).in_(rids))
    ).all()) if rids else {}

    def label(cm: Comment) -> str:
        if cm.committee_user_id is not None:
            return "居委会"
        return author_label(False, area_of.get(cm.resident_id))

    def comment_view(cm: Comment, replies: list[CommentView] | None = None) -> CommentView:
        return CommentView(cm.id, cm.text_public, label(cm), cm.created_at,  # type: ignore[arg-type]
                           is_mine=viewer is not None and cm.resident_id == viewer.resident_id,
                           replies=replies or [])

    replies: dict[int, list[CommentView]] = defaultdict(list)
    for cm in rows:
        if cm.parent_id is not None:
            replies[cm.parent_id].append(comment_view(cm))
    top = [comment_view(cm, replies.get(cm.id)) for cm in rows if cm.parent_id is None]  # type: ignore[arg-type]
    return OpinionThread(view, c, top, can_vote(c), can_comment(c))


# ---------------------------------------------------------------- 我的参与


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status_label: str
    note: str


@dataclass(frozen=True)
class AnswerView:
    decision_label: str
    reasoning: str
    responsible_party: str
    due_date: date | None


@dataclass(frozen=True)
class MyOpinion:
    id: int
    text_public: str
    text_original: str
    pii_labels: list[str]
    anonymous: bool
    channel_label: str
    submitted_at: datetime
    hidden: bool
    moderation_label: str  # 公开 / 已隐藏
    moderation_reason: str
    agree: int
    disagree: int
    theme_label: str | None  # shown once results are public
    theme_status_label: str | None
    answer: AnswerView | None
    timeline: list[TimelineEntry]


@dataclass(frozen=True)
class MyVote:
    opinion_id: int
    text: str
    value: VoteValue
    updated_at: datetime
    changeable: bool

    @property
    def value_label(self) -> str:
        return self.value.label


@dataclass(frozen=True)
class MyReport:
    target_label: str  # 意见 / 留言
    excerpt: str
    reason: str
    created_at: datetime
    state_label: str  # 待处理 / 已处理：…


@dataclass(frozen=True)
class MyConsultation:
    consultation_id: int
    title: str
    phase_label: str
    results_public: bool
    can_submit: bool
    can_vote: bool
    opinions: list[MyOpinion]
    votes: list[MyVote]
    n_comments: int
    reports: list[MyReport]


@dataclass(frozen=True)
class MyParticipation:
    consultations: list[MyConsultation]

    @property
    def is_empty(self) -> bool:
        return not any(c.opinions or c.votes or c.n_comments or c.reports for c in self.consultations)


def _excerpt(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "…"


def my_participation(session: Session, *, actor: Actor | None) -> MyParticipation:
    """Everything this resident did, per consultation, with what became of their opinions."""
    resident = require_resident(actor)
    rid = resident.resident_id
    consultations = list(session.exec(
        select(Consultation).where(Consultation.community_id == resident.community_id,
                                   Consultation.phase != Phase.DRAFT)
        .order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
    ))
    out: list[MyConsultation] = []
    for c in consultations:
        public_results = results_public(c)
        ops = list(session.exec(
            select(Opinion).where(Opinion.consultation_id == c.id, Opinion.resident_id == rid)
            .order_by(col(Opinion.received_at).desc(), col(Opinion.id).desc())
        ))
        counts = _vote_counts(session, [o.id for o in ops])  # type: ignore[misc]
        themes: dict[int, Theme] = {}
        if public_results and ops:
            for a, found in session.exec(
                select(ThemeAssignment, Theme).join(Theme, col(Theme.id) == col(ThemeAssignment.theme_id))
                .where(col(ThemeAssignment.opinion_id).in_([o.id for o in ops]))
            ):
                living: Theme | None = found
                while living is not None and not living.active and living.merged_into_id:
                    living = session.get(Theme, living.merged_into_id)  # follow merges
                if living is not None:
                    themes[a.opinion_id] = living
        answers: dict[int, Response] = {}
        timelines: dict[int, list[TimelineEntry]] = defaultdict(list)
        theme_ids = [t.id for t in themes.values()]
        if theme_ids:
            answers = {r.theme_id: r for r in session.exec(select(Response).where(col(Response.theme_id).in_(theme_ids)))}
            for su in session.exec(select(StatusUpdate).where(col(StatusUpdate.theme_id).in_(theme_ids))
                                   .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))):
                timelines[su.theme_id].append(TimelineEntry(su.created_at, ThemeStatus(su.status).label, su.note))
        my_ops = []
        for o in ops:
            t = themes.get(o.id or 0)
            r = answers.get(t.id) if t else None  # type: ignore[arg-type]
            my_ops.append(MyOpinion(
                id=o.id, text_public=o.text_public, text_original=o.text_original,  # type: ignore[arg-type]
                pii_labels=pii_labels(list(o.pii_kinds)), anonymous=o.anonymous,
                channel_label=Channel(o.channel).label, submitted_at=o.received_at,
                hidden=o.visibility == Visibility.HIDDEN,
                moderation_label=Visibility(o.visibility).label, moderation_reason=o.moderation_reason,
                agree=counts[o.id]["agree"], disagree=counts[o.id]["disagree"],  # type: ignore[index]
                theme_label=t.label if t else None,
                theme_status_label=ThemeStatus(t.status).label if t else None,
                answer=AnswerView(Decision(r.decision).label, r.reasoning, r.responsible_party, r.due_date) if r else None,
                timeline=timelines.get(t.id, []) if t else [],  # type: ignore[arg-type]
            ))
        open_votes = can_vote(c)
        votes = [
            MyVote(v.opinion_id, op.text_public, VoteValue(v.value), v.updated_at,
                   open_votes and op.visibility == Visibility.VISIBLE)
            for v, op in session.exec(
                select(Vote, Opinion).join(Opinion, col(Opinion.id) == col(Vote.opinion_id))
                .where(Vote.resident_id == rid, Opinion.consultation_id == c.id)
                .order_by(col(Vote.updated_at).desc(), col(Vote.id).desc())
            )
        ]
        n_comments = session.exec(
            select(func.count()).select_from(Comment).join(Opinion, col(Opinion.id) == col(Comment.opinion_id))
            .where(Comment.resident_id == rid, Opinion.consultation_id == c.id)
        ).one()
        reports = [_my_report(session, r) for r in session.exec(
            select(Report).where(Report.resident_id == rid, Report.consultation_id == c.id)
            .order_by(col(Report.created_at).desc())
        )]
        out.append(MyConsultation(
            consultation_id=c.id, title=c.title, phase_label=Phase(c.phase).label,  # type: ignore[arg-type]
            results_public=public_results, can_submit=can_submit_opinion(c), can_vote=open_votes,
            opinions=my_ops, votes=votes, n_comments=int(n_comments), reports=reports,
        ))
    return MyParticipation(out)


def _my_report(session: Session, r: Report) -> MyReport:
    if r.target_type == ReportTarget.OPINION:
        target = session.get(Opinion, r.target_id)
        label, text = "意见", target.text_public if target else ""
    else:
        cm = session.get(Comment, r.target_id)
        label, text = "留言", cm.text_public if cm else ""
    if r.resolved_at is None:
        state = "待居委会处理"
    else:
        state = "已处理" + (f"：{r.resolution}" if r.resolution else "")
    return MyReport(label, _excerpt(text), r.reason, r.created_at, state)
