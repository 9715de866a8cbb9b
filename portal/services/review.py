"""Theme review and answers: what the committee does between the analysis and the public results.

Curation rule (shared with ``analysis_runs``): any committee edit to a theme — rename, merge,
split, move an opinion, mark priority — marks it ``curated`` and makes every assignment to it a
committee assignment (``AssignmentSource.COMMITTEE``). A re-run of the analysis keeps curated
themes and committee assignments and only re-themes the rest, so a reviewer's work is never
undone by new opinions arriving. Curated labels are how a re-run recognises a theme, so labels
are unique among a consultation's active themes.

Every change records an audit event and recomputes theme statistics in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from portal.models import (
    AnalysisRun,
    AssignmentSource,
    Consultation,
    Decision,
    Opinion,
    Phase,
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
from portal.services import audit
from portal.services.actors import Actor, require
from portal.services.analysis_runs import latest_run, refresh_theme_stats
from portal.services.errors import InvalidInput, NotFound, PhaseClosed

LABEL_MIN, LABEL_MAX = 2, 30
CURATION_PHASES = (Phase.COLLECTING, Phase.REVIEWING)
ANSWER_PHASES = (Phase.REVIEWING, Phase.PUBLISHED)
UPDATE_PHASES = (Phase.REVIEWING, Phase.PUBLISHED, Phase.CLOSED)
# Statuses a committee may post on the timeline (待回应 is only the starting state).
TIMELINE_STATUSES = (ThemeStatus.IN_PROGRESS, ThemeStatus.DONE, ThemeStatus.REFERRED, ThemeStatus.ANSWERED)


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
    representative: list[tuple[str, float]]  # (opinion text, agree share)


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


def _consultation(session: Session, consultation_id: int) -> Consultation:
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    return c


def _active_themes(session: Session, consultation_id: int) -> list[Theme]:
    return list(session.exec(
        select(Theme).where(Theme.consultation_id == consultation_id, col(Theme.active).is_(True))
        .order_by(col(Theme.is_other), col(Theme.priority).desc(), col(Theme.hot_score).desc(),
                  col(Theme.position), col(Theme.id))
    ))


def theme_overview(session: Session, *, actor: Actor, consultation_id: int) -> ReviewOverview:
    """Themes with their figures and answers, duplicate groups and opinion groups of the latest run."""
    require(actor, "view_committee")
    c = _consultation(session, consultation_id)
    themes = _active_themes(session, consultation_id)
    theme_ids = [t.id for t in themes]
    responses = {r.theme_id: r for r in session.exec(select(Response).where(col(Response.theme_id).in_(theme_ids)))}
    n_updates = Counter(session.exec(
        select(StatusUpdate.theme_id).where(col(StatusUpdate.theme_id).in_(theme_ids))).all())
    opinions = {o.id: o for o in session.exec(
        select(Opinion).where(Opinion.consultation_id == consultation_id, Opinion.visibility == Visibility.VISIBLE))}
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
        reps = [(txt, float(r.get("agree_share", 0.0))) for r in g.get("representative", [])
                if (txt := text(int(r["opinion_id"]))) is not None]
        overview.opinion_groups.append(OpinionGroupView(int(g.get("id", 0)) + 1, int(g.get("size", 0)), reps))
    overview.group_points = [
        {"x": p["x"], "y": p["y"], "分组": f"第 {int(p['group']) + 1} 组"}
        for p in run.summary.get("points", [])
        if int(p.get("group", -1)) >= 0 and p.get("x") == p.get("x") and p.get("y") == p.get("y")  # not NaN
    ]
    overview.consensus = [txt for oid in run.summary.get("consensus", []) if (txt := text(int(oid))) is not None]
    overview.divisive = [txt for oid in run.summary.get("divisive", []) if (txt := text(int(oid))) is not None]
    return overview


def _theme(session: Session, theme_id: int, *, active: bool = True) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None or (active and not theme.active):
        raise NotFound("找不到这个主题，它可能已被合并或在重新分析后撤下。")
    return theme


def theme_detail(session: Session, *, actor: Actor, theme_id: int) -> ThemeDetail:
    """A theme with every one of its opinions (the committee sees the original text too)."""
    require(actor, "view_committee")
    theme = _theme(session, theme_id, active=False)
    rows = session.exec(
        select(Opinion, ThemeAssignment)
        .join(ThemeAssignment, col(ThemeAssignment.opinion_id) == col(Opinion.id))
        .where(ThemeAssignment.theme_id == theme_id)
        .order_by(col(Opinion.received_at))
    ).all()
    ids = [o.id for o, _ in rows]
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for oid, value in session.exec(select(Vote.opinion_id, Vote.value).where(col(Vote.opinion_id).in_(ids))).all():
        if value == VoteValue.AGREE:
            tally[oid][0] += 1
        elif value == VoteValue.DISAGREE:
            tally[oid][1] += 1
    lines = [
        OpinionLine(o, a.theme_id, str(a.source), tally[o.id or 0][0], tally[o.id or 0][1], o.duplicate_of_id)
        for o, a in rows
    ]
    response = session.exec(select(Response).where(Response.theme_id == theme_id)).first()
    updates = list(session.exec(select(StatusUpdate).where(StatusUpdate.theme_id == theme_id)
                                .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))))
    merged_from = list(session.exec(select(Theme).where(Theme.merged_into_id == theme_id)))
    return ThemeDetail(theme, lines, response, updates, merged_from)


def theme_cloud_png(session: Session, *, theme_id: int, cache_dir: Path, font_path: Path) -> bytes:
    """A word cloud of the theme's words as PNG bytes, cached on disk by content.

    Frequencies are the theme's tokens over its visible opinions (so a merge or a move changes
    the cloud); the cache key is a hash of those frequencies.
    """
    from analysis import word_cloud
    from portal.services.text import tokenizer

    theme = _theme(session, theme_id, active=False)
    texts = session.exec(
        select(Opinion.text_public)
        .join(ThemeAssignment, col(ThemeAssignment.opinion_id) == col(Opinion.id))
        .where(ThemeAssignment.theme_id == theme_id, Opinion.visibility == Visibility.VISIBLE)
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
    path = cache_dir / f"theme-{theme_id}-{key}.png"
    if path.exists():
        return path.read_bytes()
    image = word_cloud(freqs, font_path=font_path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    image.save(tmp, format="PNG")
    tmp.replace(path)
    return path.read_bytes()


# ---------------------------------------------------------------- curation


def _editable(session: Session, actor: Actor, consultation_id: int) -> Consultation:
    require(actor, "curate_themes")
    c = _consultation(session, consultation_id)
    if c.phase not in CURATION_PHASES:
        raise PhaseClosed(f"议题处于{Phase(c.phase).label}阶段，主题已不能再调整。")
    return c


def _refuse_pii(text: str, what: str) -> None:
    """Committee text on themes and answers is published as written: refuse personal details."""
    from analysis import find_pii

    found = list(dict.fromkeys(m.label for m in find_pii(text)))
    if found:
        raise InvalidInput(f"{what}会公开给所有人，其中含有{'、'.join(found)}，请删去或改写后再保存。")


def _check_label(session: Session, consultation_id: int, label: str, *, exclude: Sequence[int] = ()) -> str:
    label = " ".join((label or "").split())
    _refuse_pii(label, "主题名称")
    if not LABEL_MIN <= len(label) <= LABEL_MAX:
        raise InvalidInput(f"主题名称请写 {LABEL_MIN} 到 {LABEL_MAX} 个字。")
    for t in _active_themes(session, consultation_id):
        if t.label == label and t.id not in exclude:
            raise InvalidInput(f"已经有一个叫“{label}”的主题了，请换一个名称，或把两个主题合并。")
    return label


def _curate(session: Session, actor: Actor, theme: Theme) -> None:
    """Mark a theme curated and make all its assignments committee ones (kept across re-runs)."""
    theme.curated = True
    theme.updated_at = utcnow()
    session.add(theme)
    for a in session.exec(select(ThemeAssignment).where(ThemeAssignment.theme_id == theme.id)):
        if a.source != AssignmentSource.COMMITTEE:
            a.source = AssignmentSource.COMMITTEE
            a.assigned_by = getattr(actor, "user_id", None)
            session.add(a)


def _finish(session: Session, actor: Actor, consultation_id: int, action: str, theme_id: Any,
            detail: dict[str, Any]) -> None:
    session.flush()
    refresh_theme_stats(session, consultation_id)
    audit.record(session, actor=actor.audit_name, action=action, target_type="theme",
                 target_id=theme_id, detail={"consultation": consultation_id, **detail})


def rename_theme(session: Session, *, actor: Actor, theme_id: int, label: str) -> Theme:
    theme = _theme(session, theme_id)
    _editable(session, actor, theme.consultation_id)
    old = theme.label
    theme.label = _check_label(session, theme.consultation_id, label, exclude=[theme_id])
    theme.is_other = False if theme.label != old else theme.is_other
    _curate(session, actor, theme)
    _finish(session, actor, theme.consultation_id, "theme.rename", theme_id, {"from": old, "to": theme.label})
    return theme


def set_priority(session: Session, *, actor: Actor, theme_id: int, priority: bool) -> Theme:
    theme = _theme(session, theme_id)
    _editable(session, actor, theme.consultation_id)
    theme.priority = priority
    _curate(session, actor, theme)
    _finish(session, actor, theme.consultation_id, "theme.priority", theme_id, {"priority": priority})
    return theme


def merge_themes(
    session: Session, *, actor: Actor, theme_ids: Sequence[int], into_id: int, label: str | None = None,
) -> Theme:
    """Merge two or more themes into ``into_id`` (one of them); the others become inactive.

    A theme that already has an answer can only be the target: its answer would otherwise be lost.
    """
    ids = list(dict.fromkeys(theme_ids))
    if into_id not in ids:
        ids.append(into_id)
    if len(ids) < 2:
        raise InvalidInput("请至少选择两个主题来合并。")
    themes = [_theme(session, i) for i in ids]
    target = next(t for t in themes if t.id == into_id)
    if any(t.consultation_id != target.consultation_id for t in themes):
        raise InvalidInput("只能合并同一个议题里的主题。")
    _editable(session, actor, target.consultation_id)
    others = [t for t in themes if t.id != into_id]
    answered = session.exec(select(Response.theme_id).where(col(Response.theme_id).in_([t.id for t in others]))).all()
    if answered:
        names = "、".join(f"“{t.label}”" for t in others if t.id in answered)
        raise InvalidInput(f"{names}已经有回应，请把它选为合并后的主题，或先删去回应再合并。")
    old_label = target.label
    if label is not None and label.strip() and label.strip() != target.label:
        target.label = _check_label(session, target.consultation_id, label, exclude=ids)
        target.is_other = False
    moved = 0
    for other in others:
        for a in session.exec(select(ThemeAssignment).where(ThemeAssignment.theme_id == other.id)):
            a.theme_id = into_id
            a.source = AssignmentSource.COMMITTEE
            a.assigned_by = getattr(actor, "user_id", None)
            session.add(a)
            moved += 1
        other.active = False
        other.merged_into_id = into_id
        other.updated_at = utcnow()
        session.add(other)
        target.keywords = list(dict.fromkeys([*target.keywords, *other.keywords]))[:12]
        target.representative_ids = list(dict.fromkeys([*target.representative_ids, *other.representative_ids]))[:5]
        target.priority = target.priority or other.priority
    _curate(session, actor, target)
    _finish(session, actor, target.consultation_id, "theme.merge", into_id,
            {"merged": [t.id for t in others], "labels": [t.label for t in others],
             "from_label": old_label, "label": target.label, "opinions_moved": moved})
    return target


def _opinions_of(session: Session, consultation_id: int, opinion_ids: Sequence[int]) -> list[Opinion]:
    ids = list(dict.fromkeys(opinion_ids))
    if not ids:
        raise InvalidInput("请至少选择一条意见。")
    rows = list(session.exec(select(Opinion).where(col(Opinion.id).in_(ids))))
    if len(rows) != len(ids) or any(o.consultation_id != consultation_id for o in rows):
        raise NotFound("所选意见中有不属于这个议题的。")
    return rows


def _assign(session: Session, actor: Actor, opinion_ids: Sequence[int], theme_id: int) -> set[int]:
    """Point the opinions at ``theme_id`` as committee assignments; returns their former themes."""
    existing = {a.opinion_id: a for a in session.exec(
        select(ThemeAssignment).where(col(ThemeAssignment.opinion_id).in_(list(opinion_ids))))}
    former: set[int] = set()
    for oid in opinion_ids:
        a = existing.get(oid)
        if a is None:
            a = ThemeAssignment(opinion_id=oid, theme_id=theme_id)
        elif a.theme_id != theme_id:
            former.add(a.theme_id)
        a.theme_id = theme_id
        a.source = AssignmentSource.COMMITTEE
        a.assigned_by = getattr(actor, "user_id", None)
        a.score = 1.0
        session.add(a)
    return former


def move_opinions(session: Session, *, actor: Actor, opinion_ids: Sequence[int], to_theme_id: int) -> Theme:
    """Move opinions (from any theme, or from none) into another theme."""
    target = _theme(session, to_theme_id)
    _editable(session, actor, target.consultation_id)
    ops = _opinions_of(session, target.consultation_id, opinion_ids)
    ids = [o.id for o in ops if o.id is not None]
    former = _assign(session, actor, ids, to_theme_id)
    session.flush()
    _curate(session, actor, target)
    for tid in former:
        source = session.get(Theme, tid)
        if source is not None and source.active:
            _curate(session, actor, source)
    _finish(session, actor, target.consultation_id, "theme.move", to_theme_id,
            {"opinions": ids, "from_themes": sorted(former), "label": target.label})
    return target


def split_theme(
    session: Session, *, actor: Actor, theme_id: int, opinion_ids: Sequence[int], label: str,
) -> Theme:
    """Create a new theme named ``label`` from some opinions of ``theme_id``."""
    source = _theme(session, theme_id)
    _editable(session, actor, source.consultation_id)
    ops = _opinions_of(session, source.consultation_id, opinion_ids)
    ids = [o.id for o in ops if o.id is not None]
    members = set(session.exec(select(ThemeAssignment.opinion_id).where(ThemeAssignment.theme_id == theme_id)).all())
    if not set(ids) <= members:
        raise InvalidInput("只能拆出本主题里的意见。")
    if set(ids) == members:
        raise InvalidInput("不能把全部意见都拆出去；如果只想换个名称，请用“重命名”。")
    clean = _check_label(session, source.consultation_id, label)
    new = Theme(consultation_id=source.consultation_id, run_id=source.run_id, label=clean, curated=True,
                position=source.position, representative_ids=ids[:3])
    session.add(new)
    session.flush()
    _assign(session, actor, ids, new.id)  # type: ignore[arg-type]
    source.representative_ids = [i for i in source.representative_ids if i not in ids]
    session.flush()
    _curate(session, actor, source)
    _curate(session, actor, new)
    _finish(session, actor, source.consultation_id, "theme.split", new.id,
            {"from_theme": theme_id, "from_label": source.label, "label": clean, "opinions": ids})
    return new


# ---------------------------------------------------------------- answers


@dataclass
class PublishCheck:
    unanswered: list[Theme]
    n_themes: int
    has_run: bool

    @property
    def ready(self) -> bool:
        return self.has_run and self.n_themes > 0 and not self.unanswered


def _answerable(session: Session, actor: Actor, theme_id: int, phases: tuple[Phase, ...]) -> tuple[Theme, Consultation]:
    require(actor, "answer_themes")
    theme = _theme(session, theme_id)
    c = _consultation(session, theme.consultation_id)
    if c.phase not in phases:
        raise PhaseClosed(f"议题处于{Phase(c.phase).label}阶段，现在不能修改回应。")
    return theme, c


def save_response(
    session: Session, *, actor: Actor, theme_id: int, decision: Decision | str, reasoning: str,
    responsible_party: str, due_date: date | None = None,
) -> Response:
    """Create or update the committee's answer to a theme (one per theme).

    采纳 and 部分采纳 need a due date: residents want to know by when. The first answer also
    starts the theme's public timeline (已回应 / 已转交).
    """
    theme, _ = _answerable(session, actor, theme_id, ANSWER_PHASES)
    try:
        decision = Decision(decision)
    except ValueError:
        raise InvalidInput("请选择一个回应结论。") from None
    reasoning = (reasoning or "").strip()
    party = " ".join((responsible_party or "").split())
    if len(reasoning) < 10:
        raise InvalidInput("请写明理由（至少 10 个字），让居民知道为什么这样决定。")
    if len(reasoning) > 3000:
        raise InvalidInput("理由请不要超过 3000 字。")
    if not 2 <= len(party) <= 100:
        raise InvalidInput("请填写责任单位或责任人（2 到 100 个字）。")
    if decision in (Decision.ADOPT, Decision.PARTIAL) and due_date is None:
        raise InvalidInput(f"“{decision.label}”需要填写计划完成日期。")
    _refuse_pii(reasoning, "回应理由")
    _refuse_pii(party, "责任单位")
    response = session.exec(select(Response).where(Response.theme_id == theme_id)).first()
    uid = getattr(actor, "user_id", None)
    is_new = response is None
    if response is None:
        if due_date is not None and due_date < date.today():
            raise InvalidInput("计划完成日期不能早于今天。")
        response = Response(theme_id=theme_id, decision=decision, reasoning=reasoning,
                            responsible_party=party, due_date=due_date, created_by=uid)
    else:
        response.decision, response.reasoning, response.responsible_party = decision, reasoning, party
        response.due_date = due_date
        response.updated_at = utcnow()
    session.add(response)
    first_status = ThemeStatus.REFERRED if decision == Decision.REFER else ThemeStatus.ANSWERED
    if is_new:
        session.add(StatusUpdate(theme_id=theme_id, status=first_status, created_by=uid,
                                 note=f"居委会作出回应：{decision.label}。责任单位：{party}。"))
    if theme.status in (ThemeStatus.PENDING, ThemeStatus.ANSWERED, ThemeStatus.REFERRED):
        theme.status = first_status
    theme.updated_at = utcnow()
    session.add(theme)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="theme.answer" if is_new else "theme.answer_edit",
                 target_type="theme", target_id=theme_id,
                 detail={"decision": decision.value, "responsible_party": party,
                         "due_date": due_date.isoformat() if due_date else None})
    return response


def add_status_update(
    session: Session, *, actor: Actor, theme_id: int, status: ThemeStatus | str, note: str,
) -> StatusUpdate:
    """Add an entry to the theme's public timeline and set the theme's status to it."""
    theme, _ = _answerable(session, actor, theme_id, UPDATE_PHASES)
    try:
        status = ThemeStatus(status)
    except ValueError:
        raise InvalidInput("请选择办理状态。") from None
    if status not in TIMELINE_STATUSES:
        raise InvalidInput("“待回应”是初始状态，不能作为进展发布。")
    if session.exec(select(Response).where(Response.theme_id == theme_id)).first() is None:
        raise InvalidInput("请先回应这个主题，再发布办理进展。")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("请简要说明进展（至少 4 个字），例如“施工队已进场”。")
    if len(note) > 2000:
        raise InvalidInput("进展说明请不要超过 2000 字。")
    _refuse_pii(note, "进展说明")
    update = StatusUpdate(theme_id=theme_id, status=status, note=note, created_by=getattr(actor, "user_id", None))
    session.add(update)
    theme.status = status
    theme.updated_at = utcnow()
    session.add(theme)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="theme.status", target_type="theme",
                 target_id=theme_id, detail={"status": status.value, "note": note})
    return update


def publish_check(session: Session, *, actor: Actor, consultation_id: int) -> PublishCheck:
    """What still stands between this consultation and publishing its results."""
    require(actor, "view_committee")
    _consultation(session, consultation_id)
    themes = _active_themes(session, consultation_id)
    answered = set(session.exec(select(Response.theme_id).where(col(Response.theme_id).in_([t.id for t in themes]))).all())
    unanswered = [t for t in themes if t.id not in answered and not t.is_other and t.size > 0]
    return PublishCheck(unanswered, len(themes), latest_run(session, consultation_id) is not None)


def publish_results(
    session: Session, *, actor: Actor, consultation_id: int, confirm_unanswered: bool = False,
) -> Consultation:
    """Move the consultation to 结果公示.

    Refused without any themes. While some theme (other than 其他) has no answer the committee
    must confirm explicitly: residents will see those themes as 待回应.
    """
    from portal.services.consultations import change_phase

    require(actor, "publish_results")
    check = publish_check(session, actor=actor, consultation_id=consultation_id)
    if check.n_themes == 0:
        raise InvalidInput("这个议题还没有分析出主题，请先运行意见分析并整理主题，再发布结果。")
    if check.unanswered and not confirm_unanswered:
        names = "、".join(f"“{t.label}”" for t in check.unanswered[:5])
        more = f"等 {len(check.unanswered)} 个主题" if len(check.unanswered) > 5 else ""
        raise InvalidInput(f"还有主题没有回应：{names}{more}。请先回应，或确认后仍然发布（居民会看到它们“待回应”）。")
    c = change_phase(session, actor=actor, consultation_id=consultation_id, to=Phase.PUBLISHED)
    audit.record(session, actor=actor.audit_name, action="consultation.publish", target_type="consultation",
                 target_id=consultation_id,
                 detail={"themes": check.n_themes, "unanswered": [t.label for t in check.unanswered]})
    return c
