"""Guided curation with the least effort: the committee names themes, types keywords and
confirms one opinion at a time in the 确认归类 queue, chosen by the guided learner.

Rules:
- A theme the committee names (or gives keywords to) is curated; its keywords are kept in
  ``Theme.seed_words`` and every analysis run passes them, with the theme's name, to the model.
- An answer 属于「X」 (or 改到「X」) is a committee assignment of the opinion to X, the same
  kind of record as a move on the 主题研判 page, so it survives re-runs and guides the next run.
  An answer 不属于「X」 is stored as a ``ThemeRejection``; the queue's learner uses it (the
  opinion never gets X there); 改到「Y」 stores both.
- Answers are idempotent: answering the same thing twice (a double click) stores one answer
  and one audit event; a unique constraint keeps a single rejection per opinion and theme even
  when two people answer at once.
- The queue is :class:`analysis.guided.GuidedThemes` fitted on the consultation's visible
  opinions with the committee's themes, keywords and answers; it shows the opinion the learner
  is least sure about (the learner that chooses is the one that is trained, see decision 0015).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.models import (
    AssignmentSource,
    Opinion,
    Theme,
    ThemeAssignment,
    ThemeRejection,
    utcnow,
)
from portal.services.actors import Actor, require
from portal.services.errors import InvalidInput, NotFound
from portal.services.queries import visible_opinions_of
from portal.services.review.curation import (
    _assign,
    _check_label,
    _curate,
    _editable,
    _finish,
    _refuse_pii,
)
from portal.services.review.overview import _active_themes, _consultation, _theme

MAX_KEYWORDS, MAX_KEYWORD_CHARS = 20, 20
_FEATURES: OrderedDict[str, Any] = OrderedDict()  # texts digest -> (X, Z, vocabulary)
_FEATURES_KEPT = 4


def _keywords(text: str) -> list[str]:
    from analysis.guided import parse_keywords

    words = parse_keywords(text)
    if len(words) > MAX_KEYWORDS:
        raise InvalidInput(f"关键词请不要超过 {MAX_KEYWORDS} 个。")
    if any(len(w) > MAX_KEYWORD_CHARS for w in words):
        raise InvalidInput(f"每个关键词请不要超过 {MAX_KEYWORD_CHARS} 个字，用顿号或空格分开。")
    _refuse_pii("、".join(words), "关键词")
    return words


def name_theme(session: Session, *, actor: Actor, consultation_id: int, label: str, keywords: str) -> Theme:
    """A new theme named by the committee, with its keywords (it may have no opinion yet)."""
    _editable(session, actor, consultation_id)
    clean = _check_label(session, consultation_id, label)
    words = _keywords(keywords)
    if not words:
        raise InvalidInput("请输入几个关键词（用顿号或空格分开），系统据此找出可能属于这个主题的意见。")
    theme = Theme(consultation_id=consultation_id, label=clean, curated=True, seed_words=words,
                  position=len(_active_themes(session, consultation_id)))
    session.add(theme)
    session.flush()
    _finish(session, actor, consultation_id, "theme.name", theme.id, {"label": clean, "keywords": words})
    return theme


def set_seed_words(session: Session, *, actor: Actor, theme_id: int, keywords: str) -> Theme:
    """Replace the committee's keywords of a theme (marks it curated). Same words: no change."""
    theme = _theme(session, theme_id, actor=actor)
    _editable(session, actor, theme.consultation_id)
    if theme.is_other:
        raise InvalidInput("“其他”不是一个主题，不能设关键词；请新建一个主题。")
    words = _keywords(keywords)
    if words == list(theme.seed_words or []):
        return theme
    old = list(theme.seed_words or [])
    theme.seed_words = words
    _curate(session, actor, theme)
    _finish(session, actor, theme.consultation_id, "theme.seed_words", theme_id,
            {"label": theme.label, "from": old, "to": words})
    return theme


def guided_themes(session: Session, consultation_id: int) -> list[Theme]:
    """The committee's themes the queue and the runs are guided by: curated, active, not 其他,
    with keywords or with opinions the committee put there."""
    themes = [t for t in _active_themes(session, consultation_id) if t.curated and not t.is_other]
    with_answers = set(session.exec(
        select(ThemeAssignment.theme_id).where(col(ThemeAssignment.theme_id).in_([t.id for t in themes]),
                                               ThemeAssignment.source == AssignmentSource.COMMITTEE)).all())
    return [t for t in themes if t.seed_words or t.id in with_answers]


