"""Curating themes: rename, merge, split, move opinions, mark priority.

Curation rule (shared with ``review.runs``): any committee edit to a theme marks it ``curated``
and makes every assignment to it a committee assignment (``AssignmentSource.COMMITTEE``). A
re-run of the analysis keeps curated themes and committee assignments and only re-themes the
rest, so a reviewer's work is never undone by new opinions arriving. Curated labels are how a
re-run recognises a theme, so labels are unique among a consultation's active themes.

Every change records an audit event and recomputes theme statistics in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from portal.models import (
    AssignmentSource,
    Consultation,
    Opinion,
    Response,
    Theme,
    ThemeAssignment,
    utcnow,
)
from portal.services import audit
from portal.services.actors import Actor, require
from portal.services.consultations import phases
from portal.services.errors import InvalidInput, NotFound
from portal.services.review.overview import _active_themes, _consultation, _theme
from portal.services.review.runs import refresh_theme_stats

LABEL_MIN, LABEL_MAX = 2, 30
# ---------------------------------------------------------------- curation


def _editable(session: Session, actor: Actor, consultation_id: int) -> Consultation:
    require(actor, "curate_themes")
    c = _consultation(session, consultation_id, actor=actor)
    phases.ensure_staff_can(c, phases.can_analyse, "主题已不能再调整")
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


def _reopen_summary(theme: Theme) -> None:
    """A merge or split changes the theme's opinions: its reviewed summary needs a new look."""
    theme.summary_reviewed_at = theme.summary_reviewed_by = None


def _finish(session: Session, actor: Actor, consultation_id: int, action: str, theme_id: Any,
            detail: dict[str, Any]) -> None:
    session.flush()
    refresh_theme_stats(session, consultation_id)
    audit.record(session, actor=actor.audit_name, action=action, target_type="theme",
                 target_id=theme_id, detail={"consultation": consultation_id, **detail})


def rename_theme(session: Session, *, actor: Actor, theme_id: int, label: str) -> Theme:
    theme = _theme(session, theme_id, actor=actor)
    _editable(session, actor, theme.consultation_id)
    old = theme.label
    theme.label = _check_label(session, theme.consultation_id, label, exclude=[theme_id])
    theme.is_other = False if theme.label != old else theme.is_other
    _curate(session, actor, theme)
    _finish(session, actor, theme.consultation_id, "theme.rename", theme_id, {"from": old, "to": theme.label})
    return theme


def set_priority(session: Session, *, actor: Actor, theme_id: int, priority: bool) -> Theme:
    theme = _theme(session, theme_id, actor=actor)
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
    themes = [_theme(session, i, actor=actor) for i in ids]
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
    _reopen_summary(target)
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
    target = _theme(session, to_theme_id, actor=actor)
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
    source = _theme(session, theme_id, actor=actor)
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
    _reopen_summary(source)
    session.flush()
    _curate(session, actor, source)
    _curate(session, actor, new)
    _finish(session, actor, source.consultation_id, "theme.split", new.id,
            {"from_theme": theme_id, "from_label": source.label, "label": clean, "opinions": ids})
    return new


