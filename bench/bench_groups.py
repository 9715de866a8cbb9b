"""Opinion groups on ~200k synthetic votes with planted groups: time and recovery (ARI).

Clustering is 2-D as in Pol.is (decision 0010): 4-5 planted groups in random directions are
not all separable in two components. Real conversations: bench_polis.py.

2,000 residents × 900 opinions, 4 planted groups with different agree probabilities per
opinion, ~11 % of the matrix voted (≈200k votes), 10 % passes, and 60 opinions everyone agrees
with (planted consensus).

    .venv/bin/python bench/bench_groups.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from _common import ROOT  # noqa: F401  (repository on sys.path)
from sklearn.metrics import adjusted_rand_score


def planted_votes(n: int, m: int, groups: int, n_votes: int, seed: int):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, groups, n)
    profile = rng.choice([0.15, 0.85], size=(groups, m))
    profile[:, :60] = 0.9
    density = n_votes / (n * m)
    rows, cols = np.nonzero(rng.random((n, m)) < density)
    p = profile[truth[rows], cols]
    values = np.where(rng.random(len(rows)) < p, 1.0, -1.0)
    values[rng.random(len(rows)) < 0.1] = 0.0
    return sp.csr_matrix((values, (rows, cols)), shape=(n, m)), truth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--opinions", type=int, default=900)
    parser.add_argument("--votes", type=int, default=200_000)
    args = parser.parse_args()

    from analysis import OpinionGroups

    print(
        f"{'groups':>6s} {'votes':>8s} {'kept':>5s} {'k found':>7s} {'ARI':>6s} {'time s':>7s} {'consensus∩planted':>18s}"
    )
    for groups in (2, 3, 4, 5):
        votes, truth = planted_votes(args.residents, args.opinions, groups, args.votes, seed=groups)
        t0 = time.perf_counter()
        model = OpinionGroups(random_state=0).fit(votes)
        secs = time.perf_counter() - t0
        kept = model.participants_
        ari = adjusted_rand_score(truth[kept], model.labels_[kept])
        planted = sum(1 for j in model.consensus_ if j < 60)
        print(
            f"{groups:>6d} {votes.nnz:>8,d} {len(kept):>5d} {model.k_:>7d} {ari:6.3f} {secs:7.2f} "
            f"{planted:>8d}/{len(model.consensus_):<9d}"
        )


if __name__ == "__main__":
    main()
