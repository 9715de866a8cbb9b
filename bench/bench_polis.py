"""Opinion groups on real Pol.is conversations: agreement with the groups Pol.is computed.

Reads every ``polis/<conversation>/participants-votes.csv`` under the evaluation data folder
(``../shared/data``; see ``bench/_common.py``) at run time. Per conversation it prints the
participants Pol.is grouped, Pol.is's k, the k we find, the adjusted Rand index (ARI) against
Pol.is's ``group-id`` over the participants Pol.is grouped (a participant we leave ungrouped
counts as a group of its own, so skipping people costs ARI), the ARI over the participants
both grouped (ARI∩: the clustering alone), and the time of one fit.

Baseline, measured in the same run: k-means (k by silhouette over 2..5) on the 2-D
column-mean-imputed PCA of every participant with at least one vote, no participation
threshold, no base clusters: what "Pol.is style" means without Pol.is's details.

    .venv/bin/python bench/bench_polis.py [--tuned a,b,c]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from _common import eval_data_dir
from sklearn.metrics import adjusted_rand_score

# Conversations used while choosing the method's settings; the rest are held out.
TUNED = ("football-concussions", "vtaiwan.uberx", "15-per-hour-seattle")


def load(folder: Path) -> tuple[sp.csr_matrix, np.ndarray]:
    """Votes (participants × comments, passes stored as explicit zeros) and Pol.is's group
    per participant (−1 where Pol.is placed none)."""
    frame = pd.read_csv(folder / "participants-votes.csv", low_memory=False)
    vote_cols = [c for c in frame.columns if str(c).isdigit()]
    values = frame[vote_cols].to_numpy(dtype=np.float64)
    rows, cols = np.nonzero(~np.isnan(values))
    votes = sp.csr_matrix((values[rows, cols], (rows, cols)), shape=values.shape)
    group = frame["group-id"].fillna(-1).to_numpy(dtype=int)
    return votes, group


def baseline(votes: sp.csr_matrix, random_state: int = 0) -> np.ndarray:
    """Naive Pol.is-like grouping (see module docstring)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.metrics import silhouette_score

    seen = votes.copy()
    seen.data[:] = 1.0
    n_seen = np.asarray(seen.sum(axis=0)).ravel()
    mean = np.divide(np.asarray(votes.sum(axis=0)).ravel(), n_seen, out=np.zeros(votes.shape[1]),
                     where=n_seen > 0)
    centred = votes.copy()
    centred.data = centred.data - mean[centred.indices]
    proj = TruncatedSVD(2, random_state=random_state).fit_transform(centred)
    active = np.flatnonzero(np.diff(votes.indptr) > 0)
    best, labels = -np.inf, np.zeros(len(active), dtype=int)
    for k in range(2, 6):
        lab = KMeans(k, n_init=10, random_state=random_state).fit_predict(proj[active])
        score = silhouette_score(proj[active], lab)
        if score > best:
            best, labels = score, lab
    out = np.full(votes.shape[0], -1)
    out[active] = labels
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tuned", default=",".join(TUNED), help="conversations used for tuning")
    args = parser.parse_args()
    tuned = set(filter(None, args.tuned.split(",")))

    from analysis import OpinionGroups

    root = eval_data_dir() / "polis"
    folders = sorted(p for p in root.glob("*") if (p / "participants-votes.csv").is_file())
    if not folders:
        print(f"no Pol.is conversations under {root}: nothing to measure")
        return
    print(f"{'conversation':40s} {'set':5s} {'ptpts':>5s} {'grouped':>7s} {'k polis':>7s} "
          f"{'k ours':>6s} {'ARI':>6s} {'ARI∩':>6s} {'base ARI':>8s} {'base k':>6s} {'time s':>6s}  note")
    rows = []
    for folder in folders:
        votes, polis = load(folder)
        grouped = polis >= 0
        t0 = time.perf_counter()
        model = OpinionGroups(random_state=0).fit(votes)
        secs = time.perf_counter() - t0
        ari = adjusted_rand_score(polis[grouped], model.labels_[grouped])
        both = grouped & (model.labels_ >= 0)  # grouped by both: the clustering alone
        ari_both = adjusted_rand_score(polis[both], model.labels_[both])
        base = baseline(votes)
        base_ari = adjusted_rand_score(polis[grouped], base[grouped])
        k_polis = len(np.unique(polis[grouped]))
        split = "tune" if folder.name in tuned else "held"
        rows.append((split, ari, base_ari, k_polis == model.k_, secs))
        note = getattr(model, "confidence_", "")
        print(f"{folder.name[:40]:40s} {split:5s} {votes.shape[0]:5d} {grouped.sum():7d} {k_polis:7d} "
              f"{model.k_:6d} {ari:6.3f} {ari_both:6.3f} {base_ari:8.3f} {len(np.unique(base[grouped & (base >= 0)])):6d} "
              f"{secs:6.2f}  {note}")
    for split in ("tune", "held", "all"):
        sel = [r for r in rows if split == "all" or r[0] == split]
        if sel:
            print(f"{split:5s}: n={len(sel)} mean ARI {np.mean([r[1] for r in sel]):.3f} "
                  f"(baseline {np.mean([r[2] for r in sel]):.3f}), same k {sum(r[3] for r in sel)}/{len(sel)}, "
                  f"max time {max(r[4] for r in sel):.2f} s")


if __name__ == "__main__":
    main()
