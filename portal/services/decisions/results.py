"""Poll results: counts and shares per option (ranking: Borda points and first choices), by
building, grid or age band beside the roster's numbers; hidden from non-staff until the poll
closes when staff chose so."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from portal.models import CHANNEL_LABELS, Area, Channel, PollKind, PollResponse, Resident
from portal.services.consultations import is_public
from portal.services.decisions.polls import OTHER_LABEL, _poll, poll_is_open, questions_of
from portal.services.errors import InvalidInput, NotFound

BREAKDOWNS = {"building": "楼栋", "grid": "网格", "age_band": "年龄段"}


@dataclass(frozen=True)
class OptionResult:
    label: str
    count: int
    share: float  # of respondents who answered the question
    points: int = 0  # ranking: Borda points (first of n gets n-1)
    mean_rank: float | None = None


@dataclass(frozen=True)
class GroupResult:
    group: str
    respondents: int
    roster: int  # residents on the roster in this group (0 when unknown)
    counts: dict[str, int]  # option label → respondents choosing it (ranking: ranked first)


@dataclass(frozen=True)
class QuestionResult:
    question_id: int
    text: str
    kind: PollKind
    respondents: int
    options: list[OptionResult]
    groups: list[GroupResult] = field(default_factory=list)


@dataclass(frozen=True)
class PollResults:
    poll_id: int
    title: str
    open: bool
    hidden: bool  # results withheld until the poll closes (nothing else is filled in)
    respondents: int
    by_channel: dict[str, int]
    questions: list[QuestionResult]
    breakdown: str = ""  # "building" / "grid" / "age_band" / ""


def _group_key(by: str, r: Resident | None, a: Area | None) -> str:
    if r is None:
        return "未登记"
    if by == "building":
        return a.name if a else "未登记"
    if by == "grid":
        return (a.grid if a else "") or "未登记"
    return r.age_band or "未登记"


def poll_results(session: Session, *, poll_id: int, staff: bool = False, by: str = "") -> PollResults:
    """Counts and shares per option (ranking: Borda points and first choices), optionally by
    building, grid or age band against the roster. Hidden from non-staff until the poll closes
    when staff chose so."""
    poll, c = _poll(session, poll_id)
    if not staff and not is_public(c):
        raise NotFound("找不到这份问卷。")
    if by and by not in BREAKDOWNS:
        raise InvalidInput("只能按楼栋、网格或年龄段分组查看。")
    is_open = poll_is_open(poll, c)
    if poll.hide_results_until_close and is_open and not staff:
        return PollResults(poll.id, poll.title, True, True, 0, {}, [])  # type: ignore[arg-type]
    rows = session.exec(select(PollResponse, Resident, Area)
                        .join(Resident, col(Resident.id) == col(PollResponse.resident_id), isouter=True)
                        .join(Area, col(Area.id) == col(Resident.area_id), isouter=True)
                        .where(PollResponse.poll_id == poll_id)).all()
    by_channel = Counter(CHANNEL_LABELS[Channel(resp.channel)] for resp, _, _ in rows)
    roster: Counter[str] = Counter()
    if by:
        for r, a in session.exec(select(Resident, Area).join(Area, col(Area.id) == col(Resident.area_id))
                                 .where(Resident.community_id == c.community_id, col(Resident.active).is_(True))):
            roster[_group_key(by, r, a)] += 1
    out = []
    for q in questions_of(session, poll_id):
        labels = list(q.options) + ([OTHER_LABEL] if q.allow_other else [])
        counts = [0] * len(labels)
        points = [0] * len(labels)
        rank_sum = [0] * len(labels)
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        group_n: Counter[str] = Counter()
        respondents = 0
        for resp, r, a in rows:
            picked = (resp.answers or {}).get(str(q.id)) or []
            if not picked:
                continue
            respondents += 1
            key = _group_key(by, r, a) if by else ""
            group_n[key] += 1
            if PollKind(q.kind) == PollKind.RANKING:
                n = len(picked)
                for rank, i in enumerate(picked):
                    points[i] += n - 1 - rank
                    rank_sum[i] += rank + 1
                counts[picked[0]] += 1
                groups[key][labels[picked[0]]] += 1
            else:
                for i in picked:
                    counts[i] += 1
                    groups[key][labels[i]] += 1
        ranking = PollKind(q.kind) == PollKind.RANKING
        options = [OptionResult(label, counts[i], counts[i] / respondents if respondents else 0.0,
                                points[i] if ranking else 0,
                                (rank_sum[i] / respondents) if ranking and respondents else None)
                   for i, label in enumerate(labels)]
        if ranking:
            options.sort(key=lambda o: -o.points)
        group_rows = [GroupResult(g, group_n[g], roster.get(g, 0), dict(groups[g]))
                      for g in sorted(group_n, key=lambda g: (g == "未登记", g))] if by else []
        out.append(QuestionResult(q.id, q.text, PollKind(q.kind), respondents, options, group_rows))  # type: ignore[arg-type]
    return PollResults(poll.id, poll.title, is_open, False, len(rows), dict(by_channel), out, by)  # type: ignore[arg-type]


