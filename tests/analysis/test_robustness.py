"""No public function crashes on arbitrary Unicode (hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import SimilarOpinionIndex, find_near_duplicates, normalize_text, redact_pii

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.text())
def test_tokenizer(tokenizer, text):
    tokens = tokenizer.tokenize(text)
    assert all(isinstance(t, str) and t for t in tokens)
    assert isinstance(tokenizer.tokenize_for_search(text), list)
    assert tokenizer.tokenize(normalize_text(redact_pii(text))) is not None


@SETTINGS
@given(st.lists(st.text(max_size=40), max_size=8))
def test_near_duplicates(tokenizer, texts):
    dup = find_near_duplicates(texts, tokenizer=tokenizer)
    assert len(dup) == len(texts)
    assert all(d is None or 0 <= d < i for i, d in enumerate(dup))


@pytest.fixture(scope="module")
def index(tokenizer):
    return SimilarOpinionIndex(tokenizer=tokenizer).fit(
        ["小区停车难", "垃圾分类投放时间太短", "充电桩不够用"]
    )


@SETTINGS
@given(st.text())
def test_similarity_query(index, text):
    for i, score in index.query(text):
        assert 0 <= i < 3 and 0 <= score <= 1.0001
