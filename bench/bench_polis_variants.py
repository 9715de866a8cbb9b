"""Variants of ``analysis.OpinionGroups`` against Pol.is's own groups (second round, issue 18).

Each variant changes one step of the method; each is run over every conversation of
``polis/`` (see bench_polis.py) for a few seeds. Printed per variant and seed: mean ARI on the
conversations used for tuning (bench_polis.TUNED), on the held-out ones, on all, how often k
matches Pol.is's, the slowest fit, then the ARI per conversation in file order. The current
method (``current``) is the baseline of the same run. Choose by the tuned mean and its spread
over seeds; the held-out columns are printed for the record, not for choosing.

Variants (Pol.is's method: docs/decisions/0010-opinion-groups-follow-polis.md):
- ``p=X``: projection scale exponent X (current 0.25; Pol.is publishes 0.5).
- ``hidden p=X``: statements voted on by at most max(1, 1 % of the voters) (in the exports
  mostly the author's own automatic vote: statements moderators never let through) are treated
  as Pol.is treats moderated-out statements: zeroed for everyone, so they count as seen (a
  pass) in the scale factor and carry no weight in the PCA.
- ``no polish``: Pol.is's groups as they come from the base clusters, without our k-means
  steps on the participants.
- ``polis init``: k-means started as Pol.is starts it on a fresh conversation (the first
  distinct points in participant order, base clusters; the first k distinct base centres,
  groups) instead of k-means++.
- ``base n_init=4``: base clusters as the best of four k-means++ starts.

    .venv/bin/python bench/bench_polis_variants.py [--seeds 2] [--only current,no polish]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from _common import eval_data_dir
from bench_polis import TUNED, load
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from analysis import OpinionGroups


class Hidden(OpinionGroups):
    """Statements hardly anyone voted on count as moderated out (zeroed for everyone)."""

    def _project(self, V: sp.csr_matrix, seen: sp.csr_matrix, n_votes: np.ndarray) -> np.ndarray:
        csc = V.tocsc()
        count = np.diff(csc.indptr)
        hidden = count <= max(1.0, 0.01 * (n_votes > 0).sum())
        keep = np.repeat(~hidden, count)
        indptr = np.concatenate([[0], np.cumsum(np.where(hidden, 0, count))])
        V2 = sp.csc_matrix((csc.data[keep], csc.indices[keep], indptr), shape=V.shape).tocsr()
        seen2 = V2.copy()
        seen2.data[:] = 1.0
        # Everyone "saw" the hidden statements (Pol.is fills moderated-out columns with 0).
        n2 = np.where(n_votes > 0, np.diff(V2.indptr) + int(hidden.sum()), 0)
        return super()._project(V2, seen2, n2)


class NoPolish(OpinionGroups):
    def _polish(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return labels


def _first_distinct(X: np.ndarray, k: int) -> np.ndarray:
    _, idx = np.unique(np.round(X, 12), axis=0, return_index=True)
    return X[np.sort(idx)[:k]]


class PolisInit(OpinionGroups):
    def _base_clusters(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        init = _first_distinct(X, self.base_k)
        if len(init) <= 1:
            return np.zeros(len(X), dtype=int), X.mean(axis=0, keepdims=True), np.array([len(X)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = KMeans(n_clusters=len(init), init=init, n_init=1, max_iter=100)
            lab = km.fit_predict(X)
        used, lab = np.unique(lab, return_inverse=True)
        return lab, km.cluster_centers_[used], np.bincount(lab, minlength=len(used))

    def _group_clusters(self, centres: np.ndarray, sizes: np.ndarray, k: int) -> np.ndarray:
        init = _first_distinct(centres, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return KMeans(n_clusters=len(init), init=init, n_init=1, max_iter=20).fit_predict(
                centres, sample_weight=sizes.astype(np.float64))


class BaseNInit(OpinionGroups):
    def _base_clusters(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = min(self.base_k, len(np.unique(np.round(X, 12), axis=0)))
        if k <= 1:
            return np.zeros(len(X), dtype=int), X.mean(axis=0, keepdims=True), np.array([len(X)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = KMeans(n_clusters=k, n_init=4, random_state=self.random_state, max_iter=100)
            lab = km.fit_predict(X)
        used, lab = np.unique(lab, return_inverse=True)
        return lab, km.cluster_centers_[used], np.bincount(lab, minlength=len(used))


VARIANTS: dict[str, Callable[[int], OpinionGroups]] = {
    "current": lambda s: OpinionGroups(random_state=s),
    "p=0.5": lambda s: OpinionGroups(random_state=s, scale_power=0.5),
    "p=0.2": lambda s: OpinionGroups(random_state=s, scale_power=0.2),
    "p=0.3": lambda s: OpinionGroups(random_state=s, scale_power=0.3),
    "hidden p=0.5": lambda s: Hidden(random_state=s, scale_power=0.5),
    "hidden p=0.25": lambda s: Hidden(random_state=s, scale_power=0.25),
    "no polish": lambda s: NoPolish(random_state=s),
    "polis init": lambda s: PolisInit(random_state=s),
    "base n_init=4": lambda s: BaseNInit(random_state=s),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated variant names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(VARIANTS)

    root = eval_data_dir() / "polis"
    folders = sorted(p for p in root.glob("*") if (p / "participants-votes.csv").is_file())
    if not folders:
        print(f"no Pol.is conversations under {root}: nothing to measure")
        return
    data = [(f.name, *load(f)) for f in folders]
    print("conversations:", ", ".join(n for n, _, _ in data))
    for name in names:
        for seed in range(args.seeds):
            aris, same_k, secs = [], [], []
            for _, votes, polis in data:
                grouped = polis >= 0
                t0 = time.perf_counter()
                model = VARIANTS[name](seed).fit(votes)
                secs.append(time.perf_counter() - t0)
                aris.append(adjusted_rand_score(polis[grouped], model.labels_[grouped]))
                same_k.append(model.k_ == len(np.unique(polis[grouped])))
            tuned = [a for (n, _, _), a in zip(data, aris, strict=True) if n in TUNED]
            held = [a for (n, _, _), a in zip(data, aris, strict=True) if n not in TUNED]
            print(f"{name:15s} seed {seed}: tuned {np.mean(tuned):.3f} held {np.mean(held):.3f} "
                  f"all {np.mean(aris):.3f} same k {sum(same_k)}/{len(aris)} max {max(secs):.2f} s | "
                  + " ".join(f"{a:.2f}" for a in aris), flush=True)


if __name__ == "__main__":
    main()
