import pickle

import pytest

from analysis import ChineseTokenizer

from .corpus import OTHER, TOPICS

ALL_SENTENCES = (
    [s for sentences in TOPICS.values() for s in sentences]
    + OTHER
    + [
        "物业费和维修基金的账目要公开，业委会成员应该轮换。",
        "网格员每周上门走访独居老人，适老化改造的申请由她帮忙填写。",
        "老旧小区改造的方案征求意见时间太短，很多老人还没看到公示栏。",
        "2019年3月1日下午3点，A市A3区的居民在12栋楼下开会，e-mail和baidu.com都写了。",
        "我不同意在楼下建垃圾房，我们没有被征求意见。",
    ]
)


@pytest.mark.parametrize(
    "word",
    [
        "加装电梯",
        "垃圾分类",
        "非机动车充电",
        "物业费",
        "老旧小区改造",
        "适老化",
        "网格员",
        "飞线充电",
        "电动自行车",
        "充电桩",
        "长者食堂",
        "业委会",
        "维修基金",
        "低层住户",
    ],
)
def test_user_dictionary_words_stay_whole(tokenizer, word):
    assert word in tokenizer.tokenize(f"关于{word}的问题，大家怎么看")


def test_stop_words_and_boilerplate_removed(tokenizer):
    tokens = tokenizer.tokenize("尊敬的领导您好，我想反映一下，希望尽快解决，谢谢！")
    for word in ["尊敬", "领导", "您好", "反映", "希望", "谢谢", "，", "！"]:
        assert word not in tokens


def test_negation_kept(tokenizer):
    # stopwordsiso lists 不; "同意加装" and "不同意加装" must stay apart.
    for word in ["不", "没有", "没", "未"]:
        assert word not in tokenizer.stopwords
    assert "不" in tokenizer.cut("我不同意") or "不同意" in tokenizer.tokenize("我不同意")


def test_numbers_and_masked_names_dropped(tokenizer):
    tokens = tokenizer.tokenize("A市A3区的用户A000102948在2019年反映12栋问题，C1区云塘学校")
    assert tokens == [t for t in tokens if not any(c.isdigit() for c in t)]
    assert "区云塘" not in tokens
    assert "云塘" in tokens and "学校" in tokens


def test_engines_give_identical_tokens(tokenizer, jieba_tokenizer):
    assert tokenizer.engine_ == "rjieba"
    assert jieba_tokenizer.engine_ == "jieba"
    for sentence in ALL_SENTENCES:
        assert tokenizer.tokenize(sentence) == jieba_tokenizer.tokenize(sentence), sentence


def test_engines_segment_identically(tokenizer, jieba_tokenizer):
    for sentence in ALL_SENTENCES[:-2]:  # without date-like strings, where the engines differ
        assert tokenizer.cut(sentence) == jieba_tokenizer.cut(sentence), sentence


def test_jieba_cache_goes_to_cache_dir(tmp_path):
    tk = ChineseTokenizer(engine="jieba", cache_dir=tmp_path / "cache")
    tk.tokenize("加装电梯")
    assert (tmp_path / "cache" / "jieba.cache").exists()


def test_tokenize_many_segments_each_distinct_text_once(tokenizer):
    texts = ["垃圾分类督导员态度不好", "充电桩经常坏", "垃圾分类督导员态度不好"]
    out = tokenizer.tokenize_many(texts)
    assert out[0] is out[2]
    assert out[0] == tokenizer.tokenize(texts[0])


def test_unknown_engine_rejected():
    with pytest.raises(ValueError):
        ChineseTokenizer(engine="spacy")


def test_picklable(tokenizer):
    clone = pickle.loads(pickle.dumps(tokenizer))
    assert clone.tokenize("小区停车难") == tokenizer.tokenize("小区停车难")


def test_empty_and_odd_input(tokenizer):
    assert tokenizer.tokenize("") == []
    assert tokenizer.tokenize("   ，。！") == []
    assert tokenizer.tokenize_many([]) == []


def test_parallel_tokenize_many_matches_serial(tokenizer, monkeypatch):
    import analysis.tokenize as module

    monkeypatch.setattr(module, "PARALLEL_MIN_TEXTS", 10)
    texts = [s + str(i % 7) for i, s in enumerate(ALL_SENTENCES * 3)]
    assert tokenizer.tokenize_many(texts, n_jobs=2) == tokenizer.tokenize_many(texts)


def test_engines_identical_on_real_messages(tokenizer, jieba_tokenizer, real_messages):
    """Both engines give the same filtered tokens on real residents' messages (read at run
    time from the shared evaluation data; skipped when it is absent)."""
    for text in real_messages:
        assert tokenizer.tokenize(text) == jieba_tokenizer.tokenize(text)


def _counts_by_text(wc):
    rows = []
    for i in range(wc.counts.shape[0]):
        row = wc.counts.getrow(i)
        rows.append({wc.vocabulary[j]: int(v) for j, v in zip(row.indices, row.data, strict=True)})
    return rows


def test_count_words_counts_what_tokenize_keeps(tokenizer):
    from collections import Counter

    from analysis import normalize_text

    texts = ALL_SENTENCES + ["垃圾分类督导员态度不好，垃圾分类要坚持", "", "，。！", ALL_SENTENCES[0]]
    wc = tokenizer.count_words(texts)
    assert wc.vocabulary == sorted(wc.vocabulary)
    assert wc.clean == [normalize_text(t) for t in texts]
    expected = [dict(Counter(tokenizer.tokenize(normalize_text(t)))) for t in texts]
    assert _counts_by_text(wc) == expected


def test_parallel_count_words_matches_serial(tokenizer, monkeypatch):
    import analysis.tokenize as module

    monkeypatch.setattr(module, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(module, "COUNT_CHUNK_TEXTS", 7)
    texts = [s + "第" + str(i % 7) for i, s in enumerate(ALL_SENTENCES * 3)]
    serial = tokenizer.count_words(texts)
    parallel = tokenizer.count_words(texts, n_jobs=2)
    assert parallel.vocabulary == serial.vocabulary
    assert parallel.clean == serial.clean
    assert (parallel.counts != serial.counts).nnz == 0
