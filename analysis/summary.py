"""Extractive theme summaries: 2–4 sub-points (诉求) with counts and verbatim quotes.

Nothing is generated: a sub-point is a phrase residents wrote (ranked as theme labels are, see
:mod:`analysis.labels`), the opinions that contain it, how many distinct residents wrote them,
the votes they received, and one or two short quotes cut from those opinions exactly as given
(pass the redacted public text). The committee edits and reviews the rendered draft.

Sub-points are chosen greedily: each round takes the phrase that the most not-yet-covered
opinions contain (weighted by how specific it is to the theme), so every opinion counts toward
at most one sub-point and the counts never add up to more than the theme.

    model = ThemeModel().fit(texts)
    for s in summarize_themes(model, texts, authors=author_ids, agree=ups, disagree=downs):
        print(s.label, render_summary(s))
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.labels import LabelCandidate, rank_phrases
from analysis.normalize import normalize_many

if TYPE_CHECKING:  # pragma: no cover
    from analysis.themes import ThemeModel

__all__ = ["SubPoint", "ThemeSummary", "render_summary", "summarize_themes"]

MAX_QUOTE_CHARS = 40
_SENTENCE_END = "。！？!?；;\n"
_CLAUSE_END = _SENTENCE_END + "，,、：: "
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_STRIP = " \t\r\n，,、：:；;。"


@dataclass
class SubPoint:
    """One 诉求 of a theme: a phrase residents wrote and the opinions that contain it."""

    phrase: str
    opinions: list[int]  # positions in the texts given to the model, best-fitting first
    n_opinions: int
    n_authors: int | None  # distinct residents (None when no author ids were given)
    quotes: list[str]  # verbatim substrings of the quoted opinions
    quote_opinions: list[int]  # which opinion each quote was cut from
    agree: int | None = None  # summed votes of these opinions (None when not given)
    disagree: int | None = None


@dataclass
class ThemeSummary:
    """A machine draft of one theme's summary (structured; :func:`render_summary` writes it)."""

    theme: int  # index in ``model.themes_``
    label: str
    n_opinions: int
    n_authors: int | None
    points: list[SubPoint] = field(default_factory=list)
    agree: int | None = None
    disagree: int | None = None

    def text(self) -> str:
        """The Chinese draft, see :func:`render_summary`."""
        return render_summary(self)


def _authors_of(rows: Sequence[int], authors: Sequence[Any] | None) -> int | None:
    """Distinct residents; an opinion without an author id counts as one resident."""
    if authors is None:
        return None
    seen: set[Any] = set()
    anonymous = 0
    for i in rows:
        a = authors[i]
        if a is None or (isinstance(a, float) and math.isnan(a)) or str(a).strip() == "":
            anonymous += 1
        else:
            seen.add(str(a).strip())
    return len(seen) + anonymous


def _vote_sum(rows: Sequence[int], votes: Sequence[Any] | None) -> int | None:
    if votes is None:
        return None
    total = 0
    for i in rows:
        v = votes[i]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        total += int(v)
    return total


