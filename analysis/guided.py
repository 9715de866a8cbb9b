"""Guided themes: the committee names themes, types keywords and confirms assignments.

:class:`GuidedThemes` assigns every opinion to one of the committee's themes with a confidence,
and :meth:`GuidedThemes.suggest` picks the unanswered opinions the committee should confirm
next (uncertainty sampling). The rule that chooses is the margin of the *same* model that is
trained: picks chosen by one learner's uncertainty were nearly useless for training another
(0.18–0.57 macro-F1 on the dev data, see ``docs/decisions/0010-guided-themes-active-learning.md``).

The learner, in steps:

1. **seed prior** – each theme's name and keywords select vocabulary words (the word itself,
   or words containing it: 噪音 → 噪音扰民; a keyword found nowhere is tokenised); an opinion's
   prior score for a theme is the TF-IDF weight of those words in it.
2. **linear model** – a linear SVM (``LinearSVC``) on TF-IDF + LSA features, trained on the
   committee's answers, one pseudo-document per theme made of its keywords, and the opinions the
   seed prior is most sure of (first round) or the model itself is most sure of (later rounds:
   self-training on a share of each theme's confident opinions).
3. **answers win** – an opinion the committee put in a theme stays there (confidence 1); one
   it said is *not* in a theme never gets that theme.

With evidence for a single theme only, the linear model cannot be trained; then the learner is
the similarity to that theme's centre (``learner_ == "centroid"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from analysis.io import InputError, read_table
from analysis.tokenize import ChineseTokenizer

__all__ = ["Answer", "GuidedThemes", "parse_keywords", "read_seed_words"]

_KEYWORD_SPLIT = re.compile(r"[、,，;；/\s]+")


def parse_keywords(text: str) -> list[str]:
    """Keywords typed by a person: separated by 、 ， , ； or spaces; empties and repeats dropped."""
    out: list[str] = []
    for w in _KEYWORD_SPLIT.split(text or ""):
        w = w.strip()
        if w and w not in out:
            out.append(w)
    return out


_THEME_COLUMNS = ("theme", "主题")
_KEYWORD_COLUMNS = ("keywords", "关键词")


def read_seed_words(path: Path) -> dict[str, list[str]]:
    """Committee themes and their keywords from a CSV/xlsx with columns ``theme`` and
    ``keywords`` (or 主题 / 关键词); keywords separated by 、 or spaces. Rows naming the same
    theme are merged; the file's order is kept. Raises :class:`InputError` (one Chinese line)
    for an unreadable file, a missing column or a file naming no theme."""
    try:
        df = read_table(Path(path))
    except InputError as exc:
        raise InputError(f"种子词文件：{exc}") from None
    columns = {str(c).strip().lower(): c for c in df.columns}
    found = []
    for options in (_THEME_COLUMNS, _KEYWORD_COLUMNS):
        match = next((columns[o] for o in options if o in columns), None)
        if match is None:
            available = "、".join(map(str, df.columns))
            raise InputError(
                f"种子词文件 {Path(path).name} 缺少列“{options[0]}”（需要 theme 和 keywords 两列）。"
                f"可用的列：{available}"
            )
        found.append(match)
    out: dict[str, list[str]] = {}
    for theme, keywords in zip(df[found[0]].tolist(), df[found[1]].tolist(), strict=True):
        name = "" if theme is None or theme != theme else str(theme).strip()
        if not name:
            continue
        words = out.setdefault(name, [])
        text = "" if keywords is None or keywords != keywords else str(keywords)
        words.extend(w for w in parse_keywords(text) if w not in words)
    if not out:
        raise InputError(f"种子词文件 {Path(path).name} 没有列出任何主题：theme 列全为空")
    return out


@dataclass(frozen=True)
class Answer:
    """A committee answer about one opinion (row index into the fitted texts).

    ``belongs=True``: the opinion is in ``theme`` (属于「…」, or 改到「…」 for the new theme).
    ``belongs=False``: it is not in ``theme`` (不属于).
    """

    row: int
    theme: str
    belongs: bool = True


class GuidedThemes:
    """Assign opinions to committee-named themes and choose which ones to confirm next.

    Parameters
    ----------
    random_state:
        Seed for the linear model (same input and seed give the same output).
    tokenizer:
        Shared :class:`ChineseTokenizer` (only used by :meth:`fit` and for keywords that are not
        vocabulary words).
    C:
        Regularisation of the linear SVM.
    lsa_weight:
        Weight of the LSA (dense topic) part of the features beside TF-IDF; it lets few answers
        generalise beyond their exact words.
    self_train_iter:
        Training rounds; round 1 learns from the seed prior's confident opinions, later rounds
        from the model's own.
    self_train_fraction:
        Share of each theme's predicted opinions (most confident first) used as pseudo-labels.
    seed_examples:
        Pseudo-labels per theme taken from the seed prior in round 1.
    pseudo_weight, keyword_weight:
        Sample weights of pseudo-labelled opinions and keyword pseudo-documents (answers: 1).
    temperature:
        Scale of the SVM decision values before the softmax that gives probabilities.
    answer_weight:
        Sample weight of the committee's answers (2 or 3 helped at 70 answers, 0.82 vs 0.80,
        but hurt at 140, 0.82–0.83 vs 0.84: bench/RESULTS.md, "#16 Final round").
    """

    def __init__(
        self,
        *,
        random_state: int = 0,
        tokenizer: ChineseTokenizer | None = None,
        C: float = 1.0,
        lsa_weight: float = 0.5,
        self_train_iter: int = 4,
        self_train_fraction: float = 0.8,
        seed_examples: int = 30,
        pseudo_weight: float = 0.2,
        keyword_weight: float = 3.0,
        temperature: float = 3.0,
        answer_weight: float = 1.0,
    ) -> None:
        self.random_state = random_state
        self.tokenizer = tokenizer
        self.C = C
        self.lsa_weight = lsa_weight
        self.self_train_iter = self_train_iter
        self.self_train_fraction = self_train_fraction
        self.seed_examples = seed_examples
        self.pseudo_weight = pseudo_weight
        self.keyword_weight = keyword_weight
        self.temperature = temperature
        self.answer_weight = answer_weight

    # ------------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        seeds: Mapping[str, Sequence[str]] | None = None,
        answers: Sequence[Answer] = (),
    ) -> GuidedThemes:
        """Tokenise and vectorise ``texts`` as :class:`~analysis.themes.ThemeModel` does, then
        :meth:`fit_features`. ``seeds``: theme name → keywords (a theme may have none)."""
        from analysis.themes import ThemeModel

        tm = ThemeModel(random_state=self.random_state, tokenizer=self.tokenizer)
        tm.tokenizer_ = self.tokenizer or ChineseTokenizer()
        self.tokenizer = tm.tokenizer_
        texts = ["" if t is None else str(t) for t in texts]
        _clean, counts, names = tm._tokenize(texts)
        _counts, X, Z = tm._vectorize(counts, names)
        return self.fit_features(X, Z, list(tm.vocabulary_), seeds, answers)

    def fit_features(
        self,
        X: sp.csr_matrix,
        Z: np.ndarray,
        vocabulary: Sequence[str],
        seeds: Mapping[str, Sequence[str]] | None = None,
        answers: Sequence[Answer] = (),
    ) -> GuidedThemes:
        """Fit on precomputed features: ``X`` row-normalised TF-IDF (n × V) over
        ``vocabulary``, ``Z`` row-normalised LSA vectors (n × d, may have 0 columns).

        Themes are the names in ``seeds`` (in order), then theme names first met in
        ``answers``. Sets ``themes_`` (names), ``proba_`` (n × themes), ``labels_`` (theme
        index per opinion, −1 for opinions without any feature), ``confidence_`` (probability
        of the assigned theme, 1 for confirmed ones), ``margin_`` (top minus second
        probability), ``learner_`` (``"linear"``, ``"centroid"`` or ``"none"``) and
        ``answered_`` (rows the committee answered about)."""
        n = X.shape[0]
        seeds = dict(seeds or {})
        names: list[str] = []
        for name in list(seeds) + [a.theme for a in answers]:
            name = str(name).strip()
            if name and name not in names:
                names.append(name)
        index = {t: i for i, t in enumerate(names)}
        T = len(names)
        for a in answers:
            if not 0 <= a.row < n:
                raise ValueError(f"answer for row {a.row}, but only {n} opinions")
        # the latest answer about a row decides its theme; rejections accumulate
        positive: dict[int, int] = {}
        rejected = np.zeros((n, T), dtype=bool)
        for a in answers:
            t = index[str(a.theme).strip()]
            if a.belongs:
                positive[a.row] = t
                rejected[a.row, t] = False
            else:
                rejected[a.row, t] = True
                if positive.get(a.row) == t:
                    del positive[a.row]
        self.themes_ = names
        self.answered_ = np.zeros(n, dtype=bool)
        self.answered_[[a.row for a in answers]] = True
        self._positive = positive
        has_words = np.asarray(X.getnnz(axis=1) > 0).ravel() if n else np.zeros(0, bool)
        self._has_words = has_words

        K = self._keyword_matrix(seeds, names, vocabulary)
        prior = (X @ K.T).toarray() if T else np.zeros((n, 0))
        F = self._features(X, Z)
        rows = np.array(sorted(positive), dtype=int)
        labels_known = np.array([positive[i] for i in rows], dtype=int)
        with_evidence = set(labels_known.tolist()) | {t for t in range(T) if K[t].nnz}
        if T == 0 or n == 0:
            P = np.zeros((n, T))
            self.learner_ = "none"
        elif len(with_evidence) >= 2:
            self.learner_ = "linear"  # _linear falls back to "centroid" when it must
            P = self._linear(F, K, prior, rows, labels_known, rejected, Z.shape[1])
        else:
            P = self._centroid(F, K, prior, rows, labels_known, T, Z.shape[1])
            self.learner_ = "centroid"
        if T >= 2:
            P = np.where(rejected, 0.0, P)
            total = P.sum(axis=1, keepdims=True)
            # a row rejected from every theme that had probability keeps a uniform rest
            P = np.where(
                total > 0,
                P / np.where(total > 0, total, 1),
                ~rejected / np.maximum((~rejected).sum(axis=1, keepdims=True), 1),
            )
        if T:
            if len(rows):
                P[rows] = 0.0
                P[rows, labels_known] = 1.0
        self.proba_ = P
        if T:
            order = np.sort(P, axis=1)
            top = order[:, -1]
            second = order[:, -2] if T >= 2 else np.zeros(n)
            self.labels_ = np.where(has_words | self._confirmed_mask(n), P.argmax(axis=1), -1)
            self.confidence_ = np.where(self.labels_ >= 0, top, 0.0)
            self.margin_ = np.where(self.labels_ >= 0, top - second, 0.0)
        else:
            self.labels_ = np.full(n, -1, dtype=int)
            self.confidence_ = np.zeros(n)
            self.margin_ = np.zeros(n)
        return self

    def suggest(self, n: int, *, exclude: Sequence[int] = ()) -> list[int]:
        """The ``n`` unanswered opinions to confirm next, least certain first.

        Uncertainty is the margin between the two most probable themes of the fitted model (the
        same learner that the answers will train). Opinions without any feature word, opinions
        the committee already answered about and ``exclude`` are never suggested; ties go to
        the lower row index. Returns fewer rows when fewer are left."""
        if n < 0:
            raise ValueError("n must be ≥ 0")
        if not self.themes_:
            return []
        ok = self._has_words & ~self.answered_
        if len(exclude):
            ok[np.asarray(list(exclude), dtype=int)] = False
        cand = np.flatnonzero(ok)
        order = cand[np.lexsort((cand, self.margin_[cand]))]
        return [int(i) for i in order[:n]]

    def label_names(self) -> list[str | None]:
        """Theme name per opinion (``None`` where no theme could be given)."""
        return [self.themes_[t] if t >= 0 else None for t in self.labels_]

    # -- steps ---------------------------------------------------------------------------
    def _confirmed_mask(self, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        mask[list(self._positive)] = True
        return mask

    def _keyword_matrix(
        self, seeds: Mapping[str, Sequence[str]], names: list[str], vocabulary: Sequence[str]
    ) -> sp.csr_matrix:
        """Theme × vocabulary weights: 1 for a keyword that is a vocabulary word, 0.5 for
        vocabulary words containing it; a keyword matching nothing is tokenised and its words
        are looked up the same way. The theme name counts as a keyword."""
        vocab = [str(v) for v in vocabulary]
        column = {w: j for j, w in enumerate(vocab)}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for t, name in enumerate(names):
            weights: dict[int, float] = {}
            words = [name, *seeds.get(name, ())]
            for kw in words:
                found = self._match(kw, vocab, column)
                if not found and self.tokenizer is not None and kw:
                    for part in self.tokenizer.tokenize(kw):
                        for j, w in self._match(part, vocab, column).items():
                            weights[j] = max(weights.get(j, 0.0), w)
                for j, w in found.items():
                    weights[j] = max(weights.get(j, 0.0), w)
            for j, w in sorted(weights.items()):
                rows.append(t)
                cols.append(j)
                vals.append(w)
        return sp.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(names), len(vocab))
        )

    @staticmethod
    def _match(keyword: str, vocab: list[str], column: dict[str, int]) -> dict[int, float]:
        keyword = str(keyword).strip()
        if not keyword:
            return {}
        found = {j: 0.5 for j, w in enumerate(vocab) if keyword in w and w != keyword}
        if keyword in column:
            found[column[keyword]] = 1.0
        return found

    def _features(self, X: sp.csr_matrix, Z: np.ndarray) -> sp.csr_matrix:
        if Z.shape[1] == 0 or self.lsa_weight == 0:
            return X.tocsr()
        return sp.hstack([X, sp.csr_matrix(Z * self.lsa_weight)], format="csr")

    def _pseudo_docs(self, K: sp.csr_matrix, d: int) -> sp.csr_matrix:
        """One row-normalised keyword document per theme, in feature space (no LSA part)."""
        from sklearn.preprocessing import normalize

        docs = normalize(K)
        if d and self.lsa_weight:
            docs = sp.hstack([docs, sp.csr_matrix((K.shape[0], d), dtype=np.float32)])
        return sp.csr_matrix(docs)

    def _softmax(self, D: np.ndarray) -> np.ndarray:
        E = np.exp(self.temperature * (D - D.max(axis=1, keepdims=True)))
        return E / E.sum(axis=1, keepdims=True)

    def _linear(
        self,
        F: sp.csr_matrix,
        K: sp.csr_matrix,
        prior: np.ndarray,
        rows: np.ndarray,
        labels_known: np.ndarray,
        rejected: np.ndarray,
        d: int,
    ) -> np.ndarray:
        from sklearn.svm import LinearSVC

        n, T = prior.shape
        known = np.zeros(n, dtype=bool)
        known[rows] = True
        has_kw = np.flatnonzero(np.asarray(K.getnnz(axis=1)).ravel() > 0)
        docs = self._pseudo_docs(K, d)[has_kw]
        doc_labels = has_kw
        # round 1 pseudo-labels: the seed prior's clearest opinions (top score, share of it)
        total = prior.sum(axis=1)
        share = np.divide(prior.max(axis=1), total, out=np.zeros(n), where=total > 0)
        pseudo = prior.argmax(axis=1) if T else np.zeros(n, int)
        conf = np.where(total > 0, share * prior.max(axis=1), 0.0)
        P = np.zeros((n, T))
        for it in range(max(1, self.self_train_iter)):
            if it > 0:
                pseudo = P.argmax(axis=1)
                top2 = np.sort(P, axis=1)
                conf = top2[:, -1] - top2[:, -2]
            conf = np.where(rejected[np.arange(n), pseudo], 0.0, conf)
            chosen = []
            for t in range(T):
                cand = np.flatnonzero((pseudo == t) & ~known & (conf > 0) & self._has_words)
                if len(cand) == 0:
                    continue
                cand = cand[np.lexsort((cand, -conf[cand]))]
                m = (
                    min(len(cand), self.seed_examples)
                    if it == 0
                    else max(1, int(self.self_train_fraction * len(cand)))
                )
                chosen.append(cand[:m])
            sel = np.concatenate(chosen) if chosen else np.zeros(0, dtype=int)
            y = np.concatenate([labels_known, pseudo[sel], doc_labels])
            present = np.unique(y)
            if len(present) < 2:
                # one theme only so far (e.g. keywords of one theme, answers of one): centroid
                self.learner_ = "centroid"
                return self._centroid(F, K, prior, rows, labels_known, T, d)
            Xtr = sp.vstack([F[rows], F[sel], docs], format="csr")
            w = np.concatenate(
                [
                    np.full(len(rows), self.answer_weight),
                    np.full(len(sel), self.pseudo_weight),
                    np.full(len(doc_labels), self.keyword_weight),
                ]
            )
            clf = LinearSVC(C=self.C, random_state=self.random_state)
            clf.fit(Xtr, y, sample_weight=w)
            D = clf.decision_function(F)
            if D.ndim == 1:
                D = np.stack([-D, D], axis=1)
            # themes without any training row get no probability
            full = np.full((n, T), -np.inf)
            full[:, clf.classes_] = D
            P = self._softmax(full)
        return P

    def _centroid(
        self,
        F: sp.csr_matrix,
        K: sp.csr_matrix,
        prior: np.ndarray,
        rows: np.ndarray,
        labels_known: np.ndarray,
        T: int,
        d: int,
    ) -> np.ndarray:
        """Cosine similarity to each theme's centre (answers + keyword document), softmaxed."""
        from sklearn.preprocessing import normalize

        docs = self._pseudo_docs(K, d)
        C = np.zeros((T, F.shape[1]))
        for t in range(T):
            parts = [np.asarray(F[rows[labels_known == t]].sum(axis=0)).ravel()]
            parts.append(np.asarray(docs[t].todense()).ravel())
            C[t] = np.sum(parts, axis=0)
        C = normalize(C)
        S = np.asarray(F @ C.T)
        has = np.linalg.norm(C, axis=1) > 0
        if T == 1:  # one theme: the similarity itself is the confidence
            return np.clip(S, 0.0, 1.0)
        S[:, ~has] = -np.inf
        return self._softmax(S * self.temperature)
