import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import adjusted_rand_score

from analysis import OpinionGroups


def planted(n=300, m=60, groups=3, density=0.5, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, groups, n)
    profile = rng.choice([0.1, 0.9], size=(groups, m))
    profile[:, :5] = 0.95  # statements 0-4: everybody agrees
    votes = np.where(rng.random((n, m)) < profile[truth], 1.0, -1.0)
    votes[rng.random((n, m)) < 0.1] = 0.0
    votes[rng.random((n, m)) > density] = np.nan
    return votes, truth


def test_recovers_planted_groups_dense():
    votes, truth = planted()
    model = OpinionGroups(random_state=0).fit(votes)
    assert model.k_ == 3
    kept = model.participants_
    assert adjusted_rand_score(truth[kept], model.labels_[kept]) > 0.95
    assert model.coords_.shape == (len(truth), 2)
    assert len(model.repness_) == 3
    for group in model.repness_:
        assert 0 < len(group) <= 5
        for statement, share, score in group:
            assert 0 <= statement < votes.shape[1] and 0 < share < 1 and score > 0
    assert set(range(5)) <= set(model.consensus_)
    assert model.divisive_ and not set(model.divisive_) & set(range(5))


def test_sparse_input_same_as_dense():
    votes, _ = planted(n=120, m=30, seed=1)
    rows, cols = np.nonzero(~np.isnan(votes))
    sparse = sp.csr_matrix((votes[rows, cols], (rows, cols)), shape=votes.shape)
    assert sparse.nnz == len(rows)  # passes are stored zeros
    a = OpinionGroups().fit(votes)
    b = OpinionGroups().fit(sparse)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.consensus_ == b.consensus_


def test_participants_with_few_votes_are_skipped():
    votes, _ = planted(n=100, m=30, seed=2)
    votes[:10, 3:] = np.nan  # 3 votes at most
    model = OpinionGroups(min_votes=7).fit(votes)
    assert (model.labels_[:10] == -1).all()
    assert np.isnan(model.coords_[:10]).all()
    assert not set(range(10)) & set(model.participants_.tolist())


def test_fixed_k_and_determinism():
    votes, _ = planted(n=150, m=40, groups=4, seed=3)
    a = OpinionGroups(k=2, random_state=5).fit(votes)
    b = OpinionGroups(k=2, random_state=5).fit(votes)
    assert a.k_ == 2
    assert np.array_equal(a.labels_, b.labels_)


def test_too_little_data():
    model = OpinionGroups().fit(np.full((3, 4), np.nan))
    assert model.k_ == 0 and (model.labels_ == -1).all()
    with pytest.raises(ValueError):
        OpinionGroups().fit(np.zeros(5))


@settings(max_examples=25, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(0, 12), st.integers(0, 12)),
        elements=st.sampled_from([1.0, -1.0, 0.0, np.nan]),
    )
)
def test_never_crashes(votes):
    model = OpinionGroups(min_votes=1).fit(votes)
    assert model.labels_.shape == (votes.shape[0],)
