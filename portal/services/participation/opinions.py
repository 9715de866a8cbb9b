"""Giving an opinion: clean, validate, preview (redaction and similar opinions), submit.

``new_opinion`` is the one place an Opinion row is made, whatever the channel: the web form
(``submit_opinion``), the committee's offline entry and bulk import (``offline``) and the demo
builder all go through it, so the same text gives the same stored row everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert as sa_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from analysis.redact import PII_LABELS
from portal.models import (
    Channel,
    Consultation,
    Opinion,
    utcnow,
)
from portal.services import participants
from portal.services.actors import Actor, ResidentActor, require_resident
from portal.services.consultations import (
    ensure_can_submit,
    phases,
)
from portal.services.documents.checks import CheckedFile, Upload
from portal.services.documents.photos import attach_photos, check_photos
from portal.services.errors import InvalidInput
from portal.services.participation.idempotency import (
    by_token,
    derived_token,
    given_token,
    insert_once,
)
from portal.services.participation.lookups import _consultation_for
from portal.services.participation.moderation import auto_flags
from portal.services.queries import is_visible, visible_opinions_of, vote_counts
from portal.services.text import public_text
from portal.settings import get_settings

ALREADY_GIVEN = "您已经提交过内容完全相同的意见，不用重复提交。"
SIMILAR_MIN_SCORE = 0.35
SIMILAR_SHOWN = 3


# Terminal escape sequences (ESC [ 31 m …), as found in text pasted from a hotline system's
# export: removed whole, so no "[31m" is left behind when the ESC itself goes.
_ESCAPE_SEQ_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# Control and invisible format characters (zero-width, direction overrides and isolates, soft
# hyphen, BOM, tag characters); newlines and tabs are kept (tabs become spaces).
_CONTROL_RE = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_BLANK_LINES_RE = re.compile(r"\n{3,}")


# ---------------------------------------------------------------- input cleaning


def clean_text(text: str | None) -> str:
    """The text as the resident meant it: control characters removed, ends trimmed.

    HTML and script tags are kept as typed: they are stored and shown as plain text, never run.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _ESCAPE_SEQ_RE.sub("", text)
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


# ---------------------------------------------------------------- the one way to make an opinion


@dataclass(frozen=True)
class PreparedOpinion:
    """An opinion's text after clean → validate → redact → flag: the stored row's text fields."""

    text: str  # cleaned: text_original
    text_public: str  # PII replaced
    pii_kinds: list[str]
    flags: list[str]  # automatic moderation flags


def prepare_opinion(text: str | None) -> PreparedOpinion:
    """Clean, validate, redact and flag an opinion's text, whichever channel it came through.

    Raises InvalidInput with the sentence the resident sees on the web form, so a row typed on
    paper or read from an import file is refused with the same words.
    """
    s = get_settings()
    cleaned = validate_text(text, what="意见", min_chars=s.opinion_min_chars, max_chars=s.opinion_max_chars)
    shown, kinds = public_text(cleaned)
    return PreparedOpinion(cleaned, shown, kinds, auto_flags(cleaned))


def _opinion_row(
    *, consultation_id: int, prepared: PreparedOpinion, channel: Channel, resident_id: int | None,
    area_id: int | None, anonymous: bool, received_at: datetime | None, created_at: datetime | None,
    entered_by: int | None, client_token: str | None, now: datetime,
) -> Opinion:
    return Opinion(
        consultation_id=consultation_id, resident_id=resident_id, area_id=area_id,
        channel=Channel(channel), text_original=prepared.text, text_public=prepared.text_public,
        pii_kinds=list(prepared.pii_kinds), flags=list(prepared.flags), anonymous=bool(anonymous),
        entered_by=entered_by, received_at=received_at or now, created_at=created_at or now,
        client_token=given_token(client_token),
    )


def new_opinion(
    session: Session, *, consultation_id: int, text: str | None = None,
    prepared: PreparedOpinion | None = None, channel: Channel = Channel.WEB,
    resident_id: int | None = None, area_id: int | None = None, anonymous: bool = False,
    received_at: datetime | None = None, created_at: datetime | None = None,
    entered_by: int | None = None, client_token: str | None = None,
    photos: Sequence[Upload | CheckedFile] = (),
) -> tuple[Opinion, bool]:
    """Store one opinion in the caller's transaction (the caller checks who may give it, and when,
    and commits). Returns (the opinion, created).

    The text goes through ``prepare_opinion`` unless the caller already did (``prepared``). With
    a ``client_token`` the row is written at most once: a second call with the same token returns
    the first row and ``created=False``, even when both arrive at the same moment.

    ``photos`` (at most three) are checked and re-encoded before anything is written, and stored
    with the opinion waiting for staff approval; a repeated call stores them once.
    """
    if prepared is None:
        prepared = prepare_opinion(text)
    checked = check_photos(photos)
    op = _opinion_row(
        consultation_id=consultation_id, prepared=prepared, channel=channel,
        resident_id=resident_id, area_id=area_id, anonymous=anonymous, received_at=received_at,
        created_at=created_at, entered_by=entered_by, client_token=client_token, now=utcnow())
    if op.client_token is None:
        session.add(op)
        session.flush()
        created = True
    else:
        op, created = insert_once(session, op)
    if created:
        assert op.id is not None
        participants.record(session, consultation_id=consultation_id, resident_id=op.resident_id,
                            at=op.created_at)
    if created and checked:
        attach_photos(session, opinion=op, photos=checked)
    return op, created


