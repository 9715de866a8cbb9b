"""What the committee reads on the 主题研判 page: themes with counts, details, word clouds."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from portal.models import (
    AnalysisRun,
    Consultation,
    Opinion,
    Response,
    StatusUpdate,
    Theme,
    ThemeAssignment,
)
from portal.services import tenancy
from portal.services.actors import Actor, require
from portal.services.errors import InvalidInput, NotFound
from portal.services.queries import opinion_is_visible, visible_opinions_of, vote_counts
from portal.services.review.runs import latest_run
from portal.settings import get_settings

# ---------------------------------------------------------------- reading


@dataclass
class ThemeRow:
    theme: Theme
    response: Response | None
    n_updates: int

    @property
    def answered(self) -> bool:
        return self.response is not None


@dataclass
class OpinionLine:
    opinion: Opinion
    theme_id: int | None
    source: str  # "model" | "committee" | ""
    agree: int
    disagree: int
    duplicate_of_id: int | None


@dataclass
class DuplicateGroup:
    opinion_ids: list[int]
    first_text: str
    n_residents: int

    @property
    def caption(self) -> str:
        return f"{len(self.opinion_ids)} 条意见，1 条不重复（{self.n_residents} 位居民）"


@dataclass
class OpinionGroupView:
    number: int
    size: int
    # Statements this group agrees with significantly more than the others: (text, agree share).
    representative: list[tuple[str, float]]
    # Statements it rejects significantly more than the others: (text, disagree share).
    opposed: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class ReviewOverview:
    consultation: Consultation
    run: AnalysisRun | None
    themes: list[ThemeRow]
    n_opinions: int  # visible opinions
    n_distinct: int  # visible opinions that are not near-duplicates of another
    n_unassigned: int  # visible opinions without a theme (new since the last run)
    representatives: dict[int, list[str]] = field(default_factory=dict)  # theme id -> texts
    duplicate_groups: list[DuplicateGroup] = field(default_factory=list)
    opinion_groups: list[OpinionGroupView] = field(default_factory=list)
    consensus: list[str] = field(default_factory=list)
    divisive: list[str] = field(default_factory=list)
    group_points: list[dict[str, Any]] = field(default_factory=list)  # x, y, 分组 per voter
    group_note: str = ""  # how clear the grouping is, or why there is none (plain Chinese)

    @property
    def duplicates_caption(self) -> str:
        return f"{self.n_opinions} 条意见，{self.n_distinct} 条不重复"


@dataclass
class ThemeDetail:
    theme: Theme
    opinions: list[OpinionLine]
    response: Response | None
    updates: list[StatusUpdate]
    merged_from: list[Theme]


def _consultation(session: Session, consultation_id: int, *, actor: Actor, write: bool = True) -> Consultation:
    """The consultation, once ``actor`` may reach its community (tenancy, decision 0025)."""
    return tenancy.consultation_for(session, actor, consultation_id, write=write)


def _active_themes(session: Session, consultation_id: int) -> list[Theme]:
    return list(session.exec(
        select(Theme).where(Theme.consultation_id == consultation_id, col(Theme.active).is_(True))
        .order_by(col(Theme.is_other), col(Theme.priority).desc(), col(Theme.hot_score).desc(),
                  col(Theme.position), col(Theme.id))
    ))


def theme_overview(session: Session, *, actor: Actor, consultation_id: int) -> ReviewOverview:
    """Themes with their figures and answers, duplicate groups and opinion groups of the latest run."""
    require(actor, "view_committee")
    c = _consultation(session, consultation_id, actor=actor, write=False)
    themes = _active_themes(session, consultation_id)
    theme_ids = [t.id for t in themes]
    responses = {r.theme_id: r for r in session.exec(select(Response).where(col(Response.theme_id).in_(theme_ids)))}
    n_updates = Counter(session.exec(
        select(StatusUpdate.theme_id).where(col(StatusUpdate.theme_id).in_(theme_ids))).all())
    opinions = {o.id: o for o in session.exec(
        select(Opinion).where(visible_opinions_of(consultation_id)))}
    assigned = set(session.exec(
        select(ThemeAssignment.opinion_id).where(col(ThemeAssignment.opinion_id).in_(list(opinions)),
                                                 col(ThemeAssignment.theme_id).in_(theme_ids))).all())
    run = latest_run(session, consultation_id)
    overview = ReviewOverview(
        consultation=c, run=run,
        themes=[ThemeRow(t, responses.get(t.id or 0), n_updates.get(t.id or 0, 0)) for t in themes],
        n_opinions=len(opinions),
        n_distinct=sum(1 for o in opinions.values() if o.duplicate_of_id is None),
        n_unassigned=len(set(opinions) - assigned),
    )
    for t in themes:
        overview.representatives[t.id or 0] = [opinions[i].text_public for i in t.representative_ids if i in opinions]
    if run is None:
        return overview

    def text(oid: int) -> str | None:
        o = opinions.get(oid)
        return o.text_public if o is not None else None

    for group in run.summary.get("duplicate_groups", []):
        visible = [oid for oid in group if oid in opinions]
        if len(visible) < 2:
            continue
        authors = {opinions[o].resident_id for o in visible if opinions[o].resident_id is not None}
        overview.duplicate_groups.append(DuplicateGroup(visible, opinions[visible[0]].text_public, len(authors)))
    for g in run.summary.get("groups", []):
        # Runs before the significance tests carry no direction: they listed agreement only.
        reps = [(txt, float(r.get("agree_share", 0.0))) for r in g.get("representative", [])
                if r.get("direction", "agree") == "agree" and (txt := text(int(r["opinion_id"]))) is not None]
        opposed = [(txt, float(r.get("share", 0.0))) for r in g.get("representative", [])
                   if r.get("direction") == "disagree" and (txt := text(int(r["opinion_id"]))) is not None]
        overview.opinion_groups.append(
            OpinionGroupView(int(g.get("id", 0)) + 1, int(g.get("size", 0)), reps, opposed))
    overview.group_note = str(run.summary.get("group_note") or "")
    overview.group_points = [
        {"x": p["x"], "y": p["y"], "分组": f"第 {int(p['group']) + 1} 组"}
        for p in run.summary.get("points", [])
        if int(p.get("group", -1)) >= 0 and p.get("x") == p.get("x") and p.get("y") == p.get("y")  # not NaN
    ]
    overview.consensus = [txt for oid in run.summary.get("consensus", []) if (txt := text(int(oid))) is not None]
    overview.divisive = [txt for oid in run.summary.get("divisive", []) if (txt := text(int(oid))) is not None]
    return overview


def _theme(session: Session, theme_id: int, *, active: bool = True, actor: Actor | None = None,
           write: bool = True, public: bool = False) -> Theme:
    """The theme; unless ``public`` (reads of published text), once ``actor`` may reach it."""
    theme = session.get(Theme, theme_id)
    if theme is None or (active and not theme.active):
        raise NotFound("找不到这个主题，它可能已被合并或在重新分析后撤下。")
    if not public:
        tenancy.consultation_for(session, actor, theme.consultation_id, write=write)
    return theme


def theme_detail(session: Session, *, actor: Actor, theme_id: int) -> ThemeDetail:
    """A theme with every one of its opinions (the committee sees the original text too)."""
    require(actor, "view_committee")
    theme = _theme(session, theme_id, active=False, actor=actor, write=False)
    rows = session.exec(
        select(Opinion, ThemeAssignment)
        .join(ThemeAssignment, col(ThemeAssignment.opinion_id) == col(Opinion.id))
        .where(ThemeAssignment.theme_id == theme_id)
        .order_by(col(Opinion.received_at))
    ).all()
    ids = [o.id for o, _ in rows]
    tally = vote_counts(session, ids)
    lines = [
        OpinionLine(o, a.theme_id, str(a.source), tally[o.id or 0].agree, tally[o.id or 0].disagree, o.duplicate_of_id)
        for o, a in rows
    ]
    response = session.exec(select(Response).where(Response.theme_id == theme_id)).first()
    updates = list(session.exec(select(StatusUpdate).where(StatusUpdate.theme_id == theme_id)
                                .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))))
    merged_from = list(session.exec(select(Theme).where(Theme.merged_into_id == theme_id)))
    return ThemeDetail(theme, lines, response, updates, merged_from)


def theme_cloud_png(session: Session, *, theme_id: int) -> bytes:
    """A word cloud of the theme's words as PNG bytes, cached on disk by content.

    Frequencies are the theme's tokens over its visible opinions (so a merge or a move changes
    the cloud); the cache key is a hash of those frequencies. Stored under ``var_dir/clouds``.
    """
    from analysis import word_cloud
    from portal.services.text import tokenizer

    theme = _theme(session, theme_id, active=False, public=True)  # public words of public opinions
    texts = session.exec(
        select(Opinion.text_public)
        .join(ThemeAssignment, col(ThemeAssignment.opinion_id) == col(Opinion.id))
        .where(ThemeAssignment.theme_id == theme_id, opinion_is_visible())
    ).all()
    counts: Counter[str] = Counter()
    for tokens in tokenizer().tokenize_many(list(texts)):
        counts.update(t for t in tokens if len(t) > 1)
    for rank, word in enumerate(theme.keywords):  # the model's keywords always show
        counts[word] += max(1, len(theme.keywords) - rank)
    if not counts:
        raise InvalidInput("这个主题还没有可以做词云的词语。")
    freqs = dict(counts.most_common(80))
    key = hashlib.sha1(json.dumps(sorted(freqs.items()), ensure_ascii=False).encode()).hexdigest()[:16]
    s = get_settings()
    cache_dir = s.var_dir / "clouds"
    path = cache_dir / f"theme-{theme_id}-{key}.png"
    if path.exists():
        return path.read_bytes()
    image = word_cloud(freqs, font_path=s.font_path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    image.save(tmp, format="PNG")
    tmp.replace(path)
    return path.read_bytes()


