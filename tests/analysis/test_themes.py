import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import normalized_mutual_info_score

from analysis import ThemeInfo, ThemeModel

from .corpus import OTHER, labelled_corpus
from .golden_corpus import GOLDEN_PATH, golden_texts, pipeline_output


@pytest.fixture(scope="module")
def corpus():
    return labelled_corpus()


@pytest.fixture(scope="module")
def model4(tokenizer, corpus):
    texts, _ = corpus
    return ThemeModel(k=4, tokenizer=tokenizer).fit(texts + OTHER)


def test_golden_output(tokenizer):
    """A change of themes must be a conscious decision: see tests/analysis/golden_corpus.py."""
    expected = json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))
    assert pipeline_output(tokenizer) == expected


def test_recovers_the_four_topics(model4, corpus):
    texts, topics = corpus
    assert normalized_mutual_info_score(topics, model4.labels_[: len(texts)]) >= 0.8
    labels = " ".join(t.label for t in model4.themes_)
    for word in ["加装电梯", "停车", "垃圾", "充电"]:
        assert word in labels


def test_fitted_attributes(model4, corpus):
    texts, _ = corpus
    n = len(texts) + len(OTHER)
    assert model4.labels_.shape == (n,) and model4.scores_.shape == (n,)
    assert len(model4.duplicate_of_) == n
    assert ((model4.scores_ >= 0) & (model4.scores_ <= 1)).all()
    assert sum(t.size for t in model4.themes_) == n
    for i, theme in enumerate(model4.themes_):
        assert isinstance(theme, ThemeInfo)
        assert theme.size == len(theme.members)
        assert all(model4.labels_[m] == i for m in theme.members)
        assert 0 < len(theme.representatives) <= 3
        assert set(theme.representatives) <= set(theme.members)
        reps = [model4.scores_[r] for r in theme.representatives]
        if not theme.is_other:
            assert reps == sorted(reps, reverse=True)
            assert theme.keywords and "·" in theme.label or len(theme.keywords) >= 1


def test_other_theme_is_explicit_and_last(tokenizer, corpus):
    texts, _ = corpus
    odd = ["今天天气不错", "这个那个", "！！！", ""]
    model = ThemeModel(k=4, tokenizer=tokenizer).fit(texts + odd)
    other = [t for t in model.themes_ if t.is_other]
    assert len(other) == 1 and other[0].label == "其他"
    assert model.themes_[-1] is other[0]
    for i in range(len(texts), len(texts) + len(odd)):
        assert model.themes_[model.labels_[i]].is_other
        assert model.scores_[i] == 0.0


def test_keywords_are_meaningful_words(tokenizer, corpus):
    texts, _ = corpus
    noisy = [t.replace("，", "，A3区的A000102948在2023年12月听张伟说", 1) for t in texts]
    model = ThemeModel(k=4, tokenizer=tokenizer).fit(noisy)
    for theme in model.themes_:
        for word in theme.keywords:
            assert not re.search(r"[0-9A-Za-z]", word), word
            assert len(word) >= 2
            assert word not in {"张伟", "反映", "说"}


def test_deterministic(tokenizer, corpus):
    texts, _ = corpus
    a = ThemeModel(random_state=3, tokenizer=tokenizer).fit(texts)
    b = ThemeModel(random_state=3, tokenizer=tokenizer).fit(texts)
    assert np.array_equal(a.labels_, b.labels_)
    assert np.array_equal(a.scores_, b.scores_)
    assert [t.label for t in a.themes_] == [t.label for t in b.themes_]


def test_guided_keeps_committee_labels(tokenizer, corpus):
    texts, topics = corpus
    guide = [topic if i % 5 == 0 else None for i, topic in enumerate(topics)]
    guide += [None] * len(OTHER)
    model = ThemeModel(tokenizer=tokenizer).fit(texts + OTHER, guide=guide)
    by_label = {t.label: t for t in model.themes_}
    for i, g in enumerate(guide):
        if g is not None:
            theme = model.themes_[model.labels_[i]]
            assert theme.label == g and theme.guided
            assert model.scores_[i] == 1.0
    assert {"加装电梯", "停车", "垃圾分类", "电动车充电"} <= set(by_label)
    # most unguided opinions of a topic join that topic's guided theme
    joined = sum(
        model.themes_[model.labels_[i]].label == topics[i]
        for i in range(len(texts))
        if guide[i] is None
    )
    assert joined >= 0.6 * sum(g is None for g in guide[: len(texts)])
    assert all(t.guided for t in model.themes_[:4])


def test_guided_rerun_keeps_assignments_when_opinions_arrive(tokenizer, corpus):
    texts, topics = corpus
    guide = list(topics[:20]) + [None] * 20
    first = ThemeModel(tokenizer=tokenizer).fit(texts, guide=guide)
    second = ThemeModel(tokenizer=tokenizer).fit(texts + OTHER, guide=guide + [None] * len(OTHER))
    for i in range(20):
        assert (
            first.themes_[first.labels_[i]].label
            == second.themes_[second.labels_[i]].label
            == topics[i]
        )


def test_duplicates_detected(tokenizer):
    texts = golden_texts()
    model = ThemeModel(k=4, tokenizer=tokenizer).fit(texts)
    assert model.duplicate_of_[-2] == 3
    assert model.duplicate_of_[-1] == 21


