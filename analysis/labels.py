"""Theme labels that are phrases residents write, and the words that must never be one.

A label is a run of one to three adjacent content words taken from the opinions themselves
(送餐上门, 电梯费用分摊, 夜间施工噪音), never two unrelated words glued together. Candidates are
ranked by how many of the theme's opinions contain them (coverage) times how specific they are
to the theme against the other themes (a class-based TF-IDF in spirit):

    score = coverage × specificity², specificity = coverage / (coverage + max coverage elsewhere)

The best candidate is then lengthened when a longer phrase that contains it keeps a good share
of its coverage (电梯 → 加装电梯), so the label reads like something a resident would say while
its words stay in most of the theme's opinions.

Unfit words (:func:`unfit_words`): the lists ``data/generic_words.txt`` (filler such as 有没有,
帮忙, 居委会; stance words such as 支持, 反对; place-holding words such as 某某, 这个) and
``data/label_stopwords.txt``, the redaction placeholders of :mod:`analysis.redact` (手机号,
门牌号 …), negations, and words starting with 不/没. Words that a run spreads evenly over its
themes (:func:`spread_words`) are generic *in that data*: they never label or key a theme alone.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.redact import PII_LABELS
from analysis.tokenize import DATA_DIR, NEGATIONS, ChineseTokenizer

__all__ = [
    "LABEL_POS",
    "LabelCandidate",
    "choose_labels",
    "content_runs",
    "is_unfit_word",
    "PhraseExtractor",
    "phrase_candidates",
    "rank_phrases",
    "spread_words",
    "unfit_words",
]

# Parts of speech a one-word label may have: nouns and verbal nouns (a verb alone, 进来 or 出钱,
# says too little); longer phrases need one noun, verb or HMM-found word (送餐 in 送餐上门).
LABEL_POS = frozenset({"n", "nz", "vn", "nt", "nl", "ng", "j", "an"})
_PHRASE_HEAD_POS = LABEL_POS | {"v", "unk"}
# Words of these kinds never start or end a phrase (夜间 may open one: 夜间施工噪音).
_NO_EDGE_POS = frozenset({"d", "r", "f", "p", "c", "u", "a", "ad", "z", "b"})
_NO_END_POS = _NO_EDGE_POS | {"t", "s", "l", "i"}  # not …由谁来, …一塌糊涂
MAX_PHRASE_WORDS = 3
MAX_PHRASE_CHARS = 8
_BAD_START_RE = re.compile(r"^[不没无别]")


@functools.lru_cache(maxsize=4)
def unfit_words(data_dir: Path = DATA_DIR) -> frozenset[str]:
    """Words that never become a label, a keyword or a word-cloud word (see module doc)."""
    words: set[str] = set(PII_LABELS.values()) | set(NEGATIONS)
    for name in ("generic_words.txt", "label_stopwords.txt"):
        path = Path(data_dir) / name
        if path.exists():
            for raw in path.read_text(encoding="utf-8").splitlines():
                line = raw.strip()
                if line and not line.startswith("#"):
                    words.add(line)
    return frozenset(words)


def is_unfit_word(word: str, unfit: frozenset[str] | None = None) -> bool:
    """Whether ``word`` must never be shown as a label, keyword or word-cloud word."""
    unfit = unfit_words() if unfit is None else unfit
    half = len(word) // 2
    return (
        len(word) < 2
        or word in unfit
        or (len(word) % 2 == 0 and word[:half] == word[half:])  # 做做, 看看, 支持支持
        or bool(_BAD_START_RE.match(word))
        or any(ch.isdigit() or ch.isascii() for ch in word)
    )


def spread_words(
    doc_freq: np.ndarray,
    sizes: np.ndarray,
    vocabulary: Sequence[str] | np.ndarray,
    *,
    min_rate: float = 0.03,
    max_ratio: float = 1.6,
) -> frozenset[str]:
    """Words this run spreads evenly over its themes (generic here, however specific they look).

    ``doc_freq``: themes × words matrix of how many of each theme's opinions contain the word;
    ``sizes``: opinions per theme. A word is spread when it is in at least ``min_rate`` of all
    opinions and no theme holds it at more than ``max_ratio`` times its overall rate (a word of
    one theme out of seven reaches about 7×). Needs three themes or more, else returns nothing.
    """
    doc_freq = np.asarray(doc_freq, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    keep = sizes > 0
    if keep.sum() < 3 or doc_freq.size == 0:
        return frozenset()
    doc_freq, sizes = doc_freq[keep], sizes[keep]
    overall = doc_freq.sum(axis=0) / sizes.sum()
    rates = doc_freq / sizes[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rates.max(axis=0) / overall
    hits = np.flatnonzero((overall >= min_rate) & (ratio <= max_ratio))
    return frozenset(str(vocabulary[int(j)]) for j in hits)


def content_runs(tokenizer: ChineseTokenizer, text: str) -> list[list[str]]:
    """Runs of adjacent content words of ``text`` (already normalised); anything that is not a
    content word (punctuation, 的, numbers, stop words, placeholders) ends a run."""
    if tokenizer._tags is None:
        tokenizer._load_lexicon()
    segments = tokenizer._segment(text)
    tokenizer._classify(segments)  # decides keep() once per distinct word
    kept = tokenizer._kept
    runs: list[list[str]] = []
    current: list[str] = []
    for seg in segments:
        if seg in kept and seg not in NEGATIONS:
            current.append(seg)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


class PhraseExtractor:
    """Label-worthy phrases of normalised texts: 1–3 adjacent content words, none unfit, at
    most ``MAX_PHRASE_CHARS`` characters (see the module docstring for the rules).

    Word decisions are cached per extractor: make one per run, not per text."""

    _BAD = "bad"

    def __init__(
        self,
        tokenizer: ChineseTokenizer,
        *,
        unfit: frozenset[str] | None = None,
        generic: frozenset[str] = frozenset(),
    ) -> None:
        self.tokenizer = tokenizer
        self.unfit = unfit_words(tokenizer.data_dir) if unfit is None else unfit
        self.generic = generic
        if tokenizer._tags is None:
            tokenizer._load_lexicon()
        self._tags: dict[str, str] = tokenizer._tags or {}
        self._kind: dict[str, str] = {}
        self._seen: dict[tuple[str, ...], str] = {}  # word n-gram → phrase, "" if unfit

    def _word_kind(self, w: str) -> str:
        kind = self._kind.get(w)
        if kind is None:
            kind = self._BAD if is_unfit_word(w, self.unfit) else self._tags.get(w, "unk")
            self._kind[w] = kind
        return kind

    def _ok(self, words: list[str]) -> bool:
        kinds = [self._word_kind(w) for w in words]
        if self._BAD in kinds or sum(map(len, words)) > MAX_PHRASE_CHARS:
            return False
        if len(words) == 1:
            return kinds[0] in LABEL_POS and words[0] not in self.generic
        if kinds[0] in _NO_EDGE_POS or kinds[-1] in _NO_END_POS:
            return False
        if all(w in self.generic for w in words):
            return False
        return any(k in _PHRASE_HEAD_POS for k in kinds)

    def __call__(self, text: str) -> set[str]:
        found: set[str] = set()
        seen = self._seen
        for run in content_runs(self.tokenizer, text):
            for n in range(1, MAX_PHRASE_WORDS + 1):
                for start in range(0, len(run) - n + 1):
                    words = tuple(run[start : start + n])
                    phrase = seen.get(words)
                    if phrase is None:
                        phrase = "".join(words) if self._ok(list(words)) else ""
                        seen[words] = phrase
                    if phrase:
                        found.add(phrase)
        return found


def phrase_candidates(
    tokenizer: ChineseTokenizer,
    text: str,
    *,
    unfit: frozenset[str] | None = None,
    generic: frozenset[str] = frozenset(),
) -> set[str]:
    """Label-worthy phrases of one normalised text (one-off use of :class:`PhraseExtractor`)."""
    return PhraseExtractor(tokenizer, unfit=unfit, generic=generic)(text)


@dataclass(frozen=True)
class LabelCandidate:
    """A phrase with its share of the theme's opinions and its specificity to the theme."""

    phrase: str
    coverage: float  # share of the theme's (sampled) opinions that contain the phrase
    specificity: float  # coverage / (coverage + highest coverage in another theme)
    score: float


