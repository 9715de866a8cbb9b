"""Guided themes: committee keywords and answers, and the opinions it should confirm next."""

import numpy as np
import pytest

from analysis import InputError, ThemeModel
from analysis.guided import Answer, GuidedThemes, parse_keywords, read_seed_words

from .corpus import OTHER, labelled_corpus

SEEDS = {
    "加装电梯": ["电梯", "楼层", "采光"],
    "停车": ["车位", "停车费", "乱停车"],
    "垃圾分类": ["垃圾", "投放", "清运"],
    "电动车充电": ["充电", "充电桩", "电动车"],
}


@pytest.fixture(scope="module")
def corpus():
    texts, topics = labelled_corpus()
    return texts + OTHER, topics + [None] * len(OTHER)


@pytest.fixture(scope="module")
def keyword_only(tokenizer, corpus):
    texts, _ = corpus
    return GuidedThemes(tokenizer=tokenizer).fit(texts, SEEDS)


def share_right(model, topics):
    pairs = [(p, t) for p, t in zip(model.label_names(), topics, strict=True) if t is not None]
    return sum(p == t for p, t in pairs) / len(pairs)


def test_keywords_alone_assign_most_opinions(keyword_only, corpus):
    _, topics = corpus
    assert keyword_only.themes_ == list(SEEDS)
    assert keyword_only.learner_ == "linear"
    assert share_right(keyword_only, topics) >= 0.8
    assert keyword_only.proba_.shape == (len(topics), 4)
    np.testing.assert_allclose(keyword_only.proba_.sum(axis=1), 1.0, atol=1e-6)
    assert ((keyword_only.confidence_ > 0) & (keyword_only.confidence_ <= 1)).all()


def test_suggestions_are_unanswered_and_least_certain(tokenizer, corpus):
    texts, topics = corpus
    answers = [Answer(i, topics[i]) for i in (0, 10, 20, 30)]
    model = GuidedThemes(tokenizer=tokenizer).fit(texts, SEEDS, answers)
    picks = model.suggest(6)
    assert len(picks) == len(set(picks)) == 6
    assert not {0, 10, 20, 30} & set(picks)
    rest = [i for i in range(len(texts)) if i not in picks and i not in (0, 10, 20, 30)]
    assert max(model.margin_[picks]) <= min(model.margin_[rest])
    assert list(model.margin_[picks]) == sorted(model.margin_[picks])
    # excluded rows are skipped, and asking for more than is left returns what is left
    assert not set(model.suggest(6, exclude=picks[:3])) & set(picks[:3])
    assert len(model.suggest(1000)) == len(texts) - 4


def test_answers_survive_even_against_the_words(tokenizer, corpus):
    texts, topics = corpus
    parking = topics.index("停车")
    answers = [Answer(parking, "垃圾分类"), Answer(1, "加装电梯", belongs=False)]
    model = GuidedThemes(tokenizer=tokenizer).fit(texts, SEEDS, answers)
    assert model.label_names()[parking] == "垃圾分类"
    assert model.confidence_[parking] == 1.0
    assert model.label_names()[1] != "加装电梯"
    assert model.proba_[1, model.themes_.index("加装电梯")] == 0.0
    assert parking not in model.suggest(len(texts)) and 1 not in model.suggest(len(texts))
    # a later answer about the same opinion replaces the earlier one
    moved = GuidedThemes(tokenizer=tokenizer).fit(texts, SEEDS, [*answers, Answer(parking, "停车")])
    assert moved.label_names()[parking] == "停车"


def test_answers_teach_a_theme_without_keywords(tokenizer, corpus):
    texts, topics = corpus
    seeds = {k: v for k, v in SEEDS.items() if k != "电动车充电"}
    charging = [i for i, t in enumerate(topics) if t == "电动车充电"]
    answers = [Answer(i, "电动车充电") for i in charging[:3]]
    model = GuidedThemes(tokenizer=tokenizer).fit(texts, seeds, answers)
    assert model.themes_ == [*seeds, "电动车充电"]
    names = model.label_names()
    assert sum(names[i] == "电动车充电" for i in charging[3:]) >= 5


