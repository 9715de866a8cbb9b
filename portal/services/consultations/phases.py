"""The phase table: the one home of what each phase allows and which moves are allowed.

Every page and service asks this module; none compares ``Consultation.phase`` itself. Adding a
phase means: the enum and its label (``portal.models``), one row of :data:`TABLE`, and a
migration if the column's values are constrained.

Deadlines belong to the same rule: collection ends by itself at ``closes_at``. The stored phase
stays what the committee last chose; :func:`current_phase` is the phase in force, and everything
residents, staff and the public see follows it (a collecting consultation whose closing time
has passed is 研判中 everywhere, with no one switching it by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from portal.models import Consultation, Phase, utcnow
from portal.services.errors import PhaseClosed
from portal.timefmt import format_date


@dataclass(frozen=True)
class Move:
    """A phase change staff may make: where it leads, who may make it and what it will do."""

    to: Phase
    verb: str  # the button
    warning: str  # what the confirmation step says it will do
    permission: str = "change_phase"
    # Publishing is done on the 回应与发布 page, where its checks are shown; the phase page
    # lists only the other moves.
    on_phase_page: bool = True


@dataclass(frozen=True)
class PhaseRule:
    """What each role may do while a consultation is in one phase."""

    public: bool  # the public sees the consultation at all
    submit: bool  # new opinions (web, and staff entering paper / phone ones)
    vote: bool | None  # None: only when the committee allowed votes during review
    edit: bool  # staff edit title, question, dates and areas
    analyse: bool  # analysis runs and curation of themes
    answer: bool  # staff write answers to themes
    update_status: bool  # staff post status updates on the timeline
    results_public: bool
    for_residents: str  # one plain sentence for the consultation page
    moves: tuple[Move, ...] = ()


TABLE: dict[Phase, PhaseRule] = {
    Phase.DRAFT: PhaseRule(
        public=False, submit=False, vote=False, edit=True, analyse=False, answer=False,
        update_status=False, results_public=False,
        for_residents="议题还在准备中。",
        moves=(Move(Phase.COLLECTING, "切换到“征集中”", "议题将对公众可见，居民可以开始提交意见、投票和留言。"),),
    ),
    Phase.COLLECTING: PhaseRule(
        public=True, submit=True, vote=True, edit=True, analyse=True, answer=False,
        update_status=False, results_public=False,
        for_residents="正在征集意见：您可以提出意见、给别人的意见投票和留言。",
        moves=(Move(Phase.REVIEWING, "切换到“研判中”", "将停止收集新意见，进入研判整理。"),),
    ),
    Phase.REVIEWING: PhaseRule(
        public=True, submit=False, vote=None, edit=False, analyse=True, answer=True,
        update_status=True, results_public=False,
        for_residents="意见征集已结束，居委会正在研判整理。",
        moves=(
            Move(Phase.PUBLISHED, "发布结果", "居委会对各主题的回应将向公众公示。",
                 permission="publish_results", on_phase_page=False),
            Move(Phase.COLLECTING, "重新开放征集", "将重新开放征集：居民可以再次提交意见和投票。"),
        ),
    ),
    Phase.PUBLISHED: PhaseRule(
        public=True, submit=False, vote=False, edit=False, analyse=False, answer=True,
        update_status=True, results_public=True,
        for_residents="结果已公示：可以查看居委会对每个主题的回应和办理进度。",
        moves=(Move(Phase.CLOSED, "切换到“已办结”", "议题将标记为已办结，之后只能查看。"),),
    ),
    Phase.CLOSED: PhaseRule(
        public=True, submit=False, vote=False, edit=False, analyse=False, answer=False,
        update_status=True, results_public=True,
        for_residents="本议题已办结，可以查看最终结果。",
    ),
}
# A phase without a row fails at import, not with a KeyError on some page later.
if set(TABLE) != set(Phase):  # pragma: no cover - guards future edits
    raise RuntimeError(f"phase table is missing {sorted(set(Phase) - set(TABLE))}")


def phases_where(test: Callable[[PhaseRule], bool | None]) -> tuple[Phase, ...]:
    """The phases whose rule passes ``test``, in order (e.g. ``phases_where(lambda r: r.public)``)."""
    return tuple(p for p in Phase if test(TABLE[p]))


PUBLIC_PHASES = phases_where(lambda r: r.public)
RESULT_PHASES = phases_where(lambda r: r.results_public)


# ---------------------------------------------------------------- the phase in force


def _aware(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes for values stored as UTC.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=utcnow().tzinfo)


def deadline_passed(c: Consultation, now: datetime | None = None) -> bool:
    """Collection has ended by itself: the consultation was collecting and its closing time passed."""
    return (
        Phase(c.phase) == Phase.COLLECTING
        and c.closes_at is not None
        and _aware(c.closes_at) <= (now or utcnow())
    )


def current_phase(c: Consultation, now: datetime | None = None) -> Phase:
    """The phase in force: the stored phase, except that collection ends at ``closes_at``."""
    return Phase.REVIEWING if deadline_passed(c, now) else Phase(c.phase)


def rule_for(c: Consultation, now: datetime | None = None) -> PhaseRule:
    return TABLE[current_phase(c, now)]


def phase_label(c: Consultation, now: datetime | None = None) -> str:
    return current_phase(c, now).label


def phase_clause(phases: Iterable[Phase], now: datetime | None = None) -> sa.ColumnElement[bool]:
    """A SQL condition on ``Consultation`` true when the phase in force is one of ``phases``."""
    wanted = set(phases)
    now = now or utcnow()
    stored, closes = col(Consultation.phase), col(Consultation.closes_at)
    still_open = sa.or_(closes.is_(None), closes > now)
    parts: list[sa.ColumnElement[bool]] = []
    plain = wanted - {Phase.COLLECTING, Phase.REVIEWING}
    if plain:
        parts.append(stored.in_(sorted(plain)))
    if Phase.COLLECTING in wanted:
        parts.append(sa.and_(stored == Phase.COLLECTING, still_open))
    if Phase.REVIEWING in wanted:
        parts.append(stored == Phase.REVIEWING)
        parts.append(sa.and_(stored == Phase.COLLECTING, closes.is_not(None), closes <= now))
    return sa.or_(*parts) if parts else sa.false()


# ---------------------------------------------------------------- what residents may do


def can_submit_opinion(c: Consultation) -> bool:
    return rule_for(c).submit


def can_vote(c: Consultation) -> bool:
    allowed = rule_for(c).vote
    return bool(c.votes_during_review) if allowed is None else allowed


def can_comment(c: Consultation) -> bool:
    return can_vote(c)


def results_public(c: Consultation) -> bool:
    return rule_for(c).results_public


def is_public(c: Consultation) -> bool:
    return rule_for(c).public


def _closed_on(c: Consultation) -> str:
    assert c.closes_at is not None
    return format_date(c.closes_at, year=False)


def what_residents_can_do(c: Consultation) -> str:
    """One plain sentence for the consultation page."""
    phase = current_phase(c)
    sentence = TABLE[phase].for_residents
    if deadline_passed(c):
        sentence = f"意见征集已于{_closed_on(c)}截止，居委会正在研判整理。"
    if TABLE[phase].vote is None and c.votes_during_review:
        sentence += "您仍可以投票。"
    return sentence


def _closed_message(c: Consultation, what: str) -> str:
    if deadline_passed(c):
        return f"“{c.title}”的意见征集已于{_closed_on(c)}截止，{what}。"
    return f"“{c.title}”目前处于{phase_label(c)}阶段，{what}。"


def ensure_can_submit(c: Consultation) -> None:
    if not can_submit_opinion(c):
        raise PhaseClosed(_closed_message(c, "已不再收集新意见"))


def ensure_can_vote(c: Consultation) -> None:
    if not can_vote(c):
        raise PhaseClosed(_closed_message(c, "投票已结束"))


def ensure_can_comment(c: Consultation) -> None:
    if not can_comment(c):
        raise PhaseClosed(_closed_message(c, "留言已关闭"))


# ---------------------------------------------------------------- what staff may do


def can_edit(c: Consultation) -> bool:
    return rule_for(c).edit


def can_analyse(c: Consultation) -> bool:
    return rule_for(c).analyse


def can_answer(c: Consultation) -> bool:
    return rule_for(c).answer


def can_update_status(c: Consultation) -> bool:
    return rule_for(c).update_status


def ensure_staff_can(c: Consultation, allowed: Callable[[Consultation], bool], what: str) -> None:
    """Raise :class:`PhaseClosed` saying ``议题处于…阶段，{what}`` unless ``allowed(c)``."""
    if not allowed(c):
        raise PhaseClosed(f"议题处于{phase_label(c)}阶段，{what}。")


def moves(c: Consultation, *, phase_page: bool = False) -> tuple[Move, ...]:
    """The phase changes staff may make now (on the phase page: without publishing)."""
    found = rule_for(c).moves
    return tuple(m for m in found if m.on_phase_page) if phase_page else found


def find_move(c: Consultation, to: Phase) -> Move | None:
    return next((m for m in moves(c) if m.to == Phase(to)), None)


def reopening(c: Consultation, to: Phase) -> bool:
    return current_phase(c) == Phase.REVIEWING and Phase(to) == Phase.COLLECTING