def rank_phrases(
    theme_phrases: Sequence[Iterable[set[str]]],
    theme_texts: Sequence[Sequence[str]] | None = None,
    *,
    min_count: int = 2,
    rescore_top: int = 40,
) -> list[list[LabelCandidate]]:
    """Candidates of every theme, best first.

    ``theme_phrases[g]`` is one phrase set per (sampled) opinion of theme ``g``. A candidate
    must be in at least ``min_count`` opinions of its theme (all of a theme of one).

    With ``theme_texts`` (the same opinions' normalised texts), the ``rescore_top`` best
    candidates of each theme, and the longer phrases containing them, are scored again by
    whether the phrase occurs anywhere in the text: 垃圾 then also counts 垃圾桶, 垃圾房 and
    垃圾分类, as a reader would count it."""
    counters: list[Counter[str]] = []
    sizes: list[int] = []
    for docs in theme_phrases:
        c: Counter[str] = Counter()
        m = 0
        for phrases in docs:
            c.update(phrases)
            m += 1
        counters.append(c)
        sizes.append(m)
    out: list[list[LabelCandidate]] = []
    for g, c in enumerate(counters):
        size = max(sizes[g], 1)
        need = min(min_count, size)
        cands = []
        for phrase, count in c.items():
            if count < need:
                continue
            cov = count / size
            elsewhere = max(
                (
                    counters[h][phrase] / sizes[h]
                    for h in range(len(counters))
                    if h != g and sizes[h]
                ),
                default=0.0,
            )
            spec = cov / (cov + elsewhere)
            cands.append(LabelCandidate(phrase, cov, spec, cov * spec * spec))
        cands.sort(key=lambda x: (-x.score, -len(x.phrase), x.phrase))
        out.append(cands)
    if theme_texts is None:
        return out
    return [_rescore(g, cands, theme_texts, rescore_top) for g, cands in enumerate(out)]


