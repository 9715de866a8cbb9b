"""Giving an opinion: clean, validate, preview (redaction and similar opinions), submit."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from analysis.redact import PII_LABELS
from portal.models import (
    Consultation,
    Opinion,
    utcnow,
)
from portal.services.actors import Actor, ResidentActor, require_resident
from portal.services.consultations import (
    ensure_can_submit,
    phases,
)
from portal.services.errors import InvalidInput
from portal.services.participation.lookups import _consultation_for
from portal.services.participation.moderation import auto_flags
from portal.services.queries import is_visible, visible_opinions_of, vote_counts
from portal.services.text import public_text
from portal.settings import get_settings

SIMILAR_MIN_SCORE = 0.35
SIMILAR_SHOWN = 3


# Control and invisible format characters; newlines and tabs are kept (tabs become spaces).
_CONTROL_RE = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\ufeff]"
)
_BLANK_LINES_RE = re.compile(r"\n{3,}")


# ---------------------------------------------------------------- input cleaning


def clean_text(text: str | None) -> str:
    """The text as the resident meant it: control characters removed, ends trimmed.

    HTML and script tags are kept as typed: they are stored and shown as plain text, never run.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _has_words(text: str) -> bool:
    """True if the text has any letter, CJK character or digit (not only emoji/punctuation)."""
    return any(ch.isalnum() for ch in text)


def validate_text(
    text: str | None, *, what: str, min_chars: int, max_chars: int
) -> str:
    """Clean ``text`` and check it; raise InvalidInput with a plain Chinese sentence if it fails."""
    cleaned = clean_text(text)
    n = len(cleaned)
    if n == 0:
        raise InvalidInput(f"请先写下您的{what}，内容不能为空。")
    if not _has_words(cleaned):
        raise InvalidInput(f"{what}里没有文字，请用文字写下您想说的话（只有表情或符号无法被整理和回应）。")
    if n < min_chars:
        raise InvalidInput(f"{what}太短了：至少需要 {min_chars} 个字，现在只有 {n} 个字。请写得具体一些。")
    if n > max_chars:
        raise InvalidInput(f"{what}太长了：最多 {max_chars} 个字，现在有 {n} 个字。请精简一下，或分成几条提交。")
    return cleaned


def pii_labels(kinds: list[str]) -> list[str]:
    return [PII_LABELS.get(k, k) for k in kinds]


# ---------------------------------------------------------------- giving an opinion


@dataclass(frozen=True)
class SimilarOpinion:
    opinion_id: int
    text: str
    score: float
    agree: int


@dataclass(frozen=True)
class OpinionPreview:
    """What the resident sees before submitting."""

    text: str  # cleaned, as it will be stored
    text_public: str  # what the public will see
    pii_kinds: list[str]
    similar: list[SimilarOpinion]  # the closest few, best first
    n_similar: int  # how many existing opinions are alike (for "类似意见已有 N 条")

    @property
    def redacted(self) -> bool:
        return bool(self.pii_kinds)

    @property
    def pii_labels(self) -> list[str]:
        return pii_labels(self.pii_kinds)


@dataclass(frozen=True)
class SubmitResult:
    opinion: Opinion
    pii_kinds: list[str]
    created: bool  # False when the same client_token was seen before (a repeated click)

    @property
    def redacted(self) -> bool:
        return bool(self.pii_kinds)

    @property
    def pii_labels(self) -> list[str]:
        return pii_labels(self.pii_kinds)


_INDEX_CACHE: dict[int, tuple[tuple[int, int], Any, list[int]]] = {}


def _similarity_index(session: Session, consultation_id: int) -> tuple[Any, list[int]] | None:
    """A fitted ``analysis.SimilarOpinionIndex`` over the consultation's visible opinions.

    Refitted only when opinions were added or hidden (keyed on count and newest id).
    Returns None while the analysis package has no similarity index.
    """
    try:
        from analysis import SimilarOpinionIndex
    except (ImportError, AttributeError):
        return None
    rows = session.exec(
        select(Opinion.id, Opinion.text_public)
        .where(visible_opinions_of(consultation_id))
        .order_by(col(Opinion.id))
    ).all()
    if not rows:
        return None
    signature = (len(rows), rows[-1][0] or 0)
    cached = _INDEX_CACHE.get(consultation_id)
    if cached and cached[0] == signature:
        return cached[1], cached[2]
    from portal.services.text import tokenizer

    index = SimilarOpinionIndex(tokenizer=tokenizer()).fit([t for _, t in rows])
    ids = [int(oid) for oid, _ in rows if oid is not None]
    _INDEX_CACHE[consultation_id] = (signature, index, ids)
    return index, ids


