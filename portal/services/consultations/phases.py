"""The phase table: what residents, staff and analysis may do in each phase, and which moves are allowed."""

from __future__ import annotations

from portal.models import (
    Consultation,
    Phase,
)
from portal.services.errors import PhaseClosed

PUBLIC_PHASES = (Phase.COLLECTING, Phase.REVIEWING, Phase.PUBLISHED, Phase.CLOSED)
RESULT_PHASES = (Phase.PUBLISHED, Phase.CLOSED)


# ---------------------------------------------------------------- phase rules


def can_submit_opinion(c: Consultation) -> bool:
    return c.phase == Phase.COLLECTING


def can_vote(c: Consultation) -> bool:
    return c.phase == Phase.COLLECTING or (c.phase == Phase.REVIEWING and c.votes_during_review)


def can_comment(c: Consultation) -> bool:
    return can_vote(c)


def results_public(c: Consultation) -> bool:
    return c.phase in RESULT_PHASES


def ensure_can_submit(c: Consultation) -> None:
    if not can_submit_opinion(c):
        raise PhaseClosed(f"“{c.title}”目前处于{Phase(c.phase).label}阶段，已不再收集新意见。")


def ensure_can_vote(c: Consultation) -> None:
    if not can_vote(c):
        raise PhaseClosed(f"“{c.title}”目前处于{Phase(c.phase).label}阶段，投票已结束。")


def what_residents_can_do(c: Consultation) -> str:
    """One plain sentence for the consultation page."""
    return {
        Phase.DRAFT: "议题还在准备中。",
        Phase.COLLECTING: "正在征集意见：您可以提出意见、给别人的意见投票和留言。",
        Phase.REVIEWING: "意见征集已结束，居委会正在研判整理。"
        + ("您仍可以投票。" if c.votes_during_review else ""),
        Phase.PUBLISHED: "结果已公示：可以查看居委会对每个主题的回应和办理进度。",
        Phase.CLOSED: "本议题已办结，可以查看最终结果。",
    }[Phase(c.phase)]

# ---------------------------------------------------------------- phase changes

NEXT_PHASE = {
    Phase.DRAFT: Phase.COLLECTING,
    Phase.COLLECTING: Phase.REVIEWING,
    Phase.REVIEWING: Phase.PUBLISHED,
    Phase.PUBLISHED: Phase.CLOSED,
}

EDITABLE_PHASES = (Phase.DRAFT, Phase.COLLECTING)

def phase_change_warning(c: Consultation, to: Phase) -> str:
    """What the confirmation step tells the committee before a phase change."""
    to = Phase(to)
    if to == Phase.COLLECTING and Phase(c.phase) == Phase.REVIEWING:
        return "将重新开放征集：居民可以再次提交意见和投票。"
    return {
        Phase.COLLECTING: "议题将对公众可见，居民可以开始提交意见、投票和留言。",
        Phase.REVIEWING: "将停止收集新意见，进入研判整理。",
        Phase.PUBLISHED: "居委会对各主题的回应将向公众公示。",
        Phase.CLOSED: "议题将标记为已办结，之后只能查看。",
    }.get(to, "")