def _rescore(
    g: int, cands: list[LabelCandidate], theme_texts: Sequence[Sequence[str]], top: int
) -> list[LabelCandidate]:
    head = cands[:top]
    longer = [c for c in cands[top:] if any(h.phrase in c.phrase for h in head[:5])]
    rescored = []
    for c in head + longer:
        rates = [
            sum(c.phrase in t for t in texts) / len(texts) if len(texts) else 0.0
            for texts in theme_texts
        ]
        cov = rates[g]
        if cov == 0:
            continue
        elsewhere = max((r for h, r in enumerate(rates) if h != g), default=0.0)
        spec = cov / (cov + elsewhere)
        rescored.append(LabelCandidate(c.phrase, cov, spec, cov * spec * spec))
    rescored.sort(key=lambda x: (-x.score, -len(x.phrase), x.phrase))
    return rescored


def _lengthen(
    best: LabelCandidate, cands: list[LabelCandidate], keep_share: float
) -> LabelCandidate:
    """The longest phrase containing ``best`` that keeps ``keep_share`` of its coverage and
    most of its specificity (电梯 → 加装电梯 → 加装电梯费用 only while residents write it)."""
    chosen = best
    for c in cands:
        if (
            best.phrase in c.phrase
            and len(c.phrase) > len(chosen.phrase)
            and c.coverage >= keep_share * best.coverage
            and c.specificity >= 0.9 * best.specificity
        ):
            chosen = c
    return chosen


def choose_labels(
    ranked: Sequence[list[LabelCandidate]],
    *,
    order: Sequence[int] | None = None,
    taken: Iterable[str] = (),
    keep_share: float = 0.5,
    fallback: str = "未命名主题",
) -> list[str]:
    """One distinct label per theme from :func:`rank_phrases` output.

    Themes are served in ``order`` (default: as given; pass largest first so the biggest
    theme gets its best phrase); a label already used (or in ``taken``, e.g. the committee's
    theme names) moves a theme to its next candidate, and a theme with none left gets
    ``fallback`` numbered （2）, （3） ….
    """
    used = set(taken)
    labels = [""] * len(ranked)
    for g in order if order is not None else range(len(ranked)):
        cands = ranked[g]
        label = ""
        for i, best in enumerate(cands):
            if (
                best.specificity < 0.5
                and i < len(cands) - 1
                and any(c.specificity >= 0.5 for c in cands[i + 1 :])
            ):
                continue  # a phrase more common in another theme does not name this one
            pick = _lengthen(best, cands, keep_share)
            if pick.phrase not in used:
                label = pick.phrase
                break
            if best.phrase not in used:
                label = best.phrase
                break
        if not label:
            base = fallback
            label, n = base, 2
            while label in used:
                label = f"{base}（{n}）"
                n += 1
        used.add(label)
        labels[g] = label
    return labels