def test_progress_reports(tokenizer, corpus):
    texts, _ = corpus
    calls = []
    ThemeModel(k=4, tokenizer=tokenizer).fit(texts, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


@pytest.mark.parametrize(
    "texts",
    [[], [""], ["停车难"], ["电梯坏了", "电梯坏了"], ["！", "。", "   "], ["垃圾分类"] * 10],
)
def test_degenerate_inputs(tokenizer, texts):
    model = ThemeModel(tokenizer=tokenizer).fit(texts)
    assert len(model.labels_) == len(texts)
    assert sum(t.size for t in model.themes_) == len(texts)


def test_k_larger_than_input(tokenizer):
    model = ThemeModel(k=10, tokenizer=tokenizer, min_theme_size=1).fit(
        ["停车难", "垃圾桶太少", "充电桩坏了"]
    )
    assert len(model.labels_) == 3


def test_bad_parameters(tokenizer):
    with pytest.raises(ValueError):
        ThemeModel(k="many", tokenizer=tokenizer).fit(["停车难"])
    with pytest.raises(ValueError):
        ThemeModel(tokenizer=tokenizer).fit(["停车难", "垃圾"], guide=["停车"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=30), max_size=12))
def test_never_crashes_on_arbitrary_unicode(tokenizer, texts):
    model = ThemeModel(tokenizer=tokenizer).fit(texts)
    assert len(model.labels_) == len(texts)


def test_guide_missing_values(tokenizer, corpus):
    import pandas as pd

    texts, topics = corpus
    guide = [topics[0], float("nan"), pd.NA, "  ", None] + [None] * (len(texts) - 5)
    model = ThemeModel(k=2, tokenizer=tokenizer).fit(texts, guide=guide)
    assert [t.label for t in model.themes_ if t.guided] == [topics[0]]


def test_stance_only_opinions_are_neither_label_nor_first_example(tokenizer):
    """"支持支持" says how a resident feels, not what about: it must not name the theme or be
    the first example the committee reads."""
    charging = [
        "支持充电桩",
        "支持支持充电桩",
        "我们都支持充电桩",
        "充电桩充满后车还占着车位，应该收占位费",
        "地下车库充电桩太少，晚上排队充电要等很久",
        "充电桩经常坏了没人修，物业应该定期检修充电桩",
        "希望增加充电桩，并且充满自动断电防止占位",
        "充电桩收费太贵，支持按电价收费",
    ]
    stairs = [
        "楼道里堆满杂物，消防通道被堵，非常危险",
        "楼道杂物堆放影响老人上下楼，请物业清理",
        "有人在楼道里堆纸箱和旧家具，存在火灾隐患",
        "楼道杂物长期不清理，消防检查也不管",
        "楼道堆放自行车和杂物，晚上走路容易摔倒",
        "请居委会组织清理楼道杂物，保持消防通道畅通",
    ]
    model = ThemeModel(k=2, random_state=0, tokenizer=tokenizer).fit(charging + stairs)
    theme = next(t for t in model.themes_ if set(t.members) & set(range(len(charging))))
    assert "支持" not in theme.label and "支持" not in theme.keywords
    first = theme.representatives[0]
    assert first not in (0, 1, 2), charging[first]


def test_automatic_k_and_themes_hardly_depend_on_the_seed(tokenizer, corpus):
    """The consensus cut: k differs by at most 1 across seeds and the partitions agree."""
    from itertools import combinations

    from sklearn.metrics import adjusted_rand_score

    texts, topics = corpus
    models = [ThemeModel(random_state=s, tokenizer=tokenizer).fit(texts + OTHER) for s in range(4)]
    ks = [m.k_ for m in models]
    assert max(ks) - min(ks) <= 1, ks
    for a, b in combinations(models, 2):
        assert adjusted_rand_score(a.labels_, b.labels_) >= 0.8
    for m in models:
        assert normalized_mutual_info_score(topics, m.labels_[: len(texts)]) >= 0.8


def test_other_rescue_moves_only_opinions_within_a_themes_spread():
    """An opinion left in 其他 rejoins the theme it is as close to as the theme's own members
    are; one far from every theme stays in 其他; guided (protected) rows are not touched."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    axes = np.eye(4, dtype=np.float32)
    # two themes of 20 opinions around axes 0 and 1, spread a little
    Z = np.vstack([axes[0] + 0.3 * rng.random((20, 4)), axes[1] + 0.3 * rng.random((20, 4))])
    near = axes[0] + 0.3 * np.full(4, 0.5)  # as close to theme 0 as its typical member
    far = axes[3]  # shares nothing with either theme
    Z = np.vstack([Z, near, far]).astype(np.float32)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    X = sp.csr_matrix(np.abs(Z))  # every row has words
    labels = np.array([0] * 20 + [1] * 20 + [-1, -1])
    scores = np.zeros(len(labels), dtype=np.float32)

    model = ThemeModel(min_score=0.0)
    out, _ = model._finish_groups(X, labels.copy(), scores.copy(), protect=None, Z=Z)
    assert out[40] == 0 and out[41] == -1
    assert np.array_equal(out[:40], labels[:40])
    off = ThemeModel(min_score=0.0, other_rescue=None)
    out, _ = off._finish_groups(X, labels.copy(), scores.copy(), protect=None, Z=Z)
    assert out[40] == -1 and out[41] == -1
