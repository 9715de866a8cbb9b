"""Near-duplicate opinions: the same complaint posted several times, copy-paste campaigns.

Two opinions are near-duplicates when the cosine similarity of their sublinear TF-IDF word
vectors is at least ``threshold`` (exact duplicates, ignoring punctuation and spacing, always
are). Groups are the connected components of that relation; every member points to the first
(lowest index) member of its group.

To stay near-linear on large inputs, candidate pairs come from each text's few most distinctive
words (highest TF-IDF weight among words that are not common), and only candidates are scored
exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from analysis.normalize import normalize_text
from analysis.vectorize import compact_key, word_tfidf

__all__ = ["find_near_duplicates", "near_duplicates_from_matrix"]


def _anchor_matrix(X: sp.csr_matrix, n_anchor_words: int) -> sp.csr_matrix:
    """Binary matrix of each row's anchor words: its highest-weighted terms among the rare ones
    (document frequency ≤ 50); rows with no rare term use their rarest terms instead."""
    n, V = X.shape
    if X.nnz == 0:
        return sp.csr_matrix((n, V), dtype=np.float32)
    rows = np.repeat(np.arange(n), np.diff(X.indptr))
    cols = X.indices
    df = np.bincount(cols, minlength=V)
    rare = df[cols] <= 50
    has_rare = np.zeros(n, dtype=bool)
    has_rare[rows[rare]] = True
    eligible = rare | ~has_rare[rows]
    # rank inside each row: rare terms by weight; fallback rows by rarity
    key = np.where(rare, -X.data.astype(np.float64), df[cols].astype(np.float64))
    idx = np.flatnonzero(eligible)  # sort only what can be picked (same order as before)
    order = idx[np.lexsort((key[idx], rows[idx]))]
    r = rows[order]
    first = np.searchsorted(r, r, side="left")
    rank = np.arange(len(r)) - first
    pick = order[rank < n_anchor_words]
    return sp.csr_matrix(
        (np.ones(len(pick), dtype=np.float32), (rows[pick], cols[pick])), shape=(n, V)
    )


def near_duplicates_from_matrix(
    X: sp.csr_matrix,
    *,
    threshold: float = 0.8,
    keys: Sequence[str] | None = None,
    n_anchor_words: int = 6,
    chunk_size: int = 4000,
) -> list[int | None]:
    """Near-duplicate links from an L2-normalised document × term matrix.

    ``keys`` (optional) mark exact duplicates; rows with no terms are only matched by key.
    Returns, per row, the index of the first member of its group, or ``None`` for the first
    member and for unique rows.
    """
    n = X.shape[0]
    if n == 0:
        return []
    edges_a: list[np.ndarray] = []
    edges_b: list[np.ndarray] = []
    if keys is not None:
        first: dict[str, int] = {}
        same = [
            (first.setdefault(key, i), i)
            for i, key in enumerate(keys)
            if key  # empty texts are not "the same opinion"
        ]
        pairs = np.array([(j, i) for j, i in same if j != i], dtype=np.int64).reshape(-1, 2)
        edges_a.append(pairs[:, 0])
        edges_b.append(pairs[:, 1])

    X = sp.csr_matrix(X, dtype=np.float32)
    X.sort_indices()
    anchors = _anchor_matrix(X, n_anchor_words)
    if anchors.nnz:
        n_anchors = np.diff(anchors.indptr)
        AT = anchors.T.tocsr()
        for lo in range(0, n, chunk_size):
            hi = min(n, lo + chunk_size)
            C = (anchors[lo:hi] @ AT).tocoo()
            ii = C.row + lo
            jj = C.col
            # candidates: earlier rows sharing at least two anchor words (or all of them when a
            # row has fewer than two)
            need = np.minimum(2, np.minimum(n_anchors[ii], n_anchors[jj]))
            keep = (jj < ii) & (C.data >= need)
            ii, jj = ii[keep], jj[keep]
            for start in range(0, len(ii), 100_000):  # bounded memory for the exact check
                a, b = ii[start : start + 100_000], jj[start : start + 100_000]
                sims = np.asarray(X[a].multiply(X[b]).sum(axis=1)).ravel()
                hit = sims >= threshold - 1e-6
                edges_a.append(a[hit])
                edges_b.append(b[hit])
    # Groups are the connected components; each member points to the group's first row.
    a = np.concatenate(edges_a) if edges_a else np.zeros(0, np.int64)
    b = np.concatenate(edges_b) if edges_b else np.zeros(0, np.int64)
    graph = sp.csr_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    first_row = np.full(int(component.max()) + 1, n, dtype=np.int64)
    np.minimum.at(first_row, component, np.arange(n))
    roots = first_row[component]
    return [None if r == i else int(r) for i, r in enumerate(roots.tolist())]


def find_near_duplicates(
    texts: Sequence[str], *, threshold: float = 0.8, tokenizer=None
) -> list[int | None]:
    """For each text, the index of the first near-duplicate in ``texts`` (or ``None``).

    ``threshold`` is the cosine similarity of TF-IDF word vectors from which two texts count
    as the same opinion (1.0 = only identical wording). Identical texts, ignoring punctuation,
    spacing and case, are always duplicates. Example::

        >>> find_near_duplicates(["电梯坏了！", "电梯坏了", "垃圾桶太少"])
        [None, 0, None]
    """
    from analysis.tokenize import ChineseTokenizer

    tk = tokenizer or ChineseTokenizer()
    clean = [normalize_text(t) for t in texts]
    keys = [compact_key(t) for t in clean]
    tokens = tk.tokenize_many(clean)
    if not any(tokens):
        return near_duplicates_from_matrix(
            sp.csr_matrix((len(texts), 1)), threshold=threshold, keys=keys
        )
    _, X = word_tfidf(tokens)
    return near_duplicates_from_matrix(X, threshold=threshold, keys=keys)
