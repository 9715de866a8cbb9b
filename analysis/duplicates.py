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

from analysis.normalize import normalize_text
from analysis.vectorize import compact_key, word_tfidf

__all__ = ["find_near_duplicates", "near_duplicates_from_matrix"]


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


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
    parent = np.arange(n)
    if n == 0:
        return []

    def union(a: int, b: int) -> None:
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    if keys is not None:
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if not key:
                continue  # empty texts are not "the same opinion"
            j = first.setdefault(key, i)
            if j != i:
                union(j, i)

    X = sp.csr_matrix(X, dtype=np.float32)
    # Anchor words: each row's top weighted terms among those in at most max_df rows.
    df = np.bincount(X.indices, minlength=X.shape[1])
    max_df = max(20, int(np.sqrt(n) * 2))
    rows, cols, vals = [], [], []
    for i in range(n):
        start, end = X.indptr[i], X.indptr[i + 1]
        if start == end:
            continue
        idx = X.indices[start:end]
        w = X.data[start:end]
        ok = df[idx] <= max_df
        if not ok.any():
            ok = np.ones_like(ok)
        idx, w = idx[ok], w[ok]
        top = np.argsort(-w, kind="stable")[:n_anchor_words]
        rows.append(np.full(len(top), i))
        cols.append(idx[top])
        vals.append(np.ones(len(top), dtype=np.float32))
    if rows:
        P = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=X.shape
        )
        PT = P.T.tocsr()
        for lo in range(0, n, chunk_size):
            hi = min(n, lo + chunk_size)
            C = (P[lo:hi] @ PT).tocoo()
            ii = C.row + lo
            jj = C.col
            keep = jj < ii
            ii, jj = ii[keep], jj[keep]
            if len(ii) == 0:
                continue
            sims = np.asarray(X[ii].multiply(X[jj]).sum(axis=1)).ravel()
            for a, b in zip(
                ii[sims >= threshold - 1e-6], jj[sims >= threshold - 1e-6], strict=True
            ):
                union(int(a), int(b))
    roots = [_find(parent, i) for i in range(n)]
    return [None if r == i else int(r) for i, r in enumerate(roots)]


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