@dataclass(frozen=True)
class ConfirmItem:
    """The next opinion the committee should confirm, and what the system proposes for it."""

    opinion_id: int
    text: str
    theme_id: int  # the proposed theme
    theme_label: str
    confidence: float  # the learner's probability for the proposed theme
    themes: list[tuple[int, str]]  # the committee's themes (id, label), for 改到…
    n_answered: int  # opinions the committee answered about
    n_left: int  # opinions still to confirm (with words, not answered, not skipped)


def confirm_queue(session: Session, *, actor: Actor, consultation_id: int,
                  skip: Sequence[int] = ()) -> ConfirmItem | None:
    """The opinion to confirm next (``skip``: opinion ids put aside in this sitting); ``None``
    when nothing is left. Refused while the committee has named no theme."""
    from analysis.guided import Answer, GuidedThemes

    require(actor, "curate_themes")
    _consultation(session, consultation_id, actor=actor)
    themes = guided_themes(session, consultation_id)
    if not themes:
        raise InvalidInput("请先命名一个主题并输入几个关键词，系统才能挑出要确认的意见。")
    opinions = list(session.exec(select(Opinion).where(visible_opinions_of(consultation_id))
                                 .order_by(col(Opinion.id))))
    if not opinions:
        return None
    row_of = {o.id: i for i, o in enumerate(opinions)}
    label_of = {t.id: t.label for t in themes}
    answers = [Answer(row_of[a.opinion_id], label_of[a.theme_id]) for a in session.exec(
        select(ThemeAssignment).where(col(ThemeAssignment.theme_id).in_(list(label_of)),
                                      ThemeAssignment.source == AssignmentSource.COMMITTEE))
        if a.opinion_id in row_of]
    answers += [Answer(row_of[r.opinion_id], label_of[r.theme_id], belongs=False) for r in session.exec(
        select(ThemeRejection).where(col(ThemeRejection.theme_id).in_(list(label_of))))
        if r.opinion_id in row_of]
    from threadpoolctl import threadpool_limits

    # one BLAS thread, as ThemeModel.fit does: multi-threaded BLAS was 10-50x slower for these
    # shapes on loaded 2-core machines
    with threadpool_limits(limits=1):
        X, Z, vocabulary = _features([o.text_public for o in opinions])
        learner = GuidedThemes().fit_features(X, Z, vocabulary,
                                              {t.label: list(t.seed_words or []) for t in themes}, answers)
    exclude = [row_of[i] for i in skip if i in row_of]
    left = learner.suggest(len(opinions), exclude=exclude)
    if not left:
        return None
    row = left[0]
    proposed = themes[[t.label for t in themes].index(learner.themes_[int(learner.labels_[row])])]
    return ConfirmItem(opinion_id=opinions[row].id or 0, text=opinions[row].text_public,
                       theme_id=proposed.id or 0, theme_label=proposed.label,
                       confidence=float(learner.confidence_[row]),
                       themes=[(t.id or 0, t.label) for t in themes],
                       n_answered=int(learner.answered_.sum()), n_left=len(left))


QUEUE_RANDOM_STATE = 0  # the queue's features are those of a run with this seed (the default)


def _key(texts: list[str], random_state: int) -> str:
    return hashlib.sha256(f"{random_state}\x1e".encode() + "\x1f".join(texts).encode()).hexdigest()


def keep_features(texts: list[str], features: tuple[Any, Any, list[str]] | None, *,
                  random_state: int) -> None:
    """Hand an analysis run's TF-IDF/LSA features (``ThemeModel(keep_features=True).features_``
    for ``texts``) to the queue, so its first call after the run only fits the learner instead of
    tokenising every opinion again. Only features computed as the queue computes them (the
    queue's seed) are kept: the queue's choice never depends on which run came before it."""
    if features is None or random_state != QUEUE_RANDOM_STATE:
        return
    _remember(_key(texts, random_state), features)


def _remember(key: str, features: tuple[Any, Any, list[str]]) -> None:
    _FEATURES[key] = features
    _FEATURES.move_to_end(key)
    while len(_FEATURES) > _FEATURES_KEPT:
        _FEATURES.popitem(last=False)


