"""Public reading: opinion lists and threads, with vote counts and the viewer's own votes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from portal.models import (
    Area,
    Comment,
    Consultation,
    Opinion,
    Resident,
    Vote,
    VoteValue,
)
from portal.services.actors import ResidentActor
from portal.services.consultations import (
    can_comment,
    can_vote,
    get_consultation,
)
from portal.services.participation.lookups import (
    _area_names,
    _visible_opinion,
    author_label,
)
from portal.services.queries import (
    comment_is_visible,
    visible_opinions_of,
    vote_counts,
    votes_on_each_opinion,
)

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
    counts = vote_counts(session, ids)
    areas = _area_names(session, {o.area_id for o in ops if o.area_id})
    n_comments = dict(
        session.exec(
            select(Comment.opinion_id, func.count())
            .where(col(Comment.opinion_id).in_(ids), comment_is_visible())
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
            received_at=o.received_at, agree=counts[o.id or 0].agree,
            disagree=counts[o.id or 0].disagree, passes=counts[o.id or 0].passes,
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
    where = visible_opinions_of(consultation_id)
    total = session.exec(select(func.count()).select_from(Opinion).where(where)).one()
    stmt = select(Opinion).where(where)
    n_agree = votes_on_each_opinion(VoteValue.AGREE)
    n_all = votes_on_each_opinion()
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
        select(Comment).where(Comment.opinion_id == opinion_id, comment_is_visible())
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


