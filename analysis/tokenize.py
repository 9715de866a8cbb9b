"""Chinese word segmentation for opinions.

``ChineseTokenizer`` owns its segmenter (never jieba's process-wide one), loads the user
dictionary of neighbourhood-governance terms in ``data/userdict.txt`` and filters tokens:

- stop words: stopwordsiso's ``zh`` list minus negations, plus ``data/stopwords_domain.txt``
  (greetings and complaint boilerplate such as 您好, 尊敬的, 领导, 希望, 反映);
- part of speech: numbers (``m``, ``mq``), person names (``nr``, ``nrfg``, ``nrt``),
  punctuation/unknown symbols (``x``) and function words (``u*``, ``p``, ``c``, ``e``, ``y``, ``o``);
- shape: tokens with digits or ASCII letters mixed with digits (masked names such as ``A3区``
  pieces and ``A000102948``), single ASCII letters, single characters, pure punctuation.

Engines: ``"rjieba"`` (jieba-rs binding, same dictionary and algorithm, ~20x faster, has
part-of-speech tagging) or ``"jieba"`` (a private ``jieba.Tokenizer`` with its cache file in
``cache_dir``). ``"auto"`` picks rjieba when it is installed. Both give the same tokens on the
test corpus (``tests/analysis/test_tokenize.py``).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.redact import PII_LABELS

__all__ = ["ChineseTokenizer", "DATA_DIR", "WordCounts", "load_user_dict", "load_stopwords"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

NEGATIONS = frozenset(
    {"不", "没", "没有", "未", "无", "别", "不能", "不要", "不让", "不会", "不是", "不再", "不得"}
)
DROP_POS = frozenset(
    {
        "m",
        "mq",
        "q",
        "nr",
        "nrfg",
        "nrt",
        "x",
        "uj",
        "ul",
        "uz",
        "ug",
        "uv",
        "ud",
        "u",
        "p",
        "c",
        "e",
        "y",
        "o",
        "w",
    }
)
_HAN_RE = re.compile(r"[\u3400-\u9fff]")
# Digits, ASCII punctuation inside a token (e-mail, baidu.com: the engines split those
# differently), lone letters and pure symbols.
_BAD_SHAPE_RE = re.compile(r"[0-9._\-/:@]|^[A-Za-z]$|^[^\w]+$")
# Publisher-masked place names (A市, A3区, C1区, D12市) are removed with their suffix before
# segmentation, otherwise the HMM glues the suffix to the next word (区云塘).
# Dotted/dashed ASCII runs (baidu.com, e-mail, 2019-3-1) are removed too: they carry no theme
# and the two engines split them differently.
# Redaction placeholders ([手机号], [门牌号] … from analysis.redact) are removed the same way:
# they say that something was hidden, not what an opinion is about.
_PLACEHOLDER_RE = "[\\[【](?:" + "|".join(sorted(PII_LABELS.values())) + ")[\\]】]"
# The lookahead names every possible first character, so the engine skips the Chinese text
# between matches without trying each alternative at each position (same matches; 100k short
# opinions: 0.31 s → 0.18 s).
_MASKED_PLACE_RE = re.compile(
    r"(?=[A-Za-z0-9\[【])(?:[A-Z][0-9]{0,3}[省市区县镇乡村]|[A-Za-z0-9]+(?:[.\-@_/:][A-Za-z0-9]+)+|"
    + _PLACEHOLDER_RE
    + ")"
)


PARALLEL_MIN_TEXTS = 20000
COUNT_CHUNK_TEXTS = 5000  # texts per counting chunk: bounds memory, unit of parallel work
_WORKER: ChineseTokenizer | None = None


@dataclass
class WordCounts:
    """Cleaned texts and their content-word counts (``counts[i, j]`` = occurrences of
    ``vocabulary[j]`` in text ``i``); the vocabulary is sorted, as scikit-learn's is."""

    clean: list[str]
    vocabulary: list[str]
    counts: sp.csr_matrix


def _tokenize_chunk(tk: ChineseTokenizer, texts: list[str]) -> list[list[str]]:
    return [tk.tokenize(t) for t in texts]


def _count_chunk(
    tk: ChineseTokenizer, texts: list[str]
) -> tuple[list[str], list[str], sp.csr_matrix]:
    return tk._count_chunk(texts)