def _features(texts: list[str]) -> tuple[Any, Any, list[str]]:
    """TF-IDF and LSA features as ThemeModel computes them, kept for the last few opinion sets
    (each answer refits the learner; re-tokenising every time would double its cost), or handed
    over by the last analysis run of the same opinions (:func:`keep_features`)."""
    from analysis import ThemeModel
    from portal.services.text import tokenizer

    key = _key(texts, QUEUE_RANDOM_STATE)
    if key in _FEATURES:
        _FEATURES.move_to_end(key)
        return _FEATURES[key]  # type: ignore[no-any-return]
    tk = tokenizer()
    tm = ThemeModel(tokenizer=tk, random_state=QUEUE_RANDOM_STATE)
    tm.tokenizer_ = tk
    _clean, counts, names = tm._tokenize(texts)
    _counts, X, Z = tm._vectorize(counts, names)
    _remember(key, (X, Z, list(tm.vocabulary_)))
    return _FEATURES[key]  # type: ignore[no-any-return]


def answer_opinion(session: Session, *, actor: Actor, opinion_id: int, theme_id: int, belongs: bool,
                   to_theme_id: int | None = None) -> bool:
    """Store one answer of the queue: 属于 (``belongs``), 不属于, or 不属于 + 改到 ``to_theme_id``.

    Returns whether anything changed (False for a repeated answer: nothing stored twice)."""
    theme = _theme(session, theme_id, actor=actor)
    _editable(session, actor, theme.consultation_id)
    opinion = session.get(Opinion, opinion_id)
    if opinion is None or opinion.consultation_id != theme.consultation_id:
        raise NotFound("找不到这条意见，或它不属于这个议题。")
    target = _theme(session, to_theme_id, actor=actor) if to_theme_id is not None else (theme if belongs else None)
    if target is not None and (target.consultation_id != theme.consultation_id or not target.active):
        raise InvalidInput("只能归到这个议题现有的主题。")
    if to_theme_id is not None and to_theme_id == theme_id:
        raise InvalidInput("改到的主题和原来的一样；如果属于它，请点“属于”。")
    changed = False
    if not belongs:
        changed |= _reject(session, actor, opinion_id, theme)
    if target is not None:
        changed |= _confirm(session, actor, opinion_id, target)
    if changed:
        _finish(session, actor, theme.consultation_id, "theme.confirm", theme_id,
                {"opinion": opinion_id, "label": theme.label, "belongs": belongs,
                 "to": target.label if target is not None and not belongs else None})
    return changed


def _confirm(session: Session, actor: Actor, opinion_id: int, theme: Theme) -> bool:
    current = session.exec(select(ThemeAssignment).where(ThemeAssignment.opinion_id == opinion_id)).first()
    if current is not None and current.theme_id == theme.id and current.source == AssignmentSource.COMMITTEE:
        return False
    for r in session.exec(select(ThemeRejection).where(ThemeRejection.opinion_id == opinion_id,
                                                       ThemeRejection.theme_id == theme.id)):
        session.delete(r)  # the latest answer wins
    _assign(session, actor, [opinion_id], theme.id)  # type: ignore[arg-type]
    session.flush()
    _keep(theme)
    session.add(theme)
    return True


def _keep(theme: Theme) -> None:
    """A queue answer keeps the theme across re-runs (curated) but, unlike the page's edits
    (``curation._curate``), does not turn the theme's other, model-made assignments into
    committee ones: one confirmed opinion is not a confirmation of all the others, which stay
    in the queue."""
    theme.curated = True
    theme.updated_at = utcnow()


def _reject(session: Session, actor: Actor, opinion_id: int, theme: Theme) -> bool:
    exists = session.exec(select(ThemeRejection).where(ThemeRejection.opinion_id == opinion_id,
                                                       ThemeRejection.theme_id == theme.id)).first()
    current = session.exec(select(ThemeAssignment).where(ThemeAssignment.opinion_id == opinion_id)).first()
    changed = False
    if current is not None and current.theme_id == theme.id and current.source == AssignmentSource.COMMITTEE:
        current.source = AssignmentSource.MODEL  # no longer the committee's: the next run re-themes it
        current.assigned_by = None
        session.add(current)
        changed = True
    if exists is None:
        try:
            with session.begin_nested():  # someone else may store the same answer at this moment
                session.add(ThemeRejection(opinion_id=opinion_id, theme_id=theme.id,  # type: ignore[arg-type]
                                           created_by=getattr(actor, "user_id", None)))
            changed = True
        except IntegrityError:
            pass
    if changed:
        _keep(theme)
        session.add(theme)
    return changed
