"""Opinion groups from votes, Pol.is style.

Pipeline (named steps, as in Pol.is' math): vote matrix → participant filter → column-centred
sparse PCA → projection → k-means (k by silhouette) → representative statements per group →
consensus and divisive statements.

Votes: rows are participants, columns statements; +1 agree, −1 disagree, 0 pass.
- Dense input: ``nan`` means "not seen".
- Sparse input: every *stored* entry is a vote (an explicitly stored 0 is a pass); entries not
  stored were not seen.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

__all__ = ["OpinionGroups"]


class OpinionGroups:
    """Group participants by how they vote.

    Parameters
    ----------
    min_votes:
        Participants with fewer votes are skipped (label −1).
    k:
        Number of groups or ``"auto"``: the k in ``k_range`` with the best silhouette.
    random_state:
        Seed for SVD and k-means.
    k_range:
        Candidate k for ``"auto"`` (inclusive).
    n_cluster_components:
        PCA components used for clustering. Pol.is clusters the 2-D projection; with four or
        more groups two components can put two groups on top of each other, so by default
        ``k_range[1]`` components are used for clustering while ``coords_`` stays 2-D.
    n_repness:
        Representative statements listed per group.
    consensus_share:
        Agree share (smoothed) needed in *every* group for a consensus statement.
    min_group_votes:
        Votes needed from a group on a statement before it can be representative/consensus.

    Attributes
    ----------
    participants_: indices of the participants kept. labels_: group per participant (−1 =
    skipped). coords_: (n_participants × 2) projection (nan for skipped). k_: number of groups.
    repness_: per group, list of ``(statement, agree_share, repness)`` best first.
    consensus_: statements agreed by all groups. divisive_: statements that split the groups
    most. agree_share_: (k × n_statements) smoothed agree share per group.
    """

    def __init__(
        self,
        *,
        min_votes: int = 7,
        k: int | str = "auto",
        random_state: int = 0,
        k_range: tuple[int, int] = (2, 5),
        n_cluster_components: int | None = None,
        n_repness: int = 5,
        consensus_share: float = 0.6,
        min_group_votes: int = 3,
    ) -> None:
        self.min_votes = min_votes
        self.k = k
        self.random_state = random_state
        self.k_range = k_range
        self.n_cluster_components = n_cluster_components
        self.n_repness = n_repness
        self.consensus_share = consensus_share
        self.min_group_votes = min_group_votes

    # -- steps ---------------------------------------------------------------------------
    @staticmethod
    def _to_sparse(votes) -> sp.csr_matrix:  # type: ignore[no-untyped-def]
        """Votes as CSR with every vote stored (passes as explicit zeros → stored as 0.0)."""
        if sp.issparse(votes):
            coo = sp.coo_matrix(votes)
            data = np.sign(np.nan_to_num(coo.data.astype(np.float64)))
            return sp.csr_matrix((data, (coo.row, coo.col)), shape=coo.shape)
        arr = np.asarray(votes, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError("votes must be a 2-D participants × statements matrix")
        rows, cols = np.nonzero(~np.isnan(arr))
        return sp.csr_matrix((np.sign(arr[rows, cols]), (rows, cols)), shape=arr.shape)

    def fit(self, votes) -> OpinionGroups:  # type: ignore[no-untyped-def]
        """Compute groups, projection, representative and consensus statements."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._fit(votes)

    def _fit(self, votes) -> OpinionGroups:  # type: ignore[no-untyped-def]
        from sklearn.cluster import KMeans
        from sklearn.decomposition import TruncatedSVD
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.metrics import silhouette_score

        V = self._to_sparse(votes)
        n, m = V.shape
        # Keep explicit zeros (passes) as "seen": build the seen mask from the structure.
        seen = sp.csr_matrix((np.ones_like(V.data), V.indices, V.indptr), shape=V.shape)
        n_votes = np.asarray(seen.sum(axis=1)).ravel()
        kept = np.flatnonzero(n_votes >= self.min_votes)
        self.n_votes_ = n_votes.astype(int)
        self.participants_ = kept
        self.labels_ = np.full(n, -1, dtype=int)
        self.coords_ = np.full((n, 2), np.nan)
        self.repness_: list[list[tuple[int, float, float]]] = []
        self.consensus_: list[int] = []
        self.divisive_: list[int] = []
        self.k_ = 0
        self.agree_share_ = np.zeros((0, m))
        if len(kept) < 2 or m < 2:
            return self

        Vk, Sk = V[kept], seen[kept]
        # Column means over seen votes; centring only touches seen entries (missing = mean).
        col_n = np.asarray(Sk.sum(axis=0)).ravel()
        col_mean = np.divide(
            np.asarray(Vk.sum(axis=0)).ravel(), col_n, out=np.zeros(m), where=col_n > 0
        )
        A = Vk.copy().astype(np.float64)
        A.data = A.data - col_mean[A.indices]
        k_hi = self.k_range[1] if self.k == "auto" else int(self.k)
        n_comp = self.n_cluster_components or max(2, k_hi)
        n_comp = max(1, min(n_comp, min(A.shape) - 1))
        svd = TruncatedSVD(n_components=n_comp, random_state=self.random_state, n_iter=7)
        with warnings.catch_warnings():  # constant columns: explained-variance ratio 0/0
            warnings.simplefilter("ignore", RuntimeWarning)
            P = svd.fit_transform(A)
        # Pol.is scaling: people who saw few statements are pulled to the centre; undo it.
        P *= np.sqrt(m / np.maximum(n_votes[kept], 1))[:, None]
        coords = np.zeros((len(kept), 2))
        coords[:, : min(2, P.shape[1])] = P[:, :2]
        self.coords_[kept] = coords
        self.components_ = svd.components_[:2]

        # k-means, k by silhouette
        def km(k: int) -> np.ndarray:
            with warnings.catch_warnings():  # fewer distinct points than k: fine, fewer groups
                warnings.simplefilter("ignore", ConvergenceWarning)
                return KMeans(n_clusters=k, n_init=10, random_state=self.random_state).fit_predict(
                    P
                )

        if self.k == "auto":
            lo, hi = self.k_range
            hi = min(hi, len(kept) - 1)
            best, best_k, best_labels = -np.inf, 1, np.zeros(len(kept), dtype=int)
            rng = np.random.default_rng(self.random_state)
            sample = rng.choice(len(kept), size=min(len(kept), 3000), replace=False)
            self.silhouettes_ = {}
            for k in range(max(2, lo), hi + 1):
                lab = km(k)
                if len(np.unique(lab[sample])) < 2:
                    continue
                sc = float(silhouette_score(P[sample], lab[sample]))
                self.silhouettes_[k] = sc
                if sc > best:
                    best, best_k, best_labels = sc, k, lab
            labels = best_labels
            k = best_k
        else:
            k = max(1, min(int(self.k), len(kept)))
            labels = km(k) if k > 1 else np.zeros(len(kept), dtype=int)
        # Stable numbering: groups ordered by size, then by first member.
        order = sorted(range(k), key=lambda g: (-(labels == g).sum(), np.argmax(labels == g)))
        remap = np.empty(k, dtype=int)
        remap[order] = np.arange(k)
        labels = remap[labels]
        self.k_ = k
        self.labels_[kept] = labels
        self._statements(Vk, Sk, labels, k)
        return self

    def _statements(self, Vk: sp.csr_matrix, Sk: sp.csr_matrix, labels: np.ndarray, k: int) -> None:
        """Representative (repness), consensus and divisive statements."""
        m = Vk.shape[1]
        G = sp.csr_matrix(
            (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels))
        )
        agree = np.asarray((G @ (Vk > 0).astype(np.float64)).todense())
        disagree = np.asarray((G @ (Vk < 0).astype(np.float64)).todense())
        n_seen = np.asarray((G @ Sk).todense())
        pa = (agree + 1) / (n_seen + 2)  # Laplace-smoothed agree share (Pol.is)
        pd_ = (disagree + 1) / (n_seen + 2)
        self.agree_share_ = pa
        enough = n_seen >= self.min_group_votes
        rep: list[list[tuple[int, float, float]]] = []
        for g in range(k):
            others = [h for h in range(k) if h != g]
            if others:
                oa = (agree[others].sum(0) + 1) / (n_seen[others].sum(0) + 2)
                od = (disagree[others].sum(0) + 1) / (n_seen[others].sum(0) + 2)
            else:
                oa = od = np.full(m, 0.5)
            rep_agree = pa[g] * (pa[g] / oa)
            rep_dis = pd_[g] * (pd_[g] / od)
            score = np.where(enough[g], np.maximum(rep_agree, rep_dis), -np.inf)
            top = np.argsort(-score, kind="stable")[: self.n_repness]
            rep.append(
                [
                    (int(j), round(float(pa[g, j]), 4), round(float(score[j]), 4))
                    for j in top
                    if np.isfinite(score[j])
                ]
            )
        self.repness_ = rep
        all_enough = enough.all(axis=0)
        min_share = pa.min(axis=0)
        cons = np.flatnonzero(all_enough & (min_share >= self.consensus_share))
        self.consensus_ = [int(j) for j in cons[np.argsort(-min_share[cons], kind="stable")]]
        if k >= 2:
            spread = np.where(all_enough, pa.max(axis=0) - pa.min(axis=0), -np.inf)
            top = np.argsort(-spread, kind="stable")[: self.n_repness]
            self.divisive_ = [int(j) for j in top if np.isfinite(spread[j]) and spread[j] > 0.2]