def _in_worker(work: Callable[[ChineseTokenizer, list[str]], Any], texts: list[str]) -> Any:
    """Run ``work`` with the tokenizer the forked worker inherited."""
    assert _WORKER is not None
    return work(_WORKER, texts)


@functools.lru_cache(maxsize=1)
def _jieba_dictionary_tags() -> dict[str, str]:
    """Part of speech of every word in jieba's dict.txt (read once per process, ~0.5 s)."""
    import importlib.util

    # find jieba's dictionary without importing jieba (its import costs ~0.3 s; rjieba
    # segments and jieba is only the source of the tags)
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.origin is not None
    dict_path = Path(spec.origin).resolve().parent / "dict.txt"
    text = dict_path.read_text(encoding="utf-8")
    fields = text.split()
    if len(fields) == 3 * text.count("\n") and text.endswith("\n"):
        # every line is "word freq tag": slice the fields instead of a Python loop over
        # 350,000 lines (~0.6 s → ~0.15 s, paid by every run of consult themes)
        return dict(zip(fields[0::3], fields[2::3], strict=True))
    tags: dict[str, str] = {}
    with open(dict_path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3:
                tags[parts[0]] = parts[2]
            elif parts:
                tags[parts[0]] = "n"
    return tags


def _effective_jobs(n_jobs: int, n_texts: int) -> int:
    import multiprocessing as mp
    import os

    if n_jobs == -1:
        n_jobs = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)
        )
    if n_jobs <= 1 or n_texts < PARALLEL_MIN_TEXTS or "fork" not in mp.get_all_start_methods():
        return 1
    return n_jobs