def quote_around(text: str, phrase: str, max_chars: int = MAX_QUOTE_CHARS) -> tuple[str, bool]:
    """A short verbatim piece of ``text`` containing ``phrase``: its sentence when short enough,
    else the clauses around it, else a window; ``("", False)`` when ``phrase`` is absent.

    Returns the quote and whether it had to be cut inside a clause (shown with …)."""
    pos = text.find(phrase)
    if pos < 0:
        return "", False
    end_of = pos + len(phrase)

    def bounds(stops: str) -> tuple[int, int]:
        start = max(text.rfind(c, 0, pos) for c in stops) + 1
        ends = [j for j in (text.find(c, end_of) for c in stops) if j >= 0]
        stop = min(ends) if ends else len(text)
        if stop < len(text) and text[stop] in "。！？!?":
            stop += 1  # keep the sentence's own full stop or question mark
        return start, stop

    start, stop = bounds(_SENTENCE_END)
    piece = text[start:stop].lstrip(_STRIP).rstrip(" \t\r\n，,、：:；;")
    if 0 < len(piece) <= max_chars:
        return piece, False
    c_start, c_stop = bounds(_CLAUSE_END)
    # widen clause by clause while the quote stays short (previous clause first: it often
    # says who or where, 腿脚不好下不了楼，能不能送餐上门？)
    while True:
        grown = False
        if c_start > start:
            prev = max(text.rfind(c, start, c_start - 1) for c in _CLAUSE_END) + 1
            prev = max(prev, start)
            if c_stop - prev <= max_chars:
                c_start, grown = prev, True
        if c_stop < stop:
            nxt = [j for j in (text.find(c, c_stop + 1) for c in _CLAUSE_END) if 0 <= j < stop]
            new_stop = min(nxt) + 1 if nxt else stop
            if new_stop - c_start <= max_chars:
                c_stop, grown = new_stop, True
        if not grown:
            break
    piece = text[c_start:c_stop].strip(_STRIP)
    if 0 < len(piece) <= max_chars:
        return piece, False
    half = max(0, (max_chars - len(phrase)) // 2)
    lo = max(start, pos - half)
    return text[lo : lo + max_chars].strip(_STRIP), True


def _pick_points(
    cands: list[LabelCandidate],
    members: np.ndarray,
    clean: dict[int, str],
    max_points: int,
    min_support: int,
) -> list[tuple[str, list[int]]]:
    """Greedy cover of the theme's opinions by phrases (see module docstring)."""
    pool = [c for c in cands if c.specificity >= 0.5][:60] or cands[:60]
    # one pass over the opinions per phrase; the rounds below only filter these lists
    contains = {c.phrase: [int(i) for i in members if c.phrase in clean[int(i)]] for c in pool}
    taken: set[int] = set()
    points: list[tuple[str, list[int]]] = []
    while len(points) < max_points and len(taken) < len(members):
        best: tuple[float, str, list[int]] | None = None
        for c in pool:
            if any(c.phrase in p or p in c.phrase for p, _ in points):
                continue
            hits = [i for i in contains[c.phrase] if i not in taken]
            gain = len(hits) * c.specificity**2
            if len(hits) >= min_support and (best is None or gain > best[0]):
                best = (gain, c.phrase, hits)
        if best is None:
            break
        _, phrase, hits = best
        # a longer phrase containing it, when most of these opinions say it that way
        for c in pool:
            if phrase in c.phrase and len(c.phrase) > len(phrase):
                longer = [i for i in hits if c.phrase in clean[i]]
                if len(longer) >= max(min_support, 0.6 * len(hits)):
                    phrase = c.phrase
        points.append((phrase, hits))
        taken.update(hits)
    return points


def summarize_themes(
    model: ThemeModel,
    texts: Sequence[str],
    *,
    authors: Sequence[Any] | None = None,
    agree: Sequence[Any] | None = None,
    disagree: Sequence[Any] | None = None,
    max_points: int = 4,
    max_quotes: int = 2,
    redact: bool = False,
) -> list[ThemeSummary]:
    """One :class:`ThemeSummary` per theme of a fitted ``model`` (same order as ``themes_``).

    ``texts``: the texts the model was fitted on (quotes are cut from them verbatim: pass the
    redacted public text). ``authors``: an optional resident id per opinion (None/blank =
    unknown, counted as one resident each). ``agree``/``disagree``: optional vote counts per
    opinion. Sub-points need at least 2 opinions, or 5 % of a large theme. ``redact=True``
    masks personal information (:func:`analysis.redact.redact_pii`) in the opinions a quote is
    cut from, for texts that were not redacted before.
    """
    from analysis.redact import redact_pii

    n = len(texts)
    for name, values in (("authors", authors), ("agree", agree), ("disagree", disagree)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} has {len(values)} values for {n} texts")
    docs = getattr(model, "phrase_docs_", None)
    if docs is None or len(docs) != len(model.themes_):
        raise ValueError("the model has no phrase samples: fit it with analysis.themes.ThemeModel")
    ranked = rank_phrases(docs, getattr(model, "phrase_texts_", None))
    scores = model.scores_
    dup = model.duplicate_of_
    out: list[ThemeSummary] = []
    for t_index, theme in enumerate(model.themes_):
        members = np.asarray(theme.members, dtype=int)
        # best-fitting first, so quotes come from the opinions closest to the theme
        members = members[np.argsort(-scores[members], kind="stable")] if len(members) else members
        clean = dict(
            zip(
                (int(i) for i in members),
                normalize_many([str(texts[i]) for i in members]),
                strict=True,
            )
        )
        min_support = max(2, int(math.ceil(0.05 * len(members))))
        chosen = _pick_points(ranked[t_index], members, clean, max_points, min_support)
        if len(chosen) < 2 and len(members) >= 4 and min_support > 2:
            chosen = _pick_points(ranked[t_index], members, clean, max_points, 2)
        points = []
        for phrase, rows in chosen:
            quotes: list[str] = []
            quoted: list[int] = []
            options = []
            seen_roots: set[int] = set()
            for rank, i in enumerate(rows[:12]):
                root = int(dup[i]) if dup[i] is not None else i  # type: ignore[arg-type]
                if root in seen_roots:
                    continue
                seen_roots.add(root)
                source = redact_pii(str(texts[i])) if redact else str(texts[i])
                q, cut = quote_around(source, phrase)
                if q:
                    options.append((cut, abs(len(q) - 24) // 8, rank, q, i))
            for _cut, _size, _rank, q, i in sorted(options):
                if q not in quotes:
                    quotes.append(q)
                    quoted.append(i)
                if len(quotes) == max_quotes:
                    break
            points.append(
                SubPoint(
                    phrase=phrase,
                    opinions=rows,
                    n_opinions=len(rows),
                    n_authors=_authors_of(rows, authors),
                    quotes=quotes,
                    quote_opinions=quoted,
                    agree=_vote_sum(rows, agree),
                    disagree=_vote_sum(rows, disagree),
                )
            )
        all_rows = [int(i) for i in members]
        out.append(
            ThemeSummary(
                theme=t_index,
                label=theme.label,
                n_opinions=len(all_rows),
                n_authors=_authors_of(all_rows, authors),
                points=points,
                agree=_vote_sum(all_rows, agree),
                disagree=_vote_sum(all_rows, disagree),
            )
        )
    return out


_WS_RE = re.compile(r"\s+")


def _votes(agree: int | None, disagree: int | None) -> str:
    parts = []
    if agree is not None:
        parts.append(f"赞同 {agree}")
    if disagree is not None:
        parts.append(f"反对 {disagree}")
    return " / ".join(parts)


def render_summary(summary: ThemeSummary) -> str:
    """The summary as one Chinese paragraph, e.g.
    ``共 69 条意见、67 位居民。主要诉求：① 送餐上门（23 条）：“腿脚不好下不了楼，能不能送餐上门？”。``
    Quotes are the structured ones verbatim (line breaks shown as spaces)."""
    head = f"共 {summary.n_opinions} 条意见"
    if summary.n_authors is not None:
        head += f"、{summary.n_authors} 位居民"
    votes = _votes(summary.agree, summary.disagree)
    head += f"（{votes}）。" if votes else "。"
    if not summary.points:
        return head + "意见较分散，未归纳出共同诉求。"
    items = []
    for k, p in enumerate(summary.points):
        mark = _CIRCLED[k] if k < len(_CIRCLED) else f"({k + 1})"
        count = f"{p.n_opinions} 条"
        if p.n_authors is not None and p.n_authors != p.n_opinions:
            count += f"、{p.n_authors} 位居民"
        v = _votes(p.agree, p.disagree)
        if v:
            count += f"，{v}"
        quotes = "".join(f"“{_WS_RE.sub(' ', q)}”" for q in p.quotes)
        items.append(f"{mark} {p.phrase}（{count}）" + (f"：{quotes}" if quotes else ""))
    return head + "主要诉求：" + "；".join(items) + "。"
