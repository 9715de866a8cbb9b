"""What the public sees once a consultation's results are published.

Pure read functions over stored rows: the analysis run's themes, keywords, representative
opinions and opinion groups, the committee's answers and their timelines, and participation
against the roster. Nothing is recomputed here (no tokenising, no clustering), so a page can
cache the result keyed on :func:`results_version`.

Only consultations whose phase makes results public are served; only visible opinions, always
as ``text_public``; never a resident id.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlmodel import Session, col, func, select

from portal.models import (
    AnalysisRun,
    Area,
    Channel,
    Community,
    Consultation,
    ConsultationArea,
    Decision,
    Opinion,
    Resident,
    Response,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    ThemeStatus,
)
from portal.services import participants
from portal.services.consultations import (
    RESULT_PHASES,
    get_consultation,
    participation_counts,
    phases,
    results_public,
)
from portal.services.errors import PhaseClosed
from portal.services.identity.age_bands import age_band_order, reporting_age_band
from portal.services.queries import opinion_is_visible, visible_opinions_of, vote_counts
from portal.services.review.runs import latest_run
from portal.services.review.summaries import public_summary
from portal.timefmt import local_date, today_local

# An answered item is finished (never overdue) once it is done or handed to another body.
FINISHED = (ThemeStatus.DONE, ThemeStatus.REFERRED)
NO_AGE_BAND = "未登记"


# ---------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class PublicOpinion:
    """One opinion as the public may see it: redacted text, channel, date and vote counts."""

    id: int
    text: str
    channel: str
    received_on: date
    agree: int = 0
    disagree: int = 0
    passes: int = 0

    @property
    def n_votes(self) -> int:
        return self.agree + self.disagree + self.passes

    @property
    def agree_share(self) -> float:
        decided = self.agree + self.disagree
        return self.agree / decided if decided else 0.0


@dataclass(frozen=True)
class StatusEntry:
    on: date
    status: str  # Chinese label
    note: str


@dataclass(frozen=True)
class Answer:
    decision: str  # Chinese label
    decision_code: str
    reasoning: str
    responsible_party: str
    due_date: date | None
    answered_on: date
    overdue: bool


@dataclass(frozen=True)
class ThemeResult:
    id: int
    rank: int
    label: str
    summary: str
    keywords: list[str]
    size: int
    n_distinct: int
    n_residents: int
    support: int
    opposition: int
    hot_score: float
    status: str  # Chinese label of the current status
    status_code: str
    is_other: bool
    representatives: list[PublicOpinion]
    answer: Answer | None
    timeline: list[StatusEntry]


@dataclass(frozen=True)
class OpinionGroup:
    id: int
    name: str
    size: int
    representative: list[tuple[PublicOpinion, float]]  # opinion, share of the group agreeing
    # Statements this group rejects significantly more than the others: opinion, share disagreeing.
    opposed: list[tuple[PublicOpinion, float]] = field(default_factory=list)


@dataclass(frozen=True)
class ConsultationResults:
    consultation_id: int
    community: str
    title: str
    question: str
    background: str
    phase: str
    opens_at: datetime | None
    closes_at: datetime | None
    published_at: datetime | None
    n_opinions: int
    n_participants: int
    n_votes: int
    n_authors: int
    channels: pd.DataFrame  # 渠道, 意见数
    areas: pd.DataFrame  # 网格, 楼栋, 参与人数, 名册人数, 参与率
    age_bands: pd.DataFrame  # 年龄段, 参与人数, 名册人数, 参与率
    timeline: pd.DataFrame  # 日期, 意见数, 累计意见数
    themes: list[ThemeResult]
    consensus: list[PublicOpinion]
    divisive: list[PublicOpinion]
    groups: list[OpinionGroup]
    group_points: pd.DataFrame  # x, y, 分组 (no resident ids)
    run_id: int | None
    analysed_at: datetime | None
    roster_size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    group_note: str = ""  # how clear the grouping is, or why there is none (plain Chinese)
    # Vega-Lite specs of the page's charts (charts.results_chart_specs), built once when the
    # snapshot is stored; None from load_results and in snapshots stored before they were.
    charts: dict[str, dict[str, Any]] | None = None

    @property
    def theme_frame(self) -> pd.DataFrame:
        """One row per theme, in rank order, for charts and tables."""
        return pd.DataFrame(
            [{"排名": t.rank, "主题": t.label, "意见数": t.size, "居民数": t.n_residents,
              "同意": t.support, "不同意": t.opposition,
              "支持率": round(t.support / (t.support + t.opposition), 3) if t.support + t.opposition else 0.0,
              "热度": round(t.hot_score, 2), "回应": t.answer.decision if t.answer else "待回应",
              "状态": t.status} for t in self.themes],
            columns=["排名", "主题", "意见数", "居民数", "同意", "不同意", "支持率", "热度", "回应", "状态"],
        )


# ---------------------------------------------------------------- access


def published_consultation(session: Session, consultation_id: int) -> Consultation:
    """The consultation if its results are public; NotFound / PhaseClosed otherwise."""
    c = get_consultation(session, consultation_id)
    if not results_public(c):
        raise PhaseClosed(f"“{c.title}”目前处于{phases.phase_label(c)}阶段，结果还没有公示。")
    return c


def list_published(session: Session, community_id: int | None = None) -> list[Consultation]:
    """Consultations with public results (of one community when given), most recently
    published first."""
    query = select(Consultation).where(phases.phase_clause(RESULT_PHASES))
    if community_id is not None:
        query = query.where(Consultation.community_id == community_id)
    return list(session.exec(
        query.order_by(col(Consultation.published_at).desc(), col(Consultation.id).desc())
    ))


def results_version(session: Session, consultation_id: int) -> str:
    """A fingerprint that changes whenever anything shown on the results page may have changed.

    Cheap (a handful of indexed aggregates) so pages can key their cache on it: the latest
    analysis run, the consultation row, its themes (every committee edit bumps ``updated_at``),
    answers, status updates, the set of visible opinions (count and sum of ids: hiding or
    restoring one changes it) and today's date (overdue flags depend on it). Actions elsewhere
    in the portal (sign-ins, votes on other consultations) leave it alone, so the cache holds.
    """
    c = session.get(Consultation, consultation_id)
    if c is None:
        return "missing"
    run = latest_run(session, consultation_id)
    theme_ids = select(Theme.id).where(Theme.consultation_id == consultation_id)
    t_max = session.exec(select(func.max(Theme.updated_at), func.count())
                         .where(Theme.consultation_id == consultation_id)).one()
    r_max = session.exec(select(func.max(Response.updated_at), func.count())
                         .where(col(Response.theme_id).in_(theme_ids))).one()
    s_max = session.exec(select(func.max(StatusUpdate.id))
                         .where(col(StatusUpdate.theme_id).in_(theme_ids))).one()
    visible = session.exec(select(func.count(), func.sum(Opinion.id))
                           .where(visible_opinions_of(consultation_id))).one()
    parts = [today_local(), c.phase, c.updated_at, c.published_at, run.id if run else None,
             *t_max, *r_max, s_max, *visible]
    return "|".join(str(p) for p in parts)


# ---------------------------------------------------------------- the results page


def public_opinions(session: Session, consultation_id: int, ids: list[int]) -> dict[int, PublicOpinion]:
    """Visible opinions of this consultation among ``ids``, with their vote counts."""
    ids = list(dict.fromkeys(i for i in ids if isinstance(i, int)))
    if not ids:
        return {}
    rows: list[tuple[int, str, str, datetime]] = session.exec(  # type: ignore[assignment]
        select(Opinion.id, Opinion.text_public, Opinion.channel, Opinion.received_at)
        .where(col(Opinion.id).in_(ids), visible_opinions_of(consultation_id))
    ).all()
    tallies = vote_counts(session, [r[0] for r in rows])
    return {
        oid: PublicOpinion(id=oid, text=text, channel=Channel(channel).label, received_on=local_date(at),
                           agree=tallies[oid].agree, disagree=tallies[oid].disagree,
                           passes=tallies[oid].passes)
        for oid, text, channel, at in rows
    }


def _participation_frames(session: Session, c: Consultation) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    people = participants.resident_ids(c.id)  # type: ignore[arg-type]
    concerned = set(session.exec(select(ConsultationArea.area_id)
                                 .where(ConsultationArea.consultation_id == c.id)).all())
    areas = [a for a in session.exec(select(Area).where(Area.community_id == c.community_id)
                                     .order_by(col(Area.position), col(Area.id)))
             if not concerned or a.id in concerned]
    area_ids = [a.id for a in areas]
    roster_rows = session.exec(
        select(Resident.area_id, Resident.age_band, func.count())
        .where(Resident.community_id == c.community_id, col(Resident.active).is_(True),
               col(Resident.area_id).in_(area_ids))
        .group_by(col(Resident.area_id), col(Resident.age_band))
    ).all()
    part_rows = session.exec(
        select(Resident.area_id, Resident.age_band, func.count())
        .join(people, people.c.rid == col(Resident.id))
        .where(col(Resident.area_id).in_(area_ids))
        .group_by(col(Resident.area_id), col(Resident.age_band))
    ).all()
    roster_area: dict[int, int] = defaultdict(int)
    roster_band: dict[str, int] = defaultdict(int)
    for area_id, band, n in roster_rows:
        roster_area[area_id] += n
        roster_band[reporting_age_band(band or "") or NO_AGE_BAND] += n
    part_area: dict[int, int] = defaultdict(int)
    part_band: dict[str, int] = defaultdict(int)
    for area_id, band, n in part_rows:
        part_area[area_id] += n
        part_band[reporting_age_band(band or "") or NO_AGE_BAND] += n

    def rate(p: int, r: int) -> float:
        return round(p / r, 4) if r else 0.0

    area_df = pd.DataFrame(
        [{"网格": a.grid, "楼栋": a.name, "参与人数": part_area[a.id or 0], "名册人数": roster_area[a.id or 0],
          "参与率": rate(part_area[a.id or 0], roster_area[a.id or 0])} for a in areas],
        columns=["网格", "楼栋", "参与人数", "名册人数", "参与率"],
    )
    bands = sorted(set(roster_band) | set(part_band), key=age_band_order)
    band_df = pd.DataFrame(
        [{"年龄段": b, "参与人数": part_band[b], "名册人数": roster_band[b],
          "参与率": rate(part_band[b], roster_band[b])} for b in bands],
        columns=["年龄段", "参与人数", "名册人数", "参与率"],
    )
    return area_df, band_df, sum(roster_area.values())


def _timeline(session: Session, consultation_id: int) -> pd.DataFrame:
    times = session.exec(select(Opinion.received_at).where(
        visible_opinions_of(consultation_id))).all()
    if not times:
        return pd.DataFrame(columns=["日期", "意见数", "累计意见数"])
    days = pd.Series([local_date(t) for t in times]).value_counts().sort_index()
    full = pd.date_range(days.index.min(), days.index.max(), freq="D").date
    days = days.reindex(full, fill_value=0)
    return pd.DataFrame({"日期": pd.to_datetime(list(days.index)), "意见数": days.to_numpy(),
                         "累计意见数": days.cumsum().to_numpy()})


def _channels(session: Session, consultation_id: int) -> pd.DataFrame:
    rows = dict(session.exec(
        select(Opinion.channel, func.count())
        .where(visible_opinions_of(consultation_id))
        .group_by(Opinion.channel)
    ).all())
    return pd.DataFrame([{"渠道": ch.label, "意见数": rows.get(ch.value, 0)} for ch in Channel
                         if rows.get(ch.value, 0)], columns=["渠道", "意见数"])


def public_themes(session: Session, consultation_id: int) -> list[Theme]:
    """Active themes (not merged away) that hold opinions or an answer, by hot score; 其他 last."""
    themes = list(session.exec(
        select(Theme).where(Theme.consultation_id == consultation_id, col(Theme.active).is_(True),
                            col(Theme.merged_into_id).is_(None))
    ))
    answered = set(session.exec(select(Response.theme_id).where(
        col(Response.theme_id).in_([t.id for t in themes]))).all())
    shown = [t for t in themes if t.size > 0 or t.id in answered]
    return sorted(shown, key=lambda t: (t.is_other, -t.hot_score, -t.size, t.position, t.id or 0))


def is_overdue(due: date | None, status: str, today: date) -> bool:
    return due is not None and due < today and ThemeStatus(status) not in FINISHED


def _answers(session: Session, theme_ids: list[int], today: date,
             status_of: dict[int, str]) -> tuple[dict[int, Answer], dict[int, list[StatusEntry]]]:
    answers = {
        r.theme_id: Answer(decision=Decision(r.decision).label, decision_code=str(r.decision),
                           reasoning=r.reasoning, responsible_party=r.responsible_party,
                           due_date=r.due_date, answered_on=local_date(r.created_at),
                           overdue=is_overdue(r.due_date, status_of[r.theme_id], today))
        for r in session.exec(select(Response).where(col(Response.theme_id).in_(theme_ids)))
    }
    timelines: dict[int, list[StatusEntry]] = defaultdict(list)
    for u in session.exec(select(StatusUpdate).where(col(StatusUpdate.theme_id).in_(theme_ids))
                          .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))):
        timelines[u.theme_id].append(StatusEntry(local_date(u.created_at), ThemeStatus(u.status).label, u.note))
    return answers, timelines


def themes_with_answers(session: Session, themes: list[Theme], *, today: date,
                        representatives: dict[int, list[PublicOpinion]] | None = None) -> list[ThemeResult]:
    """``themes`` ranked as given, each with its figures, reviewed summary, the committee's answer
    and its timeline; opinions only as given in ``representatives`` (theme id -> public texts)."""
    theme_ids = [t.id for t in themes if t.id is not None]
    answers, timelines = _answers(session, theme_ids, today, {t.id: t.status for t in themes})  # type: ignore[misc]
    return [ThemeResult(
        id=t.id, rank=rank, label=t.label, summary=public_summary(t), keywords=list(t.keywords or []),  # type: ignore[arg-type]
        size=t.size, n_distinct=t.n_distinct, n_residents=t.n_residents, support=t.support,
        opposition=t.opposition, hot_score=float(t.hot_score), status=ThemeStatus(t.status).label,
        status_code=str(t.status), is_other=t.is_other,
        representatives=(representatives or {}).get(t.id, []),  # type: ignore[arg-type]
        answer=answers.get(t.id), timeline=timelines.get(t.id, []),  # type: ignore[arg-type]
    ) for rank, t in enumerate(themes, start=1)]


def load_results(session: Session, consultation_id: int, *, today: date | None = None,
                 n_representatives: int = 3) -> ConsultationResults:
    """Everything the results page shows for one published consultation."""
    c = published_consultation(session, consultation_id)
    today = today or today_local()
    community = session.get(Community, c.community_id)
    n_opinions, n_participants, n_votes = participation_counts(session, [consultation_id])[consultation_id]
    n_authors = session.exec(
        select(func.count(func.distinct(Opinion.resident_id)))
        .where(visible_opinions_of(consultation_id))
    ).one()
    areas, bands, roster = _participation_frames(session, c)
    run: AnalysisRun | None = latest_run(session, consultation_id)
    summary = run.summary if run else {}

    themes = public_themes(session, consultation_id)
    group_specs = summary.get("groups") or []
    wanted = [i for t in themes for i in t.representative_ids]
    wanted += list(summary.get("consensus") or []) + list(summary.get("divisive") or [])
    wanted += [r.get("opinion_id") for g in group_specs for r in g.get("representative", [])]
    ops = public_opinions(session, consultation_id, wanted)
    # Representatives must still belong to the theme (a committee move may have changed it).
    assigned = dict(session.exec(select(ThemeAssignment.opinion_id, ThemeAssignment.theme_id)
                                 .where(col(ThemeAssignment.opinion_id).in_(list(ops)))).all())

    representatives: dict[int, list[PublicOpinion]] = {}
    for t in themes:
        reps = [ops[i] for i in t.representative_ids if i in ops and assigned.get(i) == t.id]
        if len(reps) < n_representatives and t.size:
            reps += _stand_ins(session, consultation_id, t.id, {o.id for o in reps},  # type: ignore[arg-type]
                               n_representatives - len(reps))
        representatives[t.id] = reps[:n_representatives]  # type: ignore[index]
    theme_results = themes_with_answers(session, themes, today=today, representatives=representatives)

    groups: list[OpinionGroup] = []
    for g in group_specs:
        reps_g = [(ops[r["opinion_id"]], float(r.get("agree_share", 0.0)))
                  for r in g.get("representative", [])
                  if r.get("opinion_id") in ops and r.get("direction", "agree") == "agree"]
        opposed = [(ops[r["opinion_id"]], float(r.get("share", 0.0)))
                   for r in g.get("representative", [])
                   if r.get("opinion_id") in ops and r.get("direction") == "disagree"]
        gid = int(g.get("id", len(groups)))
        groups.append(OpinionGroup(id=gid, name=group_name(gid), size=int(g.get("size", 0)),
                                   representative=reps_g, opposed=opposed))
    points = pd.DataFrame(
        [{"x": float(p["x"]), "y": float(p["y"]), "分组": group_name(int(p["group"]))}
         for p in summary.get("points") or [] if p.get("group") is not None and int(p["group"]) >= 0],
        columns=["x", "y", "分组"],
    )
    return ConsultationResults(
        consultation_id=consultation_id, community=community.name if community else "",
        title=c.title, question=c.question, background=c.background, phase=phases.phase_label(c),
        opens_at=c.opens_at, closes_at=c.closes_at, published_at=c.published_at,
        n_opinions=n_opinions, n_participants=n_participants, n_votes=n_votes, n_authors=n_authors,
        channels=_channels(session, consultation_id), areas=areas, age_bands=bands,
        timeline=_timeline(session, consultation_id), themes=theme_results,
        consensus=[ops[i] for i in summary.get("consensus") or [] if i in ops],
        divisive=[ops[i] for i in summary.get("divisive") or [] if i in ops],
        groups=groups, group_points=points, run_id=run.id if run else None,
        analysed_at=run.finished_at if run else None, roster_size=roster,
        group_note=str(summary.get("group_note") or ""),
    )


def _stand_ins(session: Session, consultation_id: int, theme_id: int, have: set[int], n: int) -> list[PublicOpinion]:
    """Most-agreed visible opinions of a theme, when its stored representatives were hidden or moved."""
    candidates = session.exec(
        select(Opinion.id)
        .join(ThemeAssignment, col(ThemeAssignment.opinion_id) == col(Opinion.id))
        .where(ThemeAssignment.theme_id == theme_id, opinion_is_visible(),
               col(Opinion.duplicate_of_id).is_(None))
        .order_by(col(Opinion.id)).limit(60)
    ).all()
    pool = public_opinions(session, consultation_id, [i for i in candidates if i is not None and i not in have])
    return sorted(pool.values(), key=lambda o: (-o.agree, o.disagree, o.id))[:n]


def group_name(group_id: int) -> str:
    return f"第{'一二三四五六七八九十'[group_id] if 0 <= group_id < 10 else group_id + 1}组"


# ---------------------------------------------------------------- word clouds


def word_frequencies(session: Session, consultation_id: int, theme_id: int | None = None) -> dict[str, int]:
    """How many visible opinions mention each stored theme keyword (no tokenising at view time).

    The words are the analysis run's keywords of all public themes; for one theme only its
    opinions are counted, so the cloud shows what that theme's residents wrote about.
    """
    published_consultation(session, consultation_id)
    themes = public_themes(session, consultation_id)
    words = list(dict.fromkeys(w for t in themes for w in (t.keywords or []) if w and w.strip()))
    stmt = select(Opinion.text_public).where(visible_opinions_of(consultation_id))
    if theme_id is not None:
        stmt = stmt.join(ThemeAssignment, col(ThemeAssignment.opinion_id) == col(Opinion.id)).where(
            ThemeAssignment.theme_id == theme_id)
    texts = session.exec(stmt).all()
    counts = {w: sum(1 for text in texts if w in text) for w in words}
    return {w: n for w, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n > 0}


def word_cloud_png(frequencies: dict[str, int], *, font_path: Path, width: int = 800, height: int = 420) -> bytes:
    """A PNG word cloud drawn with the bundled Chinese font (``analysis.word_cloud``)."""
    from analysis import word_cloud

    image = word_cloud(frequencies, font_path=font_path, width=width, height=height)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


