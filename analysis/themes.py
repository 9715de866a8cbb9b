"""Themes from many short Chinese opinions (scikit-learn style estimator).

Pipeline (each step a named method of :class:`ThemeModel`):

1. **clean** – :func:`~analysis.normalize.normalize_text`; identical texts are tokenised once.
2. **tokenise** – :class:`~analysis.tokenize.ChineseTokenizer` content words; negations are
   dropped here (they matter for stance, not for topic).
3. **vectorise** – sublinear TF-IDF over words (``min_df``/``max_df`` prune rare and
   boilerplate words), then LSA (truncated SVD, ``n_components``) and L2 normalisation.
4. **cluster** – ``k="auto"``: consensus of 30 k-means runs on kNN-smoothed LSA vectors of a
   sample (co-association, average linkage cut at co-association distance 0.9, number of
   themes kept in [k_min, k_max], see ``_consensus``); a given k: k-means. Then a few rounds
   of Complement Naive Bayes re-assignment on the word counts sharpen the borders.
5. **other** – opinions sharing almost no word with their theme (``min_score``) unless their
   LSA vector is still close to its centre (``other_similarity``), without content words, or
   in themes smaller than ``min_theme_size`` go to an explicit 其他 theme; then an opinion in
   其他 with words rejoins its nearest theme when it is within that theme's spread (mean
   member similarity minus ``other_rescue`` standard deviations, ``_rescue_other``).
6. **describe** – keywords by class-based TF-IDF restricted to dictionary words (no numbers,
   masked names or HMM guesses such as person names) that are not unfit (filler, stance,
   placeholders, words this run spreads evenly over its themes: :mod:`analysis.labels`);
   label = a phrase residents wrote, ranked by coverage and specificity (:mod:`analysis.labels`),
   distinct across themes; up to 3 representative opinions (closest to the centre, those
   containing the label first, near-duplicates skipped). :meth:`ThemeModel.summaries` gives
   extractive summaries (:mod:`analysis.summary`).
7. **duplicates** – near-duplicate links (:mod:`analysis.duplicates`) from the same TF-IDF.

Guided mode: ``fit(texts, guide=[...], seed_words={name: keywords})`` with a theme name for
some texts (``None`` for the rest) and/or themes named with keywords by the committee. Guided
texts keep their theme; the others get the theme that :class:`~analysis.guided.GuidedThemes`
(keyword prior + self-trained linear model) assigns, and join it when their similarity to its
centre is at least ``guide_threshold``; what fits none is clustered into new proposed themes.
:meth:`ThemeModel.suggest` then names the unguided opinions to confirm next.
``guided_learner="legacy"`` keeps the earlier learner (centre + Naive Bayes, no keywords).
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.duplicates import near_duplicates_from_matrix
from analysis.guided import Answer, GuidedThemes
from analysis.labels import (
    PhraseExtractor,
    choose_labels,
    is_unfit_word,
    rank_phrases,
    spread_words,
    unfit_words,
)
from analysis.tokenize import NEGATIONS, ChineseTokenizer
from analysis.vectorize import compact_key

__all__ = ["OTHER_LABEL", "ThemeInfo", "ThemeModel"]

OTHER_LABEL = "其他"
SVD_SAMPLE = 30000  # from this many opinions on, LSA is fitted on a sample of this size
KMEANS_SAMPLE = 20000  # above SVD_SAMPLE opinions, k-means centres come from a sample this size
CONSENSUS_SAMPLE = 2000  # rows whose co-association decides k and the themes
LABEL_CHARS = 300  # characters of each sampled opinion read for label candidates
LABEL_SAMPLE = 200  # members per theme whose phrases are read for its label
MIN_REPRESENTATIVE_WORDS = 3  # distinct content words an opinion needs to be shown first
ProgressFn = Callable[[float, str], None]


@dataclass
class ThemeInfo:
    """One theme: label, keywords, size, member indices and representative opinions."""

    label: str
    keywords: list[str]
    size: int
    members: list[int]
    representatives: list[int]
    is_other: bool = False
    guided: bool = False
    score: float = 0.0  # mean assignment confidence of the members
    extra: dict = field(default_factory=dict)


def _noop(_fraction: float, _message: str) -> None:
    return None


def _rows(M: sp.csr_matrix, mask: np.ndarray) -> sp.csr_matrix:
    """``M[mask]`` without the copy when every row is selected (row indexing is costly)."""
    return M if mask.all() else M[mask]


class ThemeModel:
    """Group opinions into labelled themes.

    Parameters
    ----------
    k:
        Number of themes, or ``"auto"`` to choose it (between ``k_min`` and ``k_max``).
    random_state:
        Seed for SVD and k-means: same input and seed give identical output.
    tokenizer:
        A :class:`ChineseTokenizer` to share (default: a new one).
    min_theme_size:
        Smaller themes are dissolved into 其他.
    min_score:
        Opinions whose cosine similarity to their theme centre is below this go to 其他.
    n_components:
        LSA dimensions.
    min_df, max_df:
        Word document-frequency bounds for the vocabulary (``min_df`` is lowered to 1 for tiny
        inputs).
    n_keywords:
        Keywords per theme.
    guide_threshold:
        Similarity needed to join a guided theme.
    subword_features:
        Add dictionary sub-words of long words as features (垃圾分类 → 垃圾, 分类).
    n_jobs:
        Worker processes for tokenising large inputs (−1 = one per CPU; only used from
        20,000 distinct texts on). 100k opinions on an idle 2-core machine: 14.4 s serial,
        9.5 s with 2 workers; no gain when other work holds the cores. Default 1, because
        forking a multi-threaded server process (Streamlit) is unsafe; ``consult themes``
        uses −1.
    stability_tolerance:
        With ``k="auto"``: take the largest k whose stability is at least this share of the
        best stability.
    duplicate_threshold:
        Cosine similarity from which two opinions count as near-duplicates.
    consensus_runs:
        With ``k="auto"``: k-means runs whose co-association decides k and the themes
        (see ``_consensus``); 0 = the older stability rule (``stability_tolerance``).
    smooth_neighbours:
        Nearest neighbours averaged into each LSA vector before the consensus runs.
    other_similarity:
        Unguided members sharing too few words with their theme (``min_score``) still stay
        when the cosine of their LSA vector with the theme's centre reaches this.
    guided_learner:
        ``"active"`` (:mod:`analysis.guided`) or ``"legacy"`` (centre + Naive Bayes, kept as
        the benchmark's baseline).
    other_rescue:
        An opinion left in 其他 joins its nearest theme when its LSA similarity to the theme's
        centre is at least the members' mean similarity minus this many standard deviations
        (``None``: off); see ``_rescue_other``.
    consensus_cut:
        With ``k="auto"``: where the co-association tree is cut, a co-association distance
        (default 0.9) or ``"gap"`` (the largest gap between merge heights, the earlier rule);
        see ``_cut_tree``.
    keep_features:
        Keep the TF-IDF matrix and LSA vectors as ``features_ = (X, Z, vocabulary)`` after
        :meth:`fit`, so that a caller (the 确认归类 queue) can reuse them instead of
        tokenising the same texts again; off by default (100k opinions: ~150 MB).
    """

    def __init__(
        self,
        *,
        k: int | str = "auto",
        random_state: int = 0,
        tokenizer: ChineseTokenizer | None = None,
        min_theme_size: int = 3,
        min_score: float = 0.05,
        n_components: int = 100,
        min_df: int = 2,
        max_df: float = 0.5,
        k_min: int = 4,
        k_max: int = 12,
        n_keywords: int = 8,
        guide_threshold: float = 0.1,
        duplicate_threshold: float = 0.8,
        refine_iter: int = 5,
        stability_tolerance: float = 0.9,
        subword_features: bool = True,
        n_jobs: int = 1,
        consensus_runs: int = 30,
        smooth_neighbours: int = 20,
        other_similarity: float = 0.1,
        guided_learner: str = "active",
        keep_features: bool = False,
        other_rescue: float | None = 2.0,
        consensus_cut: float | str = 0.9,
    ) -> None:
        self.k = k
        self.random_state = random_state
        self.tokenizer = tokenizer
        self.min_theme_size = min_theme_size
        self.min_score = min_score
        self.n_components = n_components
        self.min_df = min_df
        self.max_df = max_df
        self.k_min = k_min
        self.k_max = k_max
        self.n_keywords = n_keywords
        self.guide_threshold = guide_threshold
        self.duplicate_threshold = duplicate_threshold
        self.refine_iter = refine_iter
        self.stability_tolerance = stability_tolerance
        self.subword_features = subword_features
        self.n_jobs = n_jobs
        self.consensus_runs = consensus_runs
        self.smooth_neighbours = smooth_neighbours
        self.other_similarity = other_similarity
        self.guided_learner = guided_learner
        self.keep_features = keep_features
        self.other_rescue = other_rescue
        self.consensus_cut = consensus_cut

    # ------------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        guide: Sequence[str | None] | None = None,
        progress: ProgressFn | None = None,
        seed_words: Mapping[str, Sequence[str]] | None = None,
    ) -> ThemeModel:
        """Find themes in ``texts``; see the module docstring for the steps.

        ``guide``: same length as ``texts``, a committee theme name or ``None`` per text.
        ``seed_words``: committee theme name → keywords; these themes exist (listed first, in
        this order) even when no text is guided to them.
        ``progress(fraction, message)`` is called between steps (fraction in 0..1).
        """
        from threadpoolctl import threadpool_limits

        # Multi-threaded OpenBLAS/OpenMP was 10-50x slower than one thread for these matrix
        # shapes on the 2-core machines we measured (QR of 12000x110: 2.5 s vs 0.07 s).
        # The cyclic garbage collector rescans the ~100k token lists again and again while they
        # are built (100k texts: 43 s → 31 s for tokenising without it); nothing here makes
        # reference cycles, so it is paused for the fit.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            with threadpool_limits(limits=1):
                return self._fit(texts, guide, progress, seed_words)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _fit(
        self,
        texts: Sequence[str],
        guide: Sequence[str | None] | None,
        progress: ProgressFn | None,
        seed_words: Mapping[str, Sequence[str]] | None = None,
    ) -> ThemeModel:
        report = progress or _noop
        k = self.k
        if not (k == "auto" or (isinstance(k, int | np.integer) and k >= 1)):
            raise ValueError(f"k must be 'auto' or a positive integer, got {k!r}")
        texts = ["" if t is None else str(t) for t in texts]
        n = len(texts)
        guide_list = self._check_guide(guide, n)
        self.tokenizer_ = self.tokenizer or ChineseTokenizer()

        report(0.0, "清洗文本并分词")
        clean, counts, names = self._tokenize(texts)
        report(0.35, "向量化")
        counts, X, Z = self._vectorize(counts, names)
        self.features_ = (X, Z, list(self.vocabulary_)) if self.keep_features else None
        report(0.55, "查找重复意见")
        if n:
            self.duplicate_of_ = near_duplicates_from_matrix(
                X, threshold=self.duplicate_threshold, keys=[compact_key(t) for t in clean]
            )
        else:
            self.duplicate_of_ = []
        report(0.6, "聚类")
        has_words = np.asarray(X.getnnz(axis=1) > 0) if n else np.zeros(0, bool)
        self.guided_model_: GuidedThemes | None = None
        seeds = {str(t).strip(): list(w) for t, w in (seed_words or {}).items() if str(t).strip()}
        if seeds and guide_list is None:
            guide_list = [None] * n
        if guide_list is not None and (seeds or any(g is not None for g in guide_list)):
            groups, scores, guided_names = self._fit_guided(
                counts, X, Z, has_words, guide_list, seeds
            )
        else:
            groups, scores = self._cluster(counts, X, Z, has_words, k)
            guided_names = []
        report(0.9, "提取关键词")
        self._describe(groups, scores, counts, guided_names, clean)
        report(1.0, "完成")
        return self

    # -- steps ---------------------------------------------------------------------------
    @staticmethod
    def _check_guide(guide: Sequence[str | None] | None, n: int) -> list[str | None] | None:
        if guide is None:
            return None
        if len(guide) != n:
            raise ValueError(f"guide has {len(guide)} values for {n} texts")
        out: list[str | None] = []
        for g in guide:
            if (
                g is None
                or type(g).__name__ in {"NAType", "NaTType"}
                or (isinstance(g, float) and np.isnan(g))
            ):
                out.append(None)  # None, NaN, pandas.NA: no committee label
            else:
                s = str(g).strip()
                out.append(s or None)
        return out

    def _tokenize(self, texts: list[str]) -> tuple[list[str], sp.csr_matrix, list[str]]:
        """Cleaned texts, their feature counts and the (sorted) feature names.

        Features are the content words without negations plus, with ``subword_features``, the
        dictionary sub-words of long words (垃圾分类 also counts 垃圾 and 分类), built once per
        distinct word as a word → feature matrix instead of per token."""
        tk = self.tokenizer_
        wc = tk.count_words(texts, n_jobs=self.n_jobs)
        is_whole = np.array([w not in NEGATIONS for w in wc.vocabulary], dtype=bool)
        whole = [w for w, keep in zip(wc.vocabulary, is_whole, strict=True) if keep]
        self._whole_words = set(whole)
        self._distinct_words = np.asarray(wc.counts[:, is_whole].getnnz(axis=1)).ravel()
        parts = {w: tk.subwords(w) if self.subword_features else () for w in whole}
        names = sorted(self._whole_words.union(*parts.values()))
        column = {f: j for j, f in enumerate(names)}
        rows: list[int] = []
        cols: list[int] = []
        for i, w in enumerate(wc.vocabulary):
            if w in parts:
                for f in (w, *parts[w]):
                    rows.append(i)
                    cols.append(column[f])
        to_features = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(wc.vocabulary), len(names)),
        )
        counts = (wc.counts @ to_features).tocsr()
        counts.sort_indices()  # canonical order: sums (and so SVD results) are reproducible
        return wc.clean, counts, names

    def _vectorize(
        self, counts: sp.csr_matrix, names: list[str]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.preprocessing import normalize

        n = counts.shape[0]
        min_df = self.min_df if n >= 50 else 1
        max_df = self.max_df if n >= 50 else 1.0
        # Document-frequency pruning as scikit-learn's CountVectorizer does it; when it would
        # leave nothing (or the bounds contradict each other), every word is kept.
        df = np.asarray(counts.getnnz(axis=0)).ravel()
        high = max_df * n if isinstance(max_df, float) else max_df
        keep = (df >= min_df) & (df <= high)
        if not keep.any():
            keep = df > 0
        cols = np.flatnonzero(keep)
        if len(cols) < counts.shape[1]:
            counts = counts[:, cols].tocsr()
        self.vocabulary_ = np.asarray([names[j] for j in cols], dtype=object)
        if counts.shape[1] == 0:
            X = counts
            Z = np.zeros((n, 0), dtype=np.float32)
            self.svd_ = None
            return counts, X, Z
        tfidf = TfidfTransformer(sublinear_tf=True)
        X = tfidf.fit_transform(counts).astype(np.float32).tocsr()
        self.tfidf_ = tfidf
        n_comp = min(self.n_components, X.shape[1] - 1, n - 1)
        if n_comp >= 2:
            svd = TruncatedSVD(
                n_components=n_comp,
                n_iter=5 if n < 20000 else 3,
                random_state=self.random_state,
            )
            with warnings.catch_warnings():  # identical rows: explained-variance ratio is 0/0
                warnings.simplefilter("ignore", RuntimeWarning)
                if n > SVD_SAMPLE:
                    # The word-topic axes are learnt from a seeded sample; projecting every
                    # row is one sparse product (100k opinions: SVD 6 s → ~1.5 s).
                    rng = np.random.default_rng(self.random_state)
                    sample = np.sort(rng.choice(n, size=SVD_SAMPLE, replace=False))
                    svd.fit(X[sample])
                    Z = svd.transform(X)
                else:
                    Z = svd.fit_transform(X)
            self.svd_ = svd
        else:
            Z = X.toarray()
            self.svd_ = None
        Z = normalize(Z).astype(np.float32)
        return counts, X, Z

    def _kmeans(
        self, Z: np.ndarray, k: int, seed: int, n_init: int = 4
    ) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import normalize

        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        labels = km.fit_predict(Z)
        return labels, normalize(km.cluster_centers_)

    def _kmeans_all(self, Z: np.ndarray, k: int) -> np.ndarray:
        """k-means labels for every row; from ``SVD_SAMPLE`` rows on, the centres are found on
        a seeded sample of ``KMEANS_SAMPLE`` rows and every row joins its nearest centre (the
        Naive Bayes rounds that follow re-assign on all rows anyway). 100k short opinions:
        k-means 4.5 s → ~1 s."""
        if Z.shape[0] <= SVD_SAMPLE:
            return self._kmeans(Z, k, self.random_state, n_init=10 if Z.shape[0] < 20000 else 3)[0]
        from sklearn.cluster import KMeans

        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(Z.shape[0], size=KMEANS_SAMPLE, replace=False))
        km = KMeans(n_clusters=k, n_init=3, random_state=self.random_state).fit(Z[sample])
        return np.asarray(km.predict(Z))

    def _choose_k(self, Z: np.ndarray) -> int:
        """The largest k whose partition is nearly as reproducible as the most reproducible one.

        Stability of k = mean ARI between k-means runs with different seeds on a sample (≤2000
        rows). Very small k is often trivially stable, so among the k within
        ``stability_tolerance`` of the best stability the largest is taken."""
        from sklearn.metrics import adjusted_rand_score

        n = Z.shape[0]
        k_hi = max(self.k_min, min(self.k_max, n // max(2 * self.min_theme_size, 1)))
        if k_hi <= self.k_min:
            return self.k_min
        rng = np.random.default_rng(self.random_state)
        m = min(n, 2000)
        idx = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        S = Z[idx]
        best_k, best = self.k_min, -np.inf
        self.k_scores_ = {}
        for kk in range(self.k_min, k_hi + 1):
            runs = [self._kmeans(S, kk, self.random_state + r, n_init=1)[0] for r in range(4)]
            aris = [
                adjusted_rand_score(runs[a], runs[b])
                for a in range(len(runs))
                for b in range(a + 1, len(runs))
            ]
            score = float(np.mean(aris))
            self.k_scores_[kk] = score
            best = max(best, score)
        stable = [kk for kk, sc in self.k_scores_.items() if sc >= self.stability_tolerance * best]
        return max(stable) if stable else best_k

    def _consensus(self, Z: np.ndarray) -> np.ndarray:
        """Theme of every row by consensus of many k-means runs (evidence accumulation).

        On a seeded sample of at most ``CONSENSUS_SAMPLE`` rows, each row's LSA vector is
        averaged with its ``smooth_neighbours`` nearest neighbours (short texts borrow words
        from similar ones), then ``consensus_runs`` k-means runs with k drawn from
        [2·k_min, k_max + 8] (deliberately too many themes) count how often two rows land
        together. Average-linkage clustering of that co-association matrix is cut at
        co-association distance ``consensus_cut`` (0.9: groups whose members shared a cluster
        in under 10 % of the runs stay apart; see ``_cut_tree``), themes of fewer than
        ``min_theme_size`` rows (or 1 % of the sample) are dropped and every row joins the
        nearest remaining centre. One k-means run depends on its seed; the share of runs that
        put two rows together hardly does, so k and the partition become stable across seeds
        (dev data, seeds 0–4: k 7–11 with the largest-gap cut → 7 for every seed, pairwise ARI
        0.76 → 0.88)."""
        from scipy.cluster.hierarchy import linkage
        from scipy.spatial.distance import squareform
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import normalize

        n = Z.shape[0]
        rng = np.random.default_rng(self.random_state)
        m = min(n, CONSENSUS_SAMPLE)
        idx = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        S = Z[idx]
        if self.smooth_neighbours > 0 and m > self.smooth_neighbours + 1:
            sims = S @ S.T
            near = np.argpartition(-sims, self.smooth_neighbours, axis=1)[
                :, : self.smooth_neighbours
            ]
            S = normalize(S + S[near].mean(axis=1)).astype(np.float32)
        k_lo = min(2 * self.k_min, max(2, m // 4))
        k_hi = max(k_lo, min(self.k_max + 8, m // 3))
        # counted in the smallest integer type that holds them (adding booleans to floats
        # converts every one); the same floats are formed below
        co = np.zeros((m, m), dtype=np.uint8 if self.consensus_runs < 256 else np.int32)
        for r in range(self.consensus_runs):
            kr = int(rng.integers(k_lo, k_hi + 1))
            lab = KMeans(kr, n_init=1, random_state=self.random_state * 1000 + r).fit_predict(S)
            co += lab[:, None] == lab[None, :]
        dist = 1.0 - co.astype(np.float32) / self.consensus_runs
        np.fill_diagonal(dist, 0.0)
        tree = linkage(squareform(dist, checks=False), "average")
        min_size = max(self.min_theme_size, 0.01 * m)
        best_k, best_gap, cut = self._cut_tree(tree, m, min_size)
        sizes = np.bincount(cut)
        big = [g for g in range(len(sizes)) if sizes[g] >= min_size]
        if not big:
            return np.zeros(n, dtype=int)
        # centres in the unsmoothed space, so rows outside the sample are placed the same way
        centres = normalize(np.stack([Z[idx[cut == g]].mean(axis=0) for g in big]))
        self.consensus_ = {"k_cut": best_k, "gap": best_gap, "themes": len(big)}
        return np.asarray((Z @ centres.T).argmax(axis=1), dtype=int)

    def _cut_tree(self, tree: np.ndarray, m: int, min_size: float) -> tuple[int, float, np.ndarray]:
        """Cut of the co-association tree: (clusters cut, gap, cluster of every sample row).

        ``consensus_cut="gap"``: the number of themes in [k_min, k_max] whose cut lives longest
        (largest gap between merge heights; the heights of close candidates differ by a few
        hundredths, so seeds chose 4–12 on the dev data). A number ``t`` (default 0.9): cut at
        co-association distance ``t``, i.e. two groups stay apart when their members shared a
        k-means cluster in fewer than 1 − t of the runs, which does not depend on which of two
        nearly equal gaps is larger; the number of themes of at least ``min_size`` rows is then
        brought into [k_min, k_max] by cutting into more or fewer clusters."""
        from scipy.cluster.hierarchy import fcluster

        heights = tree[:, 2]
        k_top = max(self.k_min, min(self.k_max, m - 1))

        def n_big(labels: np.ndarray) -> int:
            return int((np.bincount(labels) >= min_size).sum())

        if self.consensus_cut == "gap":
            best_k, best_gap = self.k_min, -1.0
            for kk in range(min(self.k_min, k_top), k_top + 1):
                gap = heights[m - kk] - heights[m - kk - 1]  # lifetime of the cut into kk themes
                if gap > best_gap + 1e-9:
                    best_k, best_gap = kk, float(gap)
            return best_k, best_gap, fcluster(tree, best_k, "maxclust") - 1
        cut = fcluster(tree, float(self.consensus_cut), "distance") - 1
        kk = int(cut.max()) + 1
        big = n_big(cut)
        while big < min(self.k_min, m - 1) and kk < m:  # too few themes: cut lower
            kk += 1
            cut = fcluster(tree, kk, "maxclust") - 1
            big = n_big(cut)
        while big > self.k_max and kk > 1:  # too many: cut higher
            kk -= 1
            cut = fcluster(tree, kk, "maxclust") - 1
            big = n_big(cut)
        kk = int(cut.max()) + 1
        gap = float(heights[m - kk] - heights[m - kk - 1]) if 1 <= kk < m else 0.0
        return kk, gap, cut

    def _refine(
        self, counts: sp.csr_matrix, labels: np.ndarray, fixed: np.ndarray | None = None
    ) -> np.ndarray:
        """Complement Naive Bayes re-assignment rounds (classification EM)."""
        from sklearn.naive_bayes import ComplementNB

        valid = labels >= 0
        if counts.shape[1] == 0 or len(np.unique(labels[valid])) < 2:
            return labels
        labels = labels.copy()
        for _ in range(self.refine_iter):
            train = labels >= 0
            model = ComplementNB(alpha=0.3).fit(_rows(counts, train), labels[train])
            new = labels.copy()
            rows = np.flatnonzero(valid if fixed is None else valid & ~fixed)
            if len(rows) == 0:
                break
            new[rows] = model.predict(counts if len(rows) == counts.shape[0] else counts[rows])
            if np.array_equal(new, labels):
                break
            labels = new
        return labels

    @staticmethod
    def _centroids(Z: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
        C = np.zeros((n_groups, Z.shape[1]), dtype=np.float32)
        for g in range(n_groups):
            rows = labels == g
            if rows.any():
                v = Z[rows].mean(axis=0)
                norm = np.linalg.norm(v)
                C[g] = v / norm if norm > 0 else v
        return C

    def _cluster(
        self,
        counts: sp.csr_matrix,
        X: sp.csr_matrix,
        Z: np.ndarray,
        has_words: np.ndarray,
        k: int | str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Labels (−1 = 其他) and confidence scores for unguided clustering."""
        n = Z.shape[0]
        labels = np.full(n, -1, dtype=int)
        scores = np.zeros(n, dtype=np.float32)
        rows = np.flatnonzero(has_words)
        if len(rows) == 0 or Z.shape[1] == 0:
            self.k_ = 0
            return labels, scores
        Zr = Z[rows]
        n_distinct = (
            len({tuple(np.round(z, 4)) for z in Zr[:2000]}) if len(rows) <= 2000 else len(rows)
        )
        consensus = k == "auto" and self.consensus_runs > 0 and n_distinct >= 4 * self.k_min
        if k == "auto" and not consensus:
            kk = self._choose_k(Zr) if len(rows) >= 2 * self.min_theme_size else 1
        elif k == "auto":
            kk = 0  # found below
        else:
            kk = int(k)
        kk = max(1, min(kk, len(rows), n_distinct)) if not consensus else 0
        if consensus:
            sub = self._consensus(Zr)
            kk = int(sub.max()) + 1
            sub = self._refine(counts if len(rows) == n else counts[rows], sub)
        elif kk == 1:
            sub = np.zeros(len(rows), dtype=int)
        else:
            sub = self._kmeans_all(Zr, kk)
            sub = self._refine(counts if len(rows) == n else counts[rows], sub)
        self.k_ = kk
        labels[rows] = sub
        return self._finish_groups(X, labels, scores, protect=None, Z=Z)

    @staticmethod
    def _sparse_sims(X: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
        """Cosine of each row's TF-IDF vector with the mean TF-IDF vector of the *other*
        members of its group (0 for −1 and for groups of one).

        Measured in word space, not LSA space: an opinion sharing no word with the rest of its
        theme scores 0 there, however its LSA projection falls."""
        out = np.zeros(X.shape[0], dtype=np.float32)
        valid = np.flatnonzero(labels >= 0)
        if len(valid) == 0 or X.shape[1] == 0:
            return out
        n_groups = int(labels.max()) + 1
        M = sp.csr_matrix(
            (np.ones(len(valid), dtype=np.float32), (labels[valid], valid)),
            shape=(n_groups, X.shape[0]),
        )
        S = np.asarray((M @ X).todense())  # per-group sums of the (L2-normalised) rows, G × V
        s_norm2 = (S * S).sum(axis=1)
        Xv = X[valid] if len(valid) < X.shape[0] else X
        dot = np.asarray(Xv @ S.T)[np.arange(len(valid)), labels[valid]]
        x_norm2 = np.asarray(Xv.multiply(Xv).sum(axis=1)).ravel()
        rest_norm2 = s_norm2[labels[valid]] - 2 * dot + x_norm2
        with np.errstate(divide="ignore", invalid="ignore"):
            sims = (dot - x_norm2) / np.sqrt(np.maximum(rest_norm2, 0) * np.maximum(x_norm2, 1e-12))
        out[valid] = np.nan_to_num(sims, nan=0.0, posinf=0.0, neginf=0.0)
        return np.clip(out, 0.0, 1.0)

    def _finish_groups(
        self,
        X: sp.csr_matrix,
        labels: np.ndarray,
        scores: np.ndarray,
        protect: np.ndarray | None,
        Z: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores = cosine to own centre; weak members and small groups → 其他 (−1).

        ``protect``: rows that must keep their label (guided opinions). With ``Z`` (LSA
        vectors), a member sharing almost no word with its theme stays when its LSA vector is
        still close to the theme's centre (``other_similarity``): short texts often say the
        same thing in other words (news titles: 45 % in 其他 without this, 11 % with it)."""
        n_groups = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
        valid = labels >= 0
        if valid.any():
            sims = self._sparse_sims(X, labels)
            scores[valid] = sims[valid]
        weak = valid & (scores < self.min_score)
        if Z is not None and weak.any() and Z.shape[1]:
            centres = self._centroids(Z, labels, n_groups)
            lsa = np.einsum("ij,ij->i", Z[weak], centres[labels[weak]])
            # a shared word and a close LSA vector, or a very close LSA vector alone
            shares = scores[weak] > 0
            close = (lsa >= self.other_similarity) & (shares | (lsa >= 3 * self.other_similarity))
            rescued = np.flatnonzero(weak)[close]
            weak[rescued] = False
            scores[rescued] = np.maximum(scores[rescued], self.min_score)
        if protect is not None:
            weak &= ~protect
        labels[weak] = -1
        for g in range(n_groups):
            members = labels == g
            if protect is not None and (members & protect).any():
                continue
            if 0 < members.sum() < self.min_theme_size:
                labels[members] = -1
        if Z is not None and Z.shape[1] and self.other_rescue is not None:
            self._rescue_other(X, Z, labels, scores, n_groups)
        return labels, scores

    def _rescue_other(
        self, X: sp.csr_matrix, Z: np.ndarray, labels: np.ndarray, scores: np.ndarray, n_groups: int
    ) -> None:
        """其他 rescue (in place): an opinion left in 其他 joins its nearest theme (LSA cosine to
        the theme's centre) when it is within that theme's own spread: at least the mean minus
        ``other_rescue`` standard deviations of the members' similarities to their centre. What
        is farther from every theme than that (shares nothing) stays in 其他. Short texts (news
        titles) left 12–16 % in 其他 before, 2–5 % with it; a committee reads 其他 as "not
        analysed"."""
        rest = np.flatnonzero((labels < 0) & (X.getnnz(axis=1) > 0))
        valid = labels >= 0
        if len(rest) == 0 or not valid.any():
            return
        centres = self._centroids(Z, labels, n_groups)
        own = np.einsum("ij,ij->i", Z[valid], centres[labels[valid]])
        floor = np.full(n_groups, np.inf, dtype=np.float32)
        for g in np.unique(labels[valid]):
            sims_g = own[labels[valid] == g]
            floor[g] = sims_g.mean() - self.other_rescue * sims_g.std()
        sims = Z[rest] @ centres.T
        best = sims.argmax(axis=1)
        best_sim = sims[np.arange(len(rest)), best]
        ok = best_sim >= np.maximum(floor[best], 1e-6)
        labels[rest[ok]] = best[ok]
        scores[rest[ok]] = self._sparse_sims(X, labels)[rest[ok]]

    def _fit_guided(
        self,
        counts: sp.csr_matrix,
        X: sp.csr_matrix,
        Z: np.ndarray,
        has_words: np.ndarray,
        guide: list[str | None],
        seeds: dict[str, list[str]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Keep guided labels, assign the rest to guided themes or to new clusters."""
        from sklearn.naive_bayes import ComplementNB

        names: list[str] = []
        index: dict[str, int] = {}
        for g in [*(seeds or {}), *guide]:
            if g is not None and g not in index:
                index[g] = len(names)
                names.append(g)
        n = Z.shape[0]
        labels = np.full(n, -1, dtype=int)
        fixed = np.array([g is not None for g in guide])
        for i, g in enumerate(guide):
            if g is not None:
                labels[i] = index[g]
        scores = np.zeros(n, dtype=np.float32)
        scores[fixed] = 1.0
        free = np.flatnonzero(~fixed & has_words)
        G = len(names)
        if self.guided_learner == "active":
            self._assign_active(X, Z, labels, scores, fixed, free, names, guide, seeds or {})
        elif len(free) and Z.shape[1]:
            # Centre similarity and Naive Bayes (trained on guided rows, then self-trained on
            # confident assignments) must agree; the centre similarity gates "fits none".
            assign = np.full(n, -1, dtype=int)
            assign[fixed] = labels[fixed]
            for _ in range(max(1, self.refine_iter)):
                C = self._centroids(Z, assign, G)
                sims = Z[free] @ C.T
                best = sims.argmax(axis=1)
                best_sim = sims[np.arange(len(free)), best]
                if G >= 2 and counts.shape[1]:
                    train = assign >= 0
                    nb = ComplementNB(alpha=0.3).fit(counts[train], assign[train])
                    pred = nb.predict(counts[free])
                    # NB decides among themes; centre similarity of that theme gates membership
                    sim_pred = sims[np.arange(len(free)), pred]
                    best, best_sim = pred, sim_pred
                new = np.where(best_sim >= self.guide_threshold, best, -1)
                changed = not np.array_equal(assign[free], new)
                assign[free] = new
                if not changed:
                    break
            labels[free] = assign[free]
            ok = labels[free] >= 0
            scores[free[ok]] = self._sparse_sims(X, labels)[free[ok]]
        # New themes for what fits no guided theme.
        rest = np.flatnonzero(~fixed & has_words & (labels < 0))
        self.k_ = G
        if len(rest) >= 2 * self.min_theme_size and Z.shape[1]:
            sub_labels, sub_scores = self._cluster(
                counts[rest], X[rest], Z[rest], np.ones(len(rest), bool), self.k
            )
            ok = sub_labels >= 0
            labels[rest[ok]] = sub_labels[ok] + G
            scores[rest] = sub_scores
            self.k_ = G + int(self.k_)
        return labels, scores, names

    def _assign_active(
        self,
        X: sp.csr_matrix,
        Z: np.ndarray,
        labels: np.ndarray,
        scores: np.ndarray,
        fixed: np.ndarray,
        free: np.ndarray,
        names: list[str],
        guide: list[str | None],
        seeds: dict[str, list[str]],
    ) -> None:
        """Free rows get the :class:`GuidedThemes` assignment (in place) when their LSA
        similarity to that theme's centre reaches ``guide_threshold``; the rest stay −1."""
        answers = [Answer(i, g) for i, g in enumerate(guide) if g is not None]
        learner = GuidedThemes(random_state=self.random_state, tokenizer=self.tokenizer_)
        learner.fit_features(
            X, Z, list(self.vocabulary_), {t: seeds.get(t, []) for t in names}, answers
        )
        self.guided_model_ = learner
        if not len(free) or not learner.themes_:
            return
        pred = learner.labels_[free]
        if Z.shape[1]:
            assign = np.where(fixed, labels, -1)
            assign[free] = pred
            C = self._centroids(Z, assign, len(names))
            sim = np.einsum("ij,ij->i", Z[free], C[np.maximum(pred, 0)])
            pred = np.where((pred >= 0) & (sim >= self.guide_threshold), pred, -1)
        labels[free] = pred
        ok = labels[free] >= 0
        scores[free[ok]] = self._sparse_sims(X, labels)[free[ok]]

    def suggest(self, n: int) -> list[int]:
        """The ``n`` unguided opinions the committee should confirm next, least certain first.

        In guided mode the fitted :class:`GuidedThemes` chooses (its own uncertainty); without
        guidance, the opinions with the lowest assignment score (empty ones never)."""
        if self.guided_model_ is not None:
            return self.guided_model_.suggest(n)
        rows = np.flatnonzero(self._distinct_words > 0)
        order = rows[np.lexsort((rows, self.scores_[rows]))]
        return [int(i) for i in order[:n]]

    # -- description ---------------------------------------------------------------------
    _LABEL_POS = frozenset({"n", "nz", "vn", "nt", "nl", "ng", "j", "an", "v"})

    def _label_vocab_mask(self) -> np.ndarray:
        """Words fit for keywords: dictionary words (no HMM guesses such as person names)
        that are nouns, verbal nouns or verbs (no adverbs, time words, places)."""
        tags = self.tokenizer_._tags or {}
        whole = self._whole_words  # sub-word features (动车 from 电动车) never become keywords
        # 影响, 问题 (label_stopwords.txt), 有没有, 居委会, 支持 (generic_words.txt), 手机号 …
        unfit = unfit_words(self.tokenizer_.data_dir)
        return np.array(
            [
                tags.get(w) in self._LABEL_POS and w in whole and not is_unfit_word(w, unfit)
                for w in self.vocabulary_
            ],
            dtype=bool,
        )

    def _describe(
        self,
        labels: np.ndarray,
        scores: np.ndarray,
        counts: sp.csr_matrix,
        guided_names: list[str],
        clean: list[str],
    ) -> None:
        n = len(labels)
        G = len(guided_names)
        substantive = self._distinct_words >= MIN_REPRESENTATIVE_WORDS
        group_ids = sorted({int(g) for g in labels if g >= 0})
        # every guided theme is listed, in the order the committee's names first appear
        guided_ids = list(range(G))
        new_ids = sorted((g for g in group_ids if g >= G), key=lambda g: (-(labels == g).sum(), g))
        order = guided_ids + new_ids
        has_other = bool((labels < 0).any())

        # class-based TF-IDF keywords
        V = counts.shape[1]
        mask = self._label_vocab_mask() if V else np.zeros(0, bool)
        if V:
            df = np.asarray(counts.getnnz(axis=0)).ravel()
        keywords: dict[int, list[str]] = {}
        groups_all = order + ([-1] if has_other else [])
        if V and n:
            row_group = {g: i for i, g in enumerate(groups_all)}
            gi = np.array([row_group.get(int(g) if g >= 0 else -1, -1) for g in labels])
            ok_rows = np.flatnonzero(gi >= 0)
            M = sp.csr_matrix(
                (np.ones(len(ok_rows), dtype=np.float32), (gi[ok_rows], ok_rows)),
                shape=(len(groups_all), n),
            )
            binary = counts.copy()
            binary.data = np.ones_like(binary.data)
            TF = np.asarray((M @ counts).todense())
            DF = np.asarray((M @ binary).todense())
            sizes = np.asarray(M.sum(axis=1)).ravel()
            # words this run spreads evenly over its themes (其他 left out) are generic here
            real = [pos for pos, g in enumerate(groups_all) if g >= 0]
            spread = spread_words(DF[real], sizes[real], self.vocabulary_)
            mask &= np.array([w not in spread for w in self.vocabulary_], dtype=bool)
        else:
            spread = frozenset()
        self.generic_words_ = spread
        for pos, g in enumerate(groups_all):
            if V == 0 or n == 0 or sizes[pos] == 0:
                keywords[g] = []
                continue
            tf, doc_freq, size = TF[pos], DF[pos], sizes[pos]
            # frequent in the theme, rare elsewhere; at least 2 opinions (or all of a tiny one)
            weight = np.log1p(tf) * np.log((n + 1) / (df + 1)) * (doc_freq / size)
            ok = mask & (doc_freq >= min(2, size))
            weight = np.where(ok, weight, -1.0)
            top = np.argsort(-weight, kind="stable")[: 3 * self.n_keywords]
            cands = [str(self.vocabulary_[j]) for j in top if weight[j] > 0]
            # 加装 and 电梯 add nothing next to 加装电梯: keep the longer word only
            kept = [w for w in cands if not any(w != o and w in o for o in cands)]
            keywords[g] = kept[: self.n_keywords]

        phrase_labels = self._phrase_labels(labels, order, G, guided_names, clean, spread)
        themes: list[ThemeInfo] = []
        index_of: dict[int, int] = {}
        for g in order:
            members = np.flatnonzero(labels == g)
            kws = keywords.get(g, [])
            label = guided_names[g] if g < G else phrase_labels[g]
            index_of[g] = len(themes)
            has_label = np.array([label in clean[i] for i in members], dtype=bool)
            themes.append(
                ThemeInfo(
                    label=label,
                    keywords=kws,
                    size=len(members),
                    members=[int(i) for i in members],
                    representatives=self._representatives(members, scores, substantive, has_label),
                    is_other=False,
                    guided=g < G,
                    score=float(scores[members].mean()) if len(members) else 0.0,
                    extra={"label_share": float(has_label.mean()) if len(members) else 0.0},
                )
            )
        if has_other:
            members = np.flatnonzero(labels < 0)
            index_of[-1] = len(themes)
            themes.append(
                ThemeInfo(
                    label=OTHER_LABEL,
                    keywords=keywords.get(-1, []),
                    size=len(members),
                    members=[int(i) for i in members],
                    representatives=self._representatives(members, scores, substantive),
                    is_other=True,
                    guided=False,
                    score=float(scores[members].mean()) if len(members) else 0.0,
                )
            )
        self.themes_ = themes
        self.labels_ = np.array(
            [index_of[int(g)] if g >= 0 else index_of.get(-1, -1) for g in labels], dtype=int
        )
        self.scores_ = np.where(labels >= 0, scores, 0.0).astype(np.float32)
        self.n_themes_ = len(themes)

    def _phrase_labels(
        self,
        labels: np.ndarray,
        order: list[int],
        n_guided: int,
        guided_names: list[str],
        clean: list[str],
        generic: frozenset[str],
    ) -> dict[int, str]:
        """A distinct phrase label for every unguided theme (see :mod:`analysis.labels`).

        Phrases are read from at most ``LABEL_SAMPLE`` members per theme (seeded), so a
        100k-opinion run segments a few thousand texts again, not all of them."""
        extract = PhraseExtractor(self.tokenizer_, generic=generic)
        rng = np.random.default_rng(self.random_state)
        # guided themes take part (their phrases are not specific to the others); 其他 is read
        # for the summaries only
        groups = [*order, *([-1] if (labels < 0).any() else [])]
        docs: list[list[set[str]]] = []
        sample_texts: list[list[str]] = []
        for g in groups:
            members = np.flatnonzero(labels == g) if g >= 0 else np.flatnonzero(labels < 0)
            if len(members) > LABEL_SAMPLE:
                members = np.sort(rng.choice(members, size=LABEL_SAMPLE, replace=False))
            # candidates from the opening of long opinions (where the subject is said); their
            # coverage is then counted on the whole text (rank_phrases' rescoring)
            docs.append([extract(clean[i][:LABEL_CHARS]) for i in members])
            sample_texts.append([clean[i] for i in members])
        # in the order of themes_, read by analysis.summary
        self.phrase_docs_, self.phrase_texts_ = docs, sample_texts
        ranked = rank_phrases(docs[: len(order)], sample_texts[: len(order)])
        free = [pos for pos, g in enumerate(groups) if g >= n_guided]
        chosen = choose_labels(
            [ranked[pos] for pos in free],
            taken=[*guided_names, OTHER_LABEL],
        )
        return {groups[pos]: label for pos, label in zip(free, chosen, strict=True)}

    def _representatives(
        self,
        members: np.ndarray,
        scores: np.ndarray,
        substantive: np.ndarray,
        has_label: np.ndarray | None = None,
    ) -> list[int]:
        """Up to 3 members closest to the theme, one per near-duplicate group; opinions with
        fewer than ``MIN_REPRESENTATIVE_WORDS`` distinct content words (支持支持, 同意) come
        only after the others, since they show the theme's stance, not its substance. Among
        substantive ones, those containing the label (``has_label``) come first, so the
        examples show what the name says."""
        if len(members) == 0:
            return []
        with_label = np.ones(len(members), bool) if has_label is None else has_label
        order = members[np.lexsort((-scores[members], ~with_label, ~substantive[members]))]
        picked: list[int] = []
        groups: set[int] = set()
        for i in order:
            root = self.duplicate_of_[i] if self.duplicate_of_[i] is not None else int(i)
            if root in groups:
                continue
            groups.add(root)
            picked.append(int(i))
            if len(picked) == 3:
                break
        return picked

    # -- convenience ---------------------------------------------------------------------
    def summaries(self, texts: Sequence[str], **options: Any) -> list[Any]:
        """Extractive summaries of every theme, see :func:`analysis.summary.summarize_themes`
        (``texts``: the texts given to :meth:`fit`; ``authors``, ``agree``, ``disagree``
        optional per-opinion values)."""
        from analysis.summary import summarize_themes

        return summarize_themes(self, texts, **options)

    def theme_table(self) -> list[dict]:
        """Themes as plain dicts (label, size, keywords, representatives, flags)."""
        return [
            {
                "theme": i,
                "label": t.label,
                "size": t.size,
                "keywords": list(t.keywords),
                "representatives": list(t.representatives),
                "is_other": t.is_other,
                "guided": t.guided,
            }
            for i, t in enumerate(self.themes_)
        ]
