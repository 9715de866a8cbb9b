import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import hot_score


def test_more_voices_and_support_are_hotter():
    base = hot_score(n_distinct=5, n_residents=5, support=10)
    assert hot_score(n_distinct=20, n_residents=20, support=10) > base
    assert hot_score(n_distinct=5, n_residents=5, support=50) > base
    assert hot_score(n_distinct=5, n_residents=5, support=10, opposition=30) < base


def test_campaign_of_copies_counts_once():
    # 50 copies of one opinion from one resident vs 10 different opinions from 10 residents
    assert hot_score(n_distinct=1, n_residents=1, support=0) < hot_score(
        n_distinct=10, n_residents=10, support=0
    )


def test_recency_halves_every_two_weeks():
    fresh = hot_score(n_distinct=8, n_residents=6, support=12)
    assert hot_score(n_distinct=8, n_residents=6, support=12, days_since_last=14) == pytest.approx(
        fresh / 2, rel=1e-4
    )


def test_nothing_scores_zero_and_bad_input_rejected():
    assert hot_score(n_distinct=0, n_residents=0, support=0) == 0.0
    assert hot_score(n_distinct=0, n_residents=0, support=0, opposition=100) == 0.0
    with pytest.raises(ValueError):
        hot_score(n_distinct=-1, n_residents=0, support=0)


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.floats(0, 10**4),
)
def test_non_negative(a, b, c, d, days):
    assert (
        hot_score(n_distinct=a, n_residents=b, support=c, opposition=d, days_since_last=days) >= 0
    )
