"""Theme summaries: the analysis run writes a machine draft, the committee edits and reviews it.

Rule: residents only ever see a summary the committee reviewed (``Theme.summary_reviewed_at``
set). Every run rewrites ``summary_draft`` (and ``summary`` while it is unreviewed); a reviewed
summary is the committee's text and survives re-runs. Editing or reviewing a summary is a
committee edit to the theme, so it marks the theme curated (see ``review.curation``) and the
theme itself survives re-runs. Merging or splitting a theme reopens its review (its opinions
changed). Summaries are published as written, so personal details are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from portal.models import Theme, utcnow
from portal.services.actors import Actor
from portal.services.errors import InvalidInput
from portal.services.review.curation import _curate, _editable, _finish, _refuse_pii
from portal.services.review.overview import _theme

SUMMARY_MAX = 3000


@dataclass(frozen=True)
class SummaryState:
    """What the 主题研判 page shows about one theme's summary."""

    text: str  # the current summary (the draft until the committee edits it)
    draft: str  # the latest machine draft
    reviewed: bool
    draft_changed: bool  # reviewed, and a later run's draft differs from the one reviewed
    edited: bool  # the committee's text differs from the latest draft


def summary_state(theme: Theme) -> SummaryState:
    """The review state of a theme's summary."""
    reviewed = theme.summary_reviewed_at is not None
    reviewed_draft = (theme.summary_points or {}).get("reviewed_draft")
    return SummaryState(
        text=theme.summary, draft=theme.summary_draft, reviewed=reviewed,
        draft_changed=reviewed and reviewed_draft is not None and reviewed_draft != theme.summary_draft,
        edited=bool(theme.summary_draft) and theme.summary != theme.summary_draft,
    )


def public_summary(theme: Theme) -> str:
    """The summary residents may read: the reviewed one, never an unreviewed machine draft."""
    return theme.summary if theme.summary_reviewed_at is not None else ""


def save_summary(session: Session, *, actor: Actor, theme_id: int, text: str, reviewed: bool) -> Theme:
    """Save the committee's summary of a theme; ``reviewed`` marks it reviewed (publishable) or
    takes the review back. Saving the same text and state again changes nothing (no event)."""
    theme = _theme(session, theme_id, actor=actor)
    _editable(session, actor, theme.consultation_id)
    text = "\n".join(line.strip() for line in (text or "").strip().splitlines())
    if reviewed and not text:
        raise InvalidInput("摘要是空的，请先写好摘要再标为已审核。")
    if len(text) > SUMMARY_MAX:
        raise InvalidInput(f"摘要请不要超过 {SUMMARY_MAX} 字。")
    _refuse_pii(text, "主题摘要")
    if text == theme.summary and reviewed == (theme.summary_reviewed_at is not None):
        return theme  # a second click on the same button
    points = dict(theme.summary_points or {})
    points.pop("reviewed_draft", None)
    if reviewed:
        theme.summary_reviewed_at = utcnow()
        theme.summary_reviewed_by = getattr(actor, "user_id", None)
        points["reviewed_draft"] = theme.summary_draft
    else:
        theme.summary_reviewed_at = theme.summary_reviewed_by = None
    theme.summary_points = points  # a new dict: the JSON column sees the change
    theme.summary = text
    _curate(session, actor, theme)
    _finish(session, actor, theme.consultation_id, "theme.summary", theme_id,
            {"label": theme.label, "reviewed": reviewed, "edited": text != theme.summary_draft, "text": text})
    return theme