def load_user_dict(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Parse a jieba user dictionary (``word [freq] [tag]`` per line, ``#`` comments)."""
    entries: list[tuple[str, int | None, str | None]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word, freq, tag = parts[0], None, None
        for part in parts[1:]:
            if part.isdigit():
                freq = int(part)
            else:
                tag = part
        entries.append((word, freq, tag))
    return entries


def load_stopwords(data_dir: Path) -> frozenset[str]:
    """stopwordsiso ``zh`` minus negations, plus the domain list in ``data_dir``."""
    words: set[str] = set()
    try:
        import stopwordsiso

        words |= set(stopwordsiso.stopwords("zh"))
    except Exception:  # pragma: no cover - optional dependency missing
        pass
    domain = data_dir / "stopwords_domain.txt"
    if domain.exists():
        for raw in domain.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                words.add(line)
    return frozenset(words - NEGATIONS)


_NEWLINE_CODE = -2


class _Interner(dict):
    """Column codes of :meth:`ChineseTokenizer._count_chunk`; a missing word is classified
    once (same decision as :meth:`ChineseTokenizer.keep`) and remembered."""

    def __init__(self, tokenizer: ChineseTokenizer) -> None:
        super().__init__({"\n": _NEWLINE_CODE})
        self._tk = tokenizer

    def __missing__(self, word: str) -> int:
        tk = self._tk
        if tk.keep(word):
            code = len(tk._code_words)
            tk._code_words.append(word)
        else:
            code = -1
        self[word] = code
        return code


class ChineseTokenizer:
    """Segment Chinese opinions into content words.

    Parameters
    ----------
    data_dir:
        Folder with ``userdict.txt`` and ``stopwords_domain.txt`` (default: the repository's
        ``data/``).
    cache_dir:
        Where jieba may write its dictionary cache (``jieba.cache``); default: a
        ``yishiting-jieba`` folder in the system temporary directory.
    engine:
        ``"auto"`` (rjieba when installed, else jieba), ``"rjieba"`` or ``"jieba"``.
    min_length:
        Shortest token kept, in characters (2 drops single characters such as 的/市/区).
    """

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        engine: str = "auto",
        min_length: int = 2,
    ) -> None:
        if engine not in {"auto", "rjieba", "jieba"}:
            raise ValueError(f"unknown engine {engine!r}: use 'auto', 'rjieba' or 'jieba'")
        self.data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.engine = engine
        self.min_length = min_length
        self._seg: Any = None  # rjieba.Jieba or jieba.Tokenizer, created lazily (~1 s)
        self._engine_used: str | None = None
        self._stopwords: frozenset[str] | None = None
        self._tags: dict[str, str] | None = None
        self._drop: frozenset[str] = frozenset()
        self._subword_cache: dict[str, tuple[str, ...]] = {}
        self._kept: dict[str, str] = {}
        self._rejected: set[str] = set()
        self._codes: _Interner | None = None
        self._code_words: list[str] = []

    # -- set-up -----------------------------------------------------------------------------
    @property
    def engine_(self) -> str:
        """The engine actually in use (``"rjieba"`` or ``"jieba"``)."""
        self._ensure()
        assert self._engine_used is not None
        return self._engine_used

    @property
    def stopwords(self) -> frozenset[str]:
        if self._stopwords is None:
            self._stopwords = load_stopwords(self.data_dir)
        return self._stopwords

    def _user_words(self) -> list[tuple[str, int | None, str | None]]:
        path = self.data_dir / "userdict.txt"
        return load_user_dict(path) if path.exists() else []

    def _ensure(self) -> None:
        if self._seg is not None:
            return
        engine = self.engine
        if engine == "auto":
            try:
                import rjieba  # noqa: F401

                engine = "rjieba"
            except ImportError:  # pragma: no cover
                engine = "jieba"
        if engine == "rjieba":
            import rjieba

            seg = rjieba.Jieba()
            for word, freq, tag in self._user_words():
                seg.add_word(word, freq, tag)
        else:
            seg = self._make_jieba()
        self._seg = seg
        self._engine_used = engine

    def _make_jieba(self):  # type: ignore[no-untyped-def]
        import jieba

        cache_dir = self.cache_dir or Path(tempfile.gettempdir()) / "yishiting-jieba"
        cache_dir.mkdir(parents=True, exist_ok=True)
        tk = jieba.Tokenizer()
        tk.tmp_dir = str(cache_dir)
        # jieba logs "Building prefix dict ..." at DEBUG on its own handler; keep it quiet.
        logger = logging.getLogger("jieba")
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            tk.initialize()
        finally:
            logger.setLevel(level)
        for word, freq, tag in self._user_words():
            tk.add_word(word, freq, tag)
        return tk

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_seg"] = None  # segmenters are rebuilt in the receiving process
        state["_engine_used"] = None
        state["_tags"] = None
        state["_drop"] = frozenset()
        state["_kept"] = {}
        state["_rejected"] = set()
        state["_codes"] = None
        state["_code_words"] = []
        state["_subword_cache"] = {}
        return state

    # -- segmentation -----------------------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        """All segments of ``text`` (no filtering), HMM on for unknown words."""
        self._ensure()
        if not text:
            return []
        if self._engine_used == "rjieba":
            return self._seg.cut(text, True)
        return list(self._seg.cut(text, HMM=True))

    def _load_lexicon(self) -> None:
        """Part of speech of every dictionary word, from jieba's dict.txt plus the user dict.

        Both engines segment identically but tag unknown (HMM-found) words differently, so
        tagging is done here, the same way for both: dictionary words get their dictionary
        tag, unknown words get ``"unk"``. Only the set of words to drop and the set of known
        words are kept.
        """
        tags = dict(_jieba_dictionary_tags())
        for word, _freq, tag in self._user_words():
            tags[word] = tag or tags.get(word, "n")
        self._tags = tags
        self._drop = frozenset(w for w, t in tags.items() if t in DROP_POS)

    def tag(self, text: str) -> list[tuple[str, str]]:
        """``(word, part_of_speech)`` pairs: dictionary tag, ``"unk"`` for unknown words."""
        if self._tags is None:
            self._load_lexicon()
        tags = self._tags
        assert tags is not None
        return [(w, tags.get(w, "unk")) for w in self.cut(text)]

    def is_known(self, word: str) -> bool:
        """Whether ``word`` is in the dictionary (jieba's or ours), not an HMM guess."""
        if self._tags is None:
            self._load_lexicon()
        return word in self._tags  # type: ignore[operator]

    def keep(self, word: str) -> bool:
        """Whether a segment is a content word worth counting."""
        if self._tags is None:
            self._load_lexicon()
        return not (
            len(word) < self.min_length
            or word in self.stopwords
            or word in self._drop
            or _BAD_SHAPE_RE.search(word)
        )

    def tokenize(self, text: str) -> list[str]:
        """Content words of ``text`` in order (stop words, numbers, names, symbols removed)."""
        if not text:
            return []
        if self._tags is None:
            self._load_lexicon()
        words = self._segment(text)
        self._classify(words)
        kept = self._kept
        return [kept[w] for w in words if w in kept]

    def _segment(self, text: str) -> list[str]:
        """Segments of ``text`` once publisher-masked places and dotted ASCII runs are gone."""
        return self.cut(_MASKED_PLACE_RE.sub(" ", text))

    def _classify(self, words: Iterable[str]) -> None:
        """Decide :meth:`keep` for each word not seen before, into ``_kept`` / ``_rejected``.

        Each distinct word is classified once per tokenizer (set operations run in C); the
        per-word Python checks were the largest cost after segmentation. ``_kept`` maps a word
        to one canonical string object, so that 100k token lists share their strings instead
        of holding ~10M separate copies (~0.5 GB at 100k opinions)."""
        kept, rejected = self._kept, self._rejected
        new = set(words)
        new -= rejected  # set - set: cost of the small side
        for w in new:
            if w in kept:
                continue
            if self.keep(w):
                kept[w] = w
            else:
                rejected.add(w)

    def _interner(self) -> _Interner:
        """Word → column code (kept words 0, 1, 2 … in first-seen order; ``-1`` rejected;
        ``_NEWLINE_CODE`` for the newline that separates texts), filled as words are met."""
        if self._codes is None:
            self._codes = _Interner(self)
        return self._codes

    def tokenize_for_search(self, text: str) -> list[str]:
        """Like :meth:`tokenize`, but long words also yield their dictionary sub-words
        (``费用分摊`` → ``费用``, ``分摊``, ``费用分摊``), for matching short queries."""
        if not text:
            return []
        self._ensure()
        if self._tags is None:
            self._load_lexicon()
        text = _MASKED_PLACE_RE.sub(" ", text)
        if self._engine_used == "rjieba":
            words = self._seg.cut_for_search(text, True)
        else:
            words = self._seg.cut_for_search(text, HMM=True)
        return [w for w in words if self.keep(w)]

    def subwords(self, word: str) -> tuple[str, ...]:
        """Dictionary content words inside a longer word (``垃圾分类`` → ``垃圾``, ``分类``).

        Used as extra features so that 垃圾桶, 垃圾房 and 垃圾分类 share something; no second
        segmentation is needed (memoised per distinct word)."""
        got = self._subword_cache.get(word)
        if got is not None:
            return got
        if self._tags is None:
            self._load_lexicon()
        found: list[str] = []
        n = len(word)
        if n >= 3:
            for size in range(n - 1, 1, -1):
                for start in range(0, n - size + 1):
                    piece = word[start : start + size]
                    if piece in self._tags and piece not in found and self.keep(piece):  # type: ignore[operator]
                        found.append(piece)
        result = tuple(found)
        self._subword_cache[word] = result
        return result

    def tokenize_many(self, texts: Sequence[str], *, n_jobs: int = 1) -> list[list[str]]:
        """Tokenise many texts; identical texts are segmented once and share one list.

        ``n_jobs > 1`` splits the distinct texts over that many forked worker processes when
        there are at least ``PARALLEL_MIN_TEXTS`` of them (POSIX only; serial elsewhere).
        """
        keys = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        unique = list(dict.fromkeys(keys))
        size = max(500, len(unique) // (max(n_jobs, 1) * 4) + 1)
        chunks = [unique[i : i + size] for i in range(0, len(unique), size)]
        parts = self._map_chunks(_tokenize_chunk, chunks, n_jobs, len(unique))
        memo = dict(zip(unique, (t for part in parts for t in part), strict=True))
        return [memo[k] for k in keys]

    def _map_chunks(
        self,
        work: Callable[[ChineseTokenizer, list[str]], Any],
        chunks: list[list[str]],
        n_jobs: int,
        n_texts: int,
    ) -> list[Any]:
        """``[work(self, chunk) for chunk in chunks]``, in forked processes when ``n_jobs`` and
        ``n_texts`` call for it (see ``_effective_jobs``)."""
        global _WORKER
        self._ensure()
        if self._tags is None:
            self._load_lexicon()
        n_jobs = _effective_jobs(n_jobs, n_texts)
        if n_jobs <= 1:
            return [work(self, chunk) for chunk in chunks]
        import multiprocessing as mp

        _WORKER = self  # inherited by the forked workers: no dictionary reload
        try:
            with mp.get_context("fork").Pool(n_jobs) as pool:
                return pool.map(functools.partial(_in_worker, work), chunks, chunksize=1)
        finally:
            _WORKER = None

    def count_words(self, texts: Sequence[str], *, n_jobs: int = 1) -> WordCounts:
        """``normalize_text`` each text, segment it and count its content words.

        The same words as :meth:`tokenize` are counted, but the per-word decisions (stop
        word, part of speech, shape) are taken once per distinct word of a chunk instead of
        once per occurrence, and no token lists are kept: for 100k opinions this is most of
        the cost after segmentation. Identical texts are processed once. ``n_jobs > 1``
        spreads chunks over forked workers from ``PARALLEL_MIN_TEXTS`` distinct texts on.
        """
        keys = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        unique = list(dict.fromkeys(keys))
        chunks = [
            unique[i : i + COUNT_CHUNK_TEXTS] for i in range(0, len(unique), COUNT_CHUNK_TEXTS)
        ]
        parts = self._map_chunks(_count_chunk, chunks, n_jobs, len(unique))
        clean_u, vocabulary, counts_u = _merge_counts(parts)
        if len(unique) == len(keys):
            return WordCounts(clean_u, vocabulary, counts_u)
        position = {t: i for i, t in enumerate(unique)}
        rows = np.fromiter((position[k] for k in keys), dtype=np.int64, count=len(keys))
        return WordCounts([clean_u[r] for r in rows], vocabulary, counts_u[rows])

    def _count_chunk(self, texts: list[str]) -> tuple[list[str], list[str], sp.csr_matrix]:
        from analysis.normalize import normalize_many

        clean = normalize_many(texts)
        if any("\n" in t for t in clean):  # not produced by normalize_many; be exact anyway
            segment = self._segment
            segments = [segment(t) if t else [] for t in clean]
            lengths = np.fromiter(map(len, segments), dtype=np.int64, count=len(segments))
            flat = list(itertools.chain.from_iterable(segments))
            del segments
            rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        else:
            # One segmenter call for the whole chunk: cleaned texts hold no newline, and the
            # segmenter cuts every text block on its own and returns a newline as a token of
            # its own, so the newlines mark where each text's words start (same segments as
            # one call per text; 100k short texts: ~1.5 s less in per-call overhead).
            flat = self._segment("\n".join(clean))
            rows = None
        if not flat:
            return clean, [], sp.csr_matrix((len(texts), 0), dtype=np.float32)
        # Every segment becomes its column code by one dict lookup in C (``map`` over the
        # interner's ``__getitem__``); only a word never seen by this tokenizer runs Python
        # (its keep/reject decision).
        codes = np.array(list(map(self._interner().__getitem__, flat)), dtype=np.int64)
        del flat
        if rows is None:
            rows = np.cumsum(codes == _NEWLINE_CODE)
        take = codes >= 0
        kept_codes = codes[take]
        present = np.zeros(len(self._code_words), dtype=bool)
        present[kept_codes] = True
        used = np.flatnonzero(present)  # this chunk's words, as columns 0, 1, 2 …
        col = (np.cumsum(present) - 1)[kept_codes]
        counts = sp.csr_matrix(
            (np.ones(len(col), dtype=np.float32), (rows[take], col)),
            shape=(len(texts), len(used)),
        )
        counts.sum_duplicates()
        words = self._code_words
        return clean, [words[c] for c in used.tolist()], counts

    def iter_tokens(self, texts: Iterable[str]) -> Iterable[list[str]]:
        """Lazy version of :meth:`tokenize_many` without sharing."""
        for text in texts:
            yield self.tokenize(text)


def _merge_counts(
    parts: list[tuple[list[str], list[str], sp.csr_matrix]],
) -> tuple[list[str], list[str], sp.csr_matrix]:
    """Stack per-chunk counts on one sorted vocabulary."""
    import pandas as pd

    vocabulary = sorted(set().union(*(set(v) for _, v, _ in parts))) if parts else []
    column = pd.Index(vocabulary, dtype=object)  # hashed lookups in C, not a Python loop
    clean: list[str] = []
    blocks = []
    for chunk_clean, words, counts in parts:
        clean.extend(chunk_clean)
        remap = column.get_indexer(pd.Index(words, dtype=object)).astype(np.int64)
        block = sp.csr_matrix(
            (counts.data, remap[counts.indices] if len(words) else counts.indices, counts.indptr),
            shape=(counts.shape[0], len(vocabulary)),
        )
        block.sort_indices()
        blocks.append(block)
    if not blocks:
        return clean, vocabulary, sp.csr_matrix((0, 0), dtype=np.float32)
    return clean, vocabulary, sp.vstack(blocks, format="csr").astype(np.float32)
