"""我的参与: what a resident gave, voted and reported, and what became of it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from portal.models import (
    Channel,
    Comment,
    Consultation,
    Decision,
    Opinion,
    PhotoReview,
    Report,
    ReportTarget,
    Response,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    ThemeStatus,
    Visibility,
    Vote,
    VoteValue,
)
from portal.services.actors import Actor, require_resident
from portal.services.consultations import (
    can_submit_opinion,
    can_vote,
    phases,
    results_public,
)
from portal.services.documents.photos import photos_by_opinion
from portal.services.participation.opinions import pii_labels
from portal.services.queries import is_visible, vote_counts

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
    photos: list[MyPhoto] = field(default_factory=list)  # in the order attached


@dataclass(frozen=True)
class MyPhoto:
    """One of the author's photos: public only once staff approved it."""

    id: int
    review_label: str  # 待审核 / 已公开 / 未通过
    reason: str  # why it is not public (staff's words), when it is not


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
                                   phases.phase_clause(phases.PUBLIC_PHASES))
        .order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
    ))
    out: list[MyConsultation] = []
    for c in consultations:
        public_results = results_public(c)
        ops = list(session.exec(
            select(Opinion).where(Opinion.consultation_id == c.id, Opinion.resident_id == rid)
            .order_by(col(Opinion.received_at).desc(), col(Opinion.id).desc())
        ))
        counts = vote_counts(session, [o.id for o in ops])
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
        photos = photos_by_opinion(session, [o.id for o in ops if o.id is not None])
        for o in ops:
            t = themes.get(o.id or 0)
            r = answers.get(t.id) if t else None  # type: ignore[arg-type]
            my_ops.append(MyOpinion(
                id=o.id, text_public=o.text_public, text_original=o.text_original,  # type: ignore[arg-type]
                pii_labels=pii_labels(list(o.pii_kinds)), anonymous=o.anonymous,
                channel_label=Channel(o.channel).label, submitted_at=o.received_at,
                hidden=not is_visible(o),
                moderation_label=Visibility(o.visibility).label, moderation_reason=o.moderation_reason,
                agree=counts[o.id or 0].agree, disagree=counts[o.id or 0].disagree,
                theme_label=t.label if t else None,
                theme_status_label=ThemeStatus(t.status).label if t else None,
                answer=AnswerView(Decision(r.decision).label, r.reasoning, r.responsible_party, r.due_date) if r else None,
                timeline=timelines.get(t.id, []) if t else [],  # type: ignore[arg-type]
                photos=[MyPhoto(int(p.id or 0), PhotoReview(p.review).label, p.review_reason)
                        for p in photos.get(o.id or 0, [])],
            ))
        open_votes = can_vote(c)
        votes = [
            MyVote(v.opinion_id, op.text_public, VoteValue(v.value), v.updated_at,
                   open_votes and is_visible(op))
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
            consultation_id=c.id, title=c.title, phase_label=phases.phase_label(c),  # type: ignore[arg-type]
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
