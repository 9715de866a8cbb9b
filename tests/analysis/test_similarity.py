import pytest

from analysis import SimilarOpinionIndex

from .corpus import CHARGING, ELEVATOR, PARKING, labelled_corpus


@pytest.fixture(scope="module")
def index(tokenizer):
    texts, _ = labelled_corpus()
    return SimilarOpinionIndex(tokenizer=tokenizer).fit(texts)


@pytest.mark.parametrize(
    ("query", "pool"),
    [
        ("小区充电桩太少了", CHARGING),
        ("飞线充电太危险", CHARGING),
        ("电梯费用怎么分摊", ELEVATOR),
        ("停车位不够", PARKING),
    ],
)
def test_query_finds_opinions_of_the_same_topic(index, query, pool):
    texts, _ = labelled_corpus()
    hits = index.query(query)
    assert hits, query
    assert texts[hits[0][0]] in pool
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.25 <= s <= 1.0 for s in scores)


def test_exact_text_scores_one(index):
    texts, _ = labelled_corpus()
    (best, score), *_ = index.query(texts[5])
    assert best == 5 and score == pytest.approx(1.0, abs=1e-3)


def test_unrelated_or_empty_queries(index):
    assert index.query("") == []
    assert index.query("您好") == []
    assert index.query("充电桩", top_k=0) == []
    assert len(index.query("充电桩", top_k=2, min_score=0.0)) == 2


def test_count_similar(index):
    assert index.count_similar("垃圾桶太少而且离楼太远") >= 1


def test_unfitted_and_empty_index(tokenizer):
    with pytest.raises(RuntimeError):
        SimilarOpinionIndex().query("停车")
    assert SimilarOpinionIndex(tokenizer=tokenizer).fit([]).query("停车") == []