@dataclass(frozen=True)
class NewOpinion:
    """One already prepared opinion for :func:`new_opinions` (bulk imports)."""

    prepared: PreparedOpinion
    channel: Channel
    received_at: datetime
    area_id: int | None = None
    resident_id: int | None = None
    anonymous: bool = True


def new_opinions(
    session: Session, *, consultation_id: int, items: list[NewOpinion], entered_by: int | None,
) -> int:
    """Store many prepared opinions in one multi-row INSERT (the caller commits).

    Rows are built exactly as :func:`new_opinion` builds them. One statement keeps the write
    transaction short: a 20,000-row import holds SQLite's write lock for well under a second
    instead of one ORM flush per row, so residents voting meanwhile are not kept waiting.
    """
    now = utcnow()
    rows = [
        _opinion_row(consultation_id=consultation_id, prepared=i.prepared, channel=i.channel,
                     resident_id=i.resident_id, area_id=i.area_id, anonymous=i.anonymous,
                     received_at=i.received_at, created_at=None, entered_by=entered_by,
                     client_token=None, now=now).model_dump(exclude={"id"})
        for i in items
    ]
    if rows:
        session.execute(sa_insert(Opinion), rows)
    for resident_id in sorted({i.resident_id for i in items if i.resident_id is not None}):
        participants.record(session, consultation_id=consultation_id, resident_id=resident_id, at=now)
    return len(rows)


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
    session: Session, *, actor: Actor | None, consultation_id: int, text: str,
    photos: Sequence[Upload | CheckedFile] = (),
) -> OpinionPreview:
    """Check a draft (and its photos) and show what the public will see and which opinions are
    alike.

    Raises the same errors as ``submit_opinion`` would, so the resident learns them early.
    """
    resident = require_resident(actor)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_submit(c)
    prepared = prepare_opinion(text)
    check_photos(photos)
    cleaned, shown, kinds = prepared.text, prepared.text_public, prepared.pii_kinds
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
    photos: Sequence[Upload | CheckedFile] = (),
) -> SubmitResult:
    """Store a resident's opinion (PII redacted for the public).

    ``client_token`` (one per draft, from the form) makes a repeated submit (double click,
    re-sent form, two copies sent at once) return the first opinion instead of storing it twice.
    Without one, a token is derived from the resident, the consultation and the text: the
    opinion is still stored once, and the other copies are told it was given already.
    ``photos``: up to three, public once staff approve them (see ``documents.photos``).
    """
    resident = require_resident(actor)
    token = given_token(client_token)
    if token:
        earlier = _opinion_by_token(session, resident, token)
        if earlier is not None:
            return SubmitResult(earlier, list(earlier.pii_kinds), created=False)
    c = _consultation_for(session, resident, consultation_id)
    ensure_can_submit(c)
    prepared = prepare_opinion(text)
    checked = check_photos(photos)
    same = session.exec(
        select(Opinion).where(Opinion.consultation_id == consultation_id,
                              Opinion.resident_id == resident.resident_id,
                              Opinion.text_original == prepared.text)
    ).first()
    if same is not None:
        if token and same.client_token == token:  # a copy of this draft, stored a moment ago
            return SubmitResult(same, list(same.pii_kinds), created=False)
        raise InvalidInput(ALREADY_GIVEN)
    op, created = new_opinion(
        session, consultation_id=consultation_id, prepared=prepared, resident_id=resident.resident_id,
        area_id=resident.area_id, anonymous=anonymous, photos=checked,
        client_token=token or derived_token("web", consultation_id, resident.resident_id, prepared.text))
    if not created:  # another copy was stored while this one was being checked; nothing written
        if op.resident_id != resident.resident_id:
            raise InvalidInput("提交编号冲突，请刷新页面后重新提交。")
        if not token:  # an API caller without a token sent the same text twice at once
            raise InvalidInput(ALREADY_GIVEN)
        return SubmitResult(op, list(op.pii_kinds), created=False)
    return SubmitResult(op, list(op.pii_kinds), created=created)


def _opinion_by_token(session: Session, resident: ResidentActor, token: str) -> Opinion | None:
    earlier = by_token(session, Opinion, token)
    if earlier is None:
        return None
    if earlier.resident_id != resident.resident_id:
        raise InvalidInput("提交编号冲突，请刷新页面后重新提交。")
    return earlier