def test_one_theme_uses_centre_similarity(tokenizer, corpus):
    texts, topics = corpus
    model = GuidedThemes(tokenizer=tokenizer).fit(texts, {"停车": SEEDS["停车"]})
    assert model.learner_ == "centroid"
    parking = [i for i, t in enumerate(topics) if t == "停车"]
    others = [i for i, t in enumerate(topics) if t not in (None, "停车")]
    assert np.mean(model.confidence_[parking]) > np.mean(model.confidence_[others])
    assert model.suggest(3) == [int(i) for i in np.argsort(model.margin_, kind="stable")[:3]]


def test_same_seed_same_result(tokenizer, corpus):
    texts, topics = corpus
    answers = [Answer(i, topics[i]) for i in (2, 12, 22, 32)]
    a = GuidedThemes(tokenizer=tokenizer, random_state=3).fit(texts, SEEDS, answers)
    b = GuidedThemes(tokenizer=tokenizer, random_state=3).fit(texts, SEEDS, answers)
    np.testing.assert_array_equal(a.proba_, b.proba_)
    assert a.suggest(5) == b.suggest(5)


def test_bad_answers_and_no_themes(tokenizer, corpus):
    texts, _ = corpus
    with pytest.raises(ValueError):
        GuidedThemes(tokenizer=tokenizer).fit(texts, SEEDS, [Answer(len(texts), "停车")])
    empty = GuidedThemes(tokenizer=tokenizer).fit(texts, {})
    assert empty.learner_ == "none" and empty.suggest(3) == []
    assert set(empty.labels_) == {-1}


def test_theme_model_seed_words(tokenizer, corpus):
    texts, topics = corpus
    seeds = {**SEEDS, "广场舞扰民": ["广场舞", "音乐声音"], "外卖柜": ["外卖"]}
    model = ThemeModel(tokenizer=tokenizer).fit(texts, seed_words=seeds)
    labels = [t.label for t in model.themes_]
    assert labels[:6] == list(seeds)
    assert all(t.guided for t in model.themes_[:6])
    assert model.themes_[5].size == 0  # nobody wrote about 外卖柜: the theme still exists
    names = [model.themes_[t].label for t in model.labels_]
    right = sum(n == t for n, t in zip(names, topics, strict=True) if t is not None)
    assert right >= 0.8 * sum(t is not None for t in topics)
    picks = model.suggest(5)
    assert len(set(picks)) == 5 and all(0 <= i < len(texts) for i in picks)


def test_theme_model_guide_rows_stay_and_are_never_suggested(tokenizer, corpus):
    texts, topics = corpus
    guide = [t if i % 5 == 0 else None for i, t in enumerate(topics)]
    guide[1] = "垃圾分类"  # a committee decision against the words stays
    model = ThemeModel(tokenizer=tokenizer).fit(texts, guide=guide, seed_words=SEEDS)
    for i, g in enumerate(guide):
        if g is not None:
            assert model.themes_[model.labels_[i]].label == g
    picks = model.suggest(len(texts))
    assert picks and all(guide[i] is None for i in picks)


def test_unguided_suggest_lowest_scores(tokenizer, corpus):
    texts, _ = corpus
    model = ThemeModel(k=4, tokenizer=tokenizer).fit(texts)
    picks = model.suggest(4)
    assert len(picks) == 4
    assert max(model.scores_[picks]) <= np.sort(model.scores_)[4]


def test_parse_keywords():
    assert parse_keywords("电梯、采光 加装电梯,  电梯") == ["电梯", "采光", "加装电梯"]
    assert parse_keywords("") == []


def test_read_seed_words(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_text(
        "theme,keywords\n停车,车位、停车费\n停车,乱停车 车位\n垃圾分类,\n,无主题\n",
        encoding="utf-8",
    )
    assert read_seed_words(path) == {"停车": ["车位", "停车费", "乱停车"], "垃圾分类": []}
    no_theme = tmp_path / "none.csv"
    no_theme.write_text("theme,keywords\n,车位\n", encoding="utf-8")
    with pytest.raises(InputError, match="没有列出任何主题"):
        read_seed_words(no_theme)
    missing = tmp_path / "missing.csv"
    missing.write_text("主题名,词\n停车,车位\n", encoding="utf-8")
    with pytest.raises(InputError, match="缺少列“theme”"):
        read_seed_words(missing)
