"""Opinion groups from votes, following the method Pol.is publishes.

Pipeline (named steps, as in Pol.is' math, reimplemented here from its description):

1. **Participation** — who is clustered: participants with at least ``min(min_votes, n_statements)``
   votes; when fewer than ``greedy_n`` (15) qualify, the most active voters are added until 15.
2. **PCA** — missing votes ("not seen") are replaced by the statement's mean vote, the matrix is
   centred and its first two principal components taken (every voter takes part in the PCA,
   as in Pol.is, not only the clustered ones).
3. **Projection** — a participant is projected using only the statements they voted on, then
   scaled by ``(n_statements / n_seen) ** scale_power`` so people who saw few statements are
   not all pulled to the centre (Pol.is: a square root; we damp it, see ``scale_power``).
4. **Base clusters** — k-means with ~100 clusters on the 2-D projection of the clustered
   participants.
5. **Group clusters** — weighted k-means (weights = base-cluster sizes) on the base-cluster
   centres for k = 2 … ``min(5, 2 + n_base // 12)``; k is the one with the best silhouette on
   the base-cluster centres, passed through Pol.is's smoother (a new k is adopted only once it
   has been the best ``k_buffer`` times in a row; pass the previous ``k_state_`` back in).
   Then (our addition) a few k-means steps on the participants from the group centres, so
   the cut between groups does not jitter with the base clusters.
6. **Representative statements** per group and **consensus** statements with Pol.is' tests:
   pseudo-counts (+1 / +2), one-proportion z-test of the group's share against 1/2 and
   two-proportion z-test against everyone else, significant at 90 % (z > 1.2816, one-sided);
   95 % (z > 1.6449) is reported as the stronger level.

Votes: rows are participants, columns statements; +1 agree, −1 disagree, 0 pass.
- Dense input: ``nan`` means "not seen".
- Sparse input: every *stored* entry is a vote (an explicitly stored 0 is a pass); entries not
  stored were not seen.

Pol.is is AGPL; nothing here is taken from its code, only the method and its constants.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["KState", "OpinionGroups", "Representative", "Z_90", "Z_95"]

# One-sided z thresholds of Pol.is' significance tests.
Z_90 = 1.2816
Z_95 = 1.6449

NOT_ENOUGH = "参与表态的人还不够，暂不分组。"
# Silhouette above a same-spread Gaussian cloud's (see OpinionGroups._describe): noise gives
# 0.00-0.03; real Pol.is conversations 0.00-0.29 (docs/decisions/0010-...).
CLEAR_MARGIN = 0.15
MODERATE_MARGIN = 0.07


@dataclass(frozen=True)
class KState:
    """Pol.is' k smoother between updates: the best k of the last fit, how many fits in a row
    it has been the best, and the k actually used."""

    last_k: int
    streak: int
    k: int


@dataclass(frozen=True)
class Representative:
    """A statement that sets one group apart, with the figures behind the claim.

    ``direction`` is ``"agree"`` or ``"disagree"``; ``share`` the group's smoothed share voting
    that way ((n_success + 1) / (n_trials + 2)); ``share_others`` the same for everyone else;
    ``z_group`` the z of the group's share against 1/2; ``z_others`` the two-proportion z
    against everyone else; ``confidence`` 0.95 or 0.90 (both tests pass at that level).
    """

    statement: int
    direction: str
    n_success: int
    n_trials: int
    share: float
    share_others: float
    z_group: float
    z_others: float
    confidence: float

    @property
    def ratio(self) -> float:
        """How many times likelier this group votes so than everyone else (Pol.is' repness)."""
        return self.share / self.share_others if self.share_others else math.inf

    @property
    def label(self) -> str:
        """Plain Chinese: 这一组特别认同 / 这一组特别反对."""
        return "这一组特别认同" if self.direction == "agree" else "这一组特别反对"


def prop_test(success: np.ndarray, n: np.ndarray) -> np.ndarray:
    """z of a (pseudo-counted) share against 1/2: 2·sqrt(n+1)·((s+1)/(n+1) − 1/2)."""
    s1, n1 = success + 1.0, n + 1.0
    return 2.0 * np.sqrt(n1) * (s1 / n1 - 0.5)


def two_prop_test(s_in: np.ndarray, s_out: np.ndarray, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
    """Two-proportion z (pseudo-counts +1 on every count): in-group share above the others'."""
    s_in, s_out, n_in, n_out = s_in + 1.0, s_out + 1.0, n_in + 1.0, n_out + 1.0
    p_in, p_out = s_in / n_in, s_out / n_out
    pooled = (s_in + s_out) / (n_in + n_out)
    var = pooled * (1.0 - pooled) * (1.0 / n_in + 1.0 / n_out)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p_in - p_out) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


class OpinionGroups:
    """Group participants by how they vote (Pol.is' method, see the module docstring).

    Parameters
    ----------
    min_votes:
        Votes a participant needs to be clustered (Pol.is: 7, or every statement when fewer).
    greedy_n:
        When fewer participants qualify, the most active voters are added up to this number.
    min_participants:
        Fewer *qualifying* participants than this (or fewer than 2 statements with votes) and no
        groups are formed: ``k_ == 0`` and ``confidence_`` says so in plain Chinese.
    k:
        Number of groups or ``"auto"`` (silhouette over 2 … ``k_range[1]``, smoothed).
    random_state:
        Seed for the PCA and k-means; a given seed gives the same result.
    k_range:
        Candidate k for ``"auto"`` (inclusive); Pol.is also caps k at ``2 + n_base // 12``.
    base_k:
        Number of base clusters (Pol.is: 100).
    scale_power:
        Projections are scaled by ``(n_statements / n_seen) ** scale_power``. Pol.is publishes
        0.5 (a square root) but, in its own runs, statements moderated out count as seen (as a
        pass) by everyone, which damps the factor; the vote exports carry no moderation, and
        0.25 reproduced Pol.is's groups best on the conversations used for tuning (see
        docs/decisions/0010-opinion-groups-follow-polis.md).
    k_state, k_buffer:
        Pol.is' smoother: the ``k_state_`` of the previous fit, and how many fits in a row a new
        k must be the best before it replaces the current one (Pol.is: 4).
    n_repness:
        Representative statements listed per group (Pol.is: 5).
    min_group_votes:
        Votes needed from a group on a statement before it can be representative.

    Attributes
    ----------
    participants_: indices of the participants clustered. labels_: group per participant (−1 =
    not clustered). coords_: (n_participants × 2) projection (nan for those with no vote).
    k_: number of groups (0 = no grouping). k_state_: smoother state to pass to the next fit.
    silhouettes_: silhouette per candidate k (base-cluster centres). silhouette_: silhouette of
    the chosen grouping over the clustered participants; silhouette_null_: the same k on a
    shapeless Gaussian cloud of the same spread. confidence_: plain-Chinese statement of how
    clear the grouping is. strength_: ``"none"``, ``"weak"``, ``"moderate"`` or ``"clear"``.
    representatives_: per group, significant :class:`Representative` statements, best first.
    repness_: the same as ``(statement, agree_share, ratio)`` tuples (older consumers).
    consensus_: statements every group agrees with, significantly (best first).
    consensus_against_: statements every group disagrees with, significantly.
    divisive_: statements that split the groups most. agree_share_: (k × n_statements)
    smoothed agree share per group.
    """

    def __init__(
        self,
        *,
        min_votes: int = 7,
        greedy_n: int = 15,
        min_participants: int = 10,
        k: int | str = "auto",
        random_state: int = 0,
        k_range: tuple[int, int] = (2, 5),
        base_k: int = 100,
        scale_power: float = 0.25,
        k_state: KState | None = None,
        k_buffer: int = 4,
        n_repness: int = 5,
        min_group_votes: int = 3,
    ) -> None:
        self.min_votes = min_votes
        self.greedy_n = greedy_n
        self.min_participants = min_participants
        self.k = k
        self.random_state = random_state
        self.k_range = k_range
        self.base_k = base_k
        self.scale_power = scale_power
        self.k_state = k_state
        self.k_buffer = k_buffer
        self.n_repness = n_repness
        self.min_group_votes = min_group_votes

    # -- input ---------------------------------------------------------------------------
    @staticmethod
    def _to_sparse(votes) -> sp.csr_matrix:  # type: ignore[no-untyped-def]
        """Votes as CSR with every vote stored (passes as explicit zeros → stored as 0.0)."""
        if sp.issparse(votes):
            coo = sp.coo_matrix(votes)
            keep = ~np.isnan(coo.data.astype(np.float64))
            data = np.sign(coo.data[keep].astype(np.float64))
            return sp.csr_matrix((data, (coo.row[keep], coo.col[keep])), shape=coo.shape)
        arr = np.asarray(votes, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError("votes must be a 2-D participants × statements matrix")
        rows, cols = np.nonzero(~np.isnan(arr))
        return sp.csr_matrix((np.sign(arr[rows, cols]), (rows, cols)), shape=arr.shape)

    def fit(self, votes) -> OpinionGroups:  # type: ignore[no-untyped-def]
        """Compute groups, projection, representative and consensus statements."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):  # small problems: threads cost more than they give
            return self._fit(votes)

    # -- steps ---------------------------------------------------------------------------
    def _reset(self, n: int, m: int) -> None:
        self.labels_ = np.full(n, -1, dtype=int)
        self.coords_ = np.full((n, 2), np.nan)
        self.participants_ = np.zeros(0, dtype=int)
        self.representatives_: list[list[Representative]] = []
        self.repness_: list[list[tuple[int, float, float]]] = []
        self.consensus_: list[int] = []
        self.consensus_against_: list[int] = []
        self.divisive_: list[int] = []
        self.k_ = 0
        self.k_state_: KState | None = self.k_state
        self.silhouettes_: dict[int, float] = {}
        self.silhouette_ = float("nan")
        self.silhouette_null_ = float("nan")
        self.agree_share_ = np.zeros((0, m))
        self.strength_ = "none"
        self.confidence_ = NOT_ENOUGH

    def _participation(self, n_votes: np.ndarray, m: int) -> tuple[np.ndarray, int]:
        """Clustered participants (Pol.is' rule) and how many met the vote threshold itself."""
        need = min(self.min_votes, m)
        qualified = n_votes >= max(need, 1)
        n_qualified = int(qualified.sum())
        if n_qualified < self.greedy_n:
            # Pol.is keeps the most active voters when too few qualify (stable order on ties).
            order = np.lexsort((np.arange(len(n_votes)), -n_votes))
            extra = [i for i in order if not qualified[i] and n_votes[i] > 0]
            qualified[extra[: self.greedy_n - n_qualified]] = True
        return np.flatnonzero(qualified), n_qualified

    def _project(self, V: sp.csr_matrix, seen: sp.csr_matrix, n_votes: np.ndarray) -> np.ndarray:
        """2-D PCA projection with column-mean imputation and Pol.is' sparsity scaling."""
        from scipy.sparse.linalg import ArpackError, svds

        n, m = V.shape
        active = np.flatnonzero(n_votes > 0)
        Va = V[active]
        col_n = np.asarray(seen[active].sum(axis=0)).ravel()
        col_mean = np.divide(np.asarray(Va.sum(axis=0)).ravel(), col_n, out=np.zeros(m),
                             where=col_n > 0)
        # A missing vote imputed with the column mean is 0 once centred: centre the stored
        # votes only and the sparse matrix *is* the imputed, centred matrix.
        A = Va.astype(np.float64, copy=True)
        A.data = A.data - col_mean[A.indices]
        comps = np.zeros((2, m))
        if A.nnz and np.any(A.data):
            vt = None
            if min(A.shape) > 50:
                rng = np.random.default_rng(self.random_state)
                try:
                    _, sv, vt = svds(A, k=2, v0=rng.random(min(A.shape)),
                                     random_state=self.random_state)
                    vt = vt[np.argsort(-sv)]
                except ArpackError:  # degenerate matrix: the exact route below handles it
                    vt = None
            if vt is None:
                # Eigenvectors of AᵀA, which Pol.is' power iteration converges to.
                w, vecs = np.linalg.eigh((A.T @ A).toarray())
                top = np.argsort(-w, kind="stable")[:2]
                vt = np.where(w[top] > 1e-12, 1.0, 0.0)[:, None] * vecs[:, top].T
            # A component's sign is arbitrary: fix it (largest loading positive) for stable plots.
            for i, row in enumerate(vt):
                comps[i] = row if row[np.argmax(np.abs(row))] >= 0 else -row
        self.components_ = comps
        self.center_ = col_mean
        P = np.asarray(A @ comps.T)
        P *= (m / np.maximum(n_votes[active], 1))[:, None] ** self.scale_power
        coords = np.full((n, 2), np.nan)
        coords[active] = P
        return coords

    def _base_clusters(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """~``base_k`` k-means clusters: (label per point, centres, sizes)."""
        from sklearn.cluster import KMeans

        distinct = np.unique(np.round(X, 12), axis=0)
        k = min(self.base_k, len(distinct))
        if k <= 1:
            return np.zeros(len(X), dtype=int), X.mean(axis=0, keepdims=True), np.array([len(X)])
        km = KMeans(n_clusters=k, n_init=1, random_state=self.random_state, max_iter=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lab = km.fit_predict(X)
        used, lab = np.unique(lab, return_inverse=True)  # drop empty clusters
        centres = km.cluster_centers_[used]
        sizes = np.bincount(lab, minlength=len(used))
        return lab, centres, sizes

    def _group_clusters(self, centres: np.ndarray, sizes: np.ndarray, k: int) -> np.ndarray:
        """Weighted k-means of the base-cluster centres: group per base cluster."""
        from sklearn.cluster import KMeans

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return KMeans(n_clusters=k, n_init=10, random_state=self.random_state).fit_predict(
                centres, sample_weight=sizes.astype(np.float64)
            )

    def _polish(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Lloyd iterations on the participants themselves, started from the group centres.

        Pol.is stops at the base-cluster level; on a continuum of opinion the cut between two
        groups then moves with the base clusters (another seed, a few more votes). Letting each
        participant join the nearest group centre removes that jitter without changing k.
        """
        from sklearn.cluster import KMeans

        _, labels = np.unique(labels, return_inverse=True)
        k = int(labels.max()) + 1
        centres = np.array([X[labels == g].mean(axis=0) for g in range(k)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            polished = KMeans(n_clusters=k, init=centres, n_init=1, max_iter=100).fit_predict(X)
        return polished if len(np.unique(polished)) == k else labels

    def _choose_k(self, centres: np.ndarray, sizes: np.ndarray) -> tuple[int, np.ndarray]:
        """k with the best silhouette over the base centres, smoothed as Pol.is does."""
        from sklearn.metrics import silhouette_score

        n_base = len(centres)
        lo, hi = self.k_range
        hi = min(hi, 2 + n_base // 12, n_base - 1)
        clusterings: dict[int, np.ndarray] = {}
        for k in range(max(2, lo), hi + 1):
            lab = self._group_clusters(centres, sizes, k)
            if len(np.unique(lab)) < 2:
                continue
            clusterings[k] = lab
            self.silhouettes_[k] = float(silhouette_score(centres, lab))
        if not clusterings:
            return 1, np.zeros(n_base, dtype=int)
        this_k = max(self.silhouettes_, key=lambda kk: (self.silhouettes_[kk], -kk))
        prev = self.k_state
        streak = prev.streak + 1 if prev is not None and prev.last_k == this_k else 1
        if streak >= self.k_buffer or prev is None or prev.k not in clusterings:
            k = this_k
        else:
            k = prev.k
        self.k_state_ = KState(last_k=this_k, streak=streak, k=k)
        return k, clusterings[k]

    def _fit(self, votes) -> OpinionGroups:  # type: ignore[no-untyped-def]
        V = self._to_sparse(votes)
        n, m = V.shape
        self._reset(n, m)
        seen = sp.csr_matrix((np.ones_like(V.data), V.indices, V.indptr), shape=V.shape)
        n_votes = np.diff(V.indptr).astype(int)
        self.n_votes_ = n_votes
        voted_statements = int((np.diff(V.tocsc().indptr) > 0).sum())
        kept, n_qualified = self._participation(n_votes, m)
        if n_qualified < max(self.min_participants, 2) or voted_statements < 2 or len(kept) < 3:
            return self  # confidence_ already says there are not enough voters
        self.coords_ = self._project(V, seen, n_votes)
        self.participants_ = kept
        X = self.coords_[kept]

        base_lab, centres, sizes = self._base_clusters(X)
        if self.k == "auto":
            k, group_of_base = self._choose_k(centres, sizes)
        else:
            k = max(1, min(int(self.k), len(centres)))
            group_of_base = (self._group_clusters(centres, sizes, k) if k > 1
                             else np.zeros(len(centres), dtype=int))
        labels = group_of_base[base_lab]
        if len(np.unique(labels)) >= 2:
            labels = self._polish(X, labels)
        k = len(np.unique(labels))
        if k < 2:
            self._describe(X, labels, 1)
            return self
        # Stable numbering: groups ordered by size, then by first member.
        present = np.unique(labels)
        order = sorted(present, key=lambda g: (-(labels == g).sum(), int(np.argmax(labels == g))))
        remap = np.full(labels.max() + 1, -1)
        remap[order] = np.arange(k)
        labels = remap[labels]
        self.k_ = k
        self.labels_[kept] = labels
        self._describe(X, labels, k)
        self._statements(V[kept], seen[kept], labels, k)
        return self

    def _describe(self, X: np.ndarray, labels: np.ndarray, k: int) -> None:
        """How clear the grouping is, in plain Chinese.

        k-means splits anything, even a shapeless cloud, and a 2-D cloud split in two already
        has a silhouette near 0.4. So the silhouette of the grouping is compared with the one
        the same k gets on a Gaussian cloud of the same spread (``silhouette_null_``): only the
        margin above that says there are groups rather than a continuum of opinion.
        """
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score

        rng = np.random.default_rng(self.random_state)
        if k >= 2:
            sample = rng.choice(len(X), size=min(len(X), 3000), replace=False)
            if len(np.unique(labels[sample])) >= 2:
                self.silhouette_ = float(silhouette_score(X[sample], labels[sample]))
                nulls = []
                for seed in range(3):
                    cloud = rng.multivariate_normal(X.mean(axis=0), np.cov(X.T),
                                                    size=min(len(X), 1000))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        lab = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(cloud)
                    if len(np.unique(lab)) >= 2:
                        nulls.append(float(silhouette_score(cloud, lab)))
                self.silhouette_null_ = float(np.mean(nulls)) if nulls else float("nan")
        margin = self.silhouette_ - self.silhouette_null_
        if k < 2 or not np.isfinite(margin):
            self.strength_ = "none"
            self.confidence_ = "居民的表态没有分出看法不同的几组，大家的看法大体相近。"
        elif margin >= CLEAR_MARGIN:
            self.strength_ = "clear"
            self.confidence_ = "分组明显：同一组居民的表态相近，组与组之间差别清楚。"
        elif margin >= MODERATE_MARGIN:
            self.strength_ = "moderate"
            self.confidence_ = "分组较明显：各组看法有差别，但也有不少居民的看法介于几组之间。"
        else:
            self.strength_ = "weak"
            self.confidence_ = ("分组较弱，不宜理解为对立的几派：居民的看法大多是连续过渡的，"
                                "分组只是为了便于归纳各类看法。")

    def _statements(self, Vk: sp.csr_matrix, Sk: sp.csr_matrix, labels: np.ndarray, k: int) -> None:
        """Representative statements per group, consensus and divisive statements."""
        m = Vk.shape[1]
        G = sp.csr_matrix(
            (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels))
        )
        na = np.asarray((G @ (Vk > 0).astype(np.float64)).todense())
        nd = np.asarray((G @ (Vk < 0).astype(np.float64)).todense())
        ns = np.asarray((G @ Sk).todense())
        pa = (na + 1) / (ns + 2)  # pseudo-counts: a statement nobody saw sits at 1/2
        pd_ = (nd + 1) / (ns + 2)
        self.agree_share_ = pa
        enough = ns >= self.min_group_votes
        reps: list[list[Representative]] = []
        rep_any = np.zeros(m, dtype=bool)  # significant for at least one group
        for g in range(k):
            oa, od, on = na.sum(0) - na[g], nd.sum(0) - nd[g], ns.sum(0) - ns[g]
            pa_o, pd_o = (oa + 1) / (on + 2), (od + 1) / (on + 2)
            pat, pdt = prop_test(na[g], ns[g]), prop_test(nd[g], ns[g])
            rat, rdt = two_prop_test(na[g], oa, ns[g], on), two_prop_test(nd[g], od, ns[g], on)
            found: list[tuple[float, Representative]] = []
            for j in range(m):
                if not enough[g, j]:
                    continue
                agree = rat[j] > rdt[j]  # the direction with the stronger contrast
                p, po, zp, zr, succ = ((pa[g, j], pa_o[j], pat[j], rat[j], na[g, j]) if agree
                                       else (pd_[g, j], pd_o[j], pdt[j], rdt[j], nd[g, j]))
                if not (zp > Z_90 and zr > Z_90):
                    continue  # only what is statistically true is said about a group
                rep = Representative(
                    statement=j, direction="agree" if agree else "disagree", n_success=int(succ),
                    n_trials=int(ns[g, j]), share=round(float(p), 4), share_others=round(float(po), 4),
                    z_group=round(float(zp), 3), z_others=round(float(zr), 3),
                    confidence=0.95 if (zp > Z_95 and zr > Z_95) else 0.90,
                )
                found.append((float(p / po * zr * p * zp), rep))  # Pol.is' ranking metric
            rep_any[[r.statement for _, r in found]] = True
            found.sort(key=lambda t: (-t[0], t[1].statement))
            best = [r for _, r in found[: self.n_repness]]
            # Agrees before disagrees, as Pol.is lists them.
            reps.append([r for r in best if r.direction == "agree"]
                        + [r for r in best if r.direction == "disagree"])
        self.representatives_ = reps
        self.repness_ = [[(r.statement, round(float(pa[g, r.statement]), 4), round(r.ratio, 4))
                          for r in group] for g, group in enumerate(reps)]

        # Consensus: every group, on its own, agrees (or disagrees) significantly (> 1/2 at 90 %);
        # ranked by the product of the groups' agree shares (Pol.is' group-aware consensus).
        all_enough = enough.all(axis=0)
        agree_sig = (prop_test(na, ns) > Z_90).all(axis=0) & (pa > 0.5).all(axis=0) & all_enough
        dis_sig = (prop_test(nd, ns) > Z_90).all(axis=0) & (pd_ > 0.5).all(axis=0) & all_enough
        agree_score, dis_score = pa.prod(axis=0), pd_.prod(axis=0)
        cons = np.flatnonzero(agree_sig)
        self.consensus_ = [int(j) for j in cons[np.argsort(-agree_score[cons], kind="stable")]]
        against = np.flatnonzero(dis_sig)
        self.consensus_against_ = [int(j) for j in against[np.argsort(-dis_score[against], kind="stable")]]
        # Divisive: the widest gap in agree share between two groups, among statements that are
        # representative (significant) for at least one group.
        spread = np.where(all_enough & rep_any, pa.max(axis=0) - pa.min(axis=0), -np.inf)
        top = np.argsort(-spread, kind="stable")[: self.n_repness]
        self.divisive_ = [int(j) for j in top if np.isfinite(spread[j]) and spread[j] > 0.2]