def warm_up(engine: Engine | None = None) -> None:
    """Load the similarity index's libraries and the tokenizer (many seconds on first use) and,
    given an engine, index the consultations now collecting, so the first 预览 is quick."""
    try:
        from analysis import SimilarOpinionIndex  # noqa: F401
    except (ImportError, AttributeError):
        return
    from portal.services.text import tokenizer

    tokenizer()
    if engine is None:
        return
    with Session(engine) as session:
        ids = session.exec(select(Consultation.id).where(phases.phase_clause(phases.phases_where(lambda r: r.submit)))).all()
        for cid in ids:
            if cid is not None:
                _similarity_index(session, cid)


def similar_opinions(
    session: Session, *, consultation_id: int, text: str, min_score: float = SIMILAR_MIN_SCORE,
    limit: int = 50,
) -> list[SimilarOpinion]:
    """Visible opinions of the consultation that say much the same as ``text``, best first."""
    found = _similarity_index(session, consultation_id)
    if found is None:
        return []
    index, ids = found
    hits = index.query(text, top_k=limit, min_score=min_score)
    if not hits:
        return []
    wanted = [ids[i] for i, _ in hits]
    ops = {o.id: o for o in session.exec(select(Opinion).where(col(Opinion.id).in_(wanted)))}
    counts = vote_counts(session, wanted)
    out = []
    for i, score in hits:
        op = ops.get(ids[i])
        if op is None or not is_visible(op):
            continue
        oid = int(op.id or 0)
        out.append(SimilarOpinion(oid, op.text_public, float(score), counts[oid].agree))
    return out


def preview_opinion(
    session: Session, *, actor: Actor | None, consultation_id: int, text: str
) -> OpinionPreview:
    """Check a draft and show what the public will see and which opinions are alike.

    Raises the same errors as ``submit_opinion`` would, so the resident learns them early.
    """
    resident = require_resident(actor)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_submit(c)
    s = get_settings()
    cleaned = validate_text(text, what="意见", min_chars=s.opinion_min_chars, max_chars=s.opinion_max_chars)
    shown, kinds = public_text(cleaned)
    similar = similar_opinions(session, consultation_id=consultation_id, text=cleaned)
    own = set(session.exec(
            select(Opinion.id).where(Opinion.consultation_id == consultation_id,
                                     Opinion.resident_id == resident.resident_id)
        ))
    others = [s_ for s_ in similar if s_.opinion_id not in own]
    return OpinionPreview(cleaned, shown, kinds, others[:SIMILAR_SHOWN], len(others))


def submit_opinion(
    session: Session, *, actor: Actor | None, consultation_id: int, text: str,
    anonymous: bool = False, client_token: str | None = None,
) -> SubmitResult:
    """Store a resident's opinion (PII redacted for the public) and commit.

    ``client_token`` makes a repeated submit (double click, re-sent form) return the first
    opinion instead of storing it twice.
    """
    resident = require_resident(actor)
    token = (client_token or "").strip()[:64] or None
    if token:
        earlier = _opinion_by_token(session, resident, token)
        if earlier is not None:
            return SubmitResult(earlier, list(earlier.pii_kinds), created=False)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_submit(c)
    s = get_settings()
    cleaned = validate_text(text, what="意见", min_chars=s.opinion_min_chars, max_chars=s.opinion_max_chars)
    same = session.exec(
        select(Opinion.id).where(Opinion.consultation_id == consultation_id,
                                 Opinion.resident_id == resident.resident_id,
                                 Opinion.text_original == cleaned)
    ).first()
    if same is not None:
        raise InvalidInput("您已经提交过内容完全相同的意见，不用重复提交。")
    shown, kinds = public_text(cleaned)
    now = utcnow()
    op = Opinion(
        consultation_id=consultation_id, resident_id=resident.resident_id, area_id=resident.area_id,
        text_original=cleaned, text_public=shown, pii_kinds=kinds, flags=auto_flags(cleaned),
        anonymous=bool(anonymous), received_at=now, created_at=now, client_token=token,
    )
    session.add(op)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if token and (earlier := _opinion_by_token(session, resident, token)) is not None:
            return SubmitResult(earlier, list(earlier.pii_kinds), created=False)
        raise
    session.refresh(op)
    return SubmitResult(op, kinds, created=True)


def _opinion_by_token(session: Session, resident: ResidentActor, token: str) -> Opinion | None:
    earlier = session.exec(select(Opinion).where(Opinion.client_token == token)).first()
    if earlier is None:
        return None
    if earlier.resident_id != resident.resident_id:
        raise InvalidInput("提交编号冲突，请刷新页面后重新提交。")
    return earlier


