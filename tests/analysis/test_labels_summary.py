"""Theme labels that residents would say, and extractive summaries (issue 16, parts 1, 2, 4)."""

import re

import numpy as np
import pytest

from analysis import ThemeModel, redact_pii
from analysis.cloud import cloud_words
from analysis.labels import (
    LabelCandidate,
    choose_labels,
    is_unfit_word,
    rank_phrases,
    spread_words,
    unfit_words,
)
from analysis.redact import PII_LABELS
from analysis.summary import quote_around, render_summary, summarize_themes

# Four things residents of one estate asked for, in their own words. Filler (有没有, 帮忙,
# 居委会, 不能) and phone numbers and room numbers are spread over the themes on purpose.
MEALS = [
    "腿脚不好下不了楼，能不能送餐上门？",
    "我们老两口八十多了，希望食堂可以送餐上门，钱照付",
    "送餐上门要准时，饭菜凉了老人吃了胃疼",
    "有没有送餐上门的服务？我住[门牌号]，电话13812345678",
    "独居老人做饭不方便，送餐上门最实在",
    "居委会能不能帮忙安排送餐上门，我妈卧床两年了",
    "送餐上门一份加两块钱也可以接受",
    "下雨天不能出门，送餐上门就解决大问题了",
    "送餐上门的志愿者能不能顺便看看老人身体",
    "希望送餐上门覆盖到7号楼，我们这栋老人最多",
    "中午送餐上门，晚上自己热一热，挺好",
    "送餐上门的饭盒要回收，不然太浪费",
]
NOISE = [
    "夜间施工噪音太大了，孩子根本睡不着",
    "工地夜间施工噪音一直到凌晨两点，有没有人管",
    "夜间施工噪音严重扰民，请居委会帮忙协调",
    "夜间施工噪音让老人心脏受不了，电话13912345678",
    "晚上十点以后还有夜间施工噪音，能不能限制时间",
    "夜间施工噪音连续一个月了，窗户关上都没用",
    "能不能规定夜间施工噪音不超过晚上十点",
    "夜间施工噪音影响高考学生复习，请重视",
    "我们楼紧挨工地，夜间施工噪音最厉害",
    "夜间施工噪音投诉了好几次都没有结果",
    "夜间施工噪音吵得睡不好，白天上班没精神",
]
ELEVATOR = [
    "电梯费用分摊要公开透明，一楼不用电梯也要出钱吗",
    "电梯费用分摊按楼层算比较公平，楼层越高出得越多",
    "二楼住户觉得电梯费用分摊比例太高了",
    "电梯费用分摊方案能不能先贴出来让大家看，住[门牌号]",
    "电梯费用分摊里维修基金能用多少，希望说清楚",
    "我同意装，但电梯费用分摊要写进协议",
    "电梯费用分摊有没有政府补贴，补贴之后每户出多少",
    "老人没有收入，电梯费用分摊能不能分期",
    "电梯费用分摊要考虑以后的电费和维护费",
    "电梯费用分摊不公平的话很多人不会签字",
    "请居委会帮忙算一下电梯费用分摊的明细",
]
CHARGING = [
    "电动车充电桩太少，晚上排队充电",
    "小区能不能多装几个充电桩，楼道飞线太危险",
    "充电桩坏了好几天没人修，电话13712345678打不通",
    "充电桩收费太贵，一小时一块五",
    "有没有人管管占着充电桩不走的车",
    "新装的充电桩离我们楼太远，推车过去很累",
    "充电桩旁边要装灭火器和监控",
    "希望充电桩支持刷卡，老人不会扫码",
    "充电桩应该装在车棚里，下雨也能充",
    "居委会帮忙跟物业说说，充电桩不够用",
    "充电桩晚上十二点自动断电，充不满",
]
THEMES = {"送餐上门": MEALS, "夜间施工噪音": NOISE, "电梯费用分摊": ELEVATOR, "充电桩": CHARGING}


def corpus() -> tuple[list[str], list[str]]:
    texts, truth = [], []
    for name, rows in THEMES.items():
        texts += [redact_pii(t) for t in rows]
        truth += [name] * len(rows)
    return texts, truth


@pytest.fixture(scope="module")
def fitted(tokenizer):
    texts, truth = corpus()
    return texts, truth, ThemeModel(k=4, tokenizer=tokenizer).fit(texts)


def label_words(tokenizer, label: str) -> list[str]:
    return [w for w in tokenizer.cut(label) if len(w) >= 2]


def test_labels_are_phrases_most_of_the_theme_shares(fitted, tokenizer):
    texts, _, model = fitted
    themes = [t for t in model.themes_ if not t.is_other]
    assert len(themes) == 4
    labels = {t.label for t in themes}
    # the residents' own phrases, not glued keywords
    assert {"送餐上门", "夜间施工噪音", "电梯费用分摊", "充电桩"} == labels
    for theme in themes:
        assert "·" not in theme.label
        members = [texts[i] for i in theme.members]
        for word in label_words(tokenizer, theme.label):
            share = np.mean([word in t for t in members])
            assert share >= 0.5, (theme.label, word, share)
        assert theme.extra["label_share"] == np.mean([theme.label in t for t in members])


def test_no_filler_stance_or_placeholder_becomes_label_or_keyword(fitted):
    _, _, model = fitted
    unfit = unfit_words()
    placeholders = set(PII_LABELS.values())
    for theme in model.themes_:
        for word in [theme.label, *theme.keywords]:
            assert word not in unfit and word not in placeholders, word
            assert not is_unfit_word(word), word
        assert not {"有没有", "居委会", "帮忙", "不能", "手机号", "门牌号"} & set(theme.keywords)


def test_placeholders_are_never_tokens(tokenizer):
    text = redact_pii("我家住3号楼2单元502室，电话13812345678，身份证号码就不写了，充电桩不够")
    assert "[门牌号]" in text and "[手机号]" in text
    tokens = tokenizer.tokenize(text)
    assert "门牌号" not in tokens and "手机号" not in tokens
    assert "充电桩" in tokens
    counted = tokenizer.count_words([text, "[身份证号]【手机号】停车位"]).vocabulary
    assert not set(PII_LABELS.values()) & set(counted)
    assert "停车位" in counted


def test_word_cloud_words_obey_the_label_filter():
    freqs = {
        "充电桩": 9,
        "手机号": 8,
        "有没有": 7,
        "居委会": 6,
        "支持": 5,
        "送餐上门": 4,
        "看看": 3,
    }
    assert cloud_words(freqs) == {"充电桩": 9.0, "送餐上门": 4.0}
    assert "手机号" in cloud_words(freqs, filter_unfit=False)


def test_labels_are_unique_even_when_themes_share_their_best_phrase():
    def cand(phrase, cov, spec=0.9):
        return LabelCandidate(phrase, cov, spec, cov * spec * spec)

    ranked = [
        [cand("电梯", 0.9), cand("电梯维修", 0.5), cand("维修保养", 0.4)],
        [cand("电梯", 0.8), cand("费用分摊", 0.6)],
        [cand("电梯", 0.7)],
    ]
    labels = choose_labels(ranked, taken=["其他"])
    assert labels[0] == "电梯维修"  # lengthened: keeps more than half of 电梯's coverage
    assert labels[1] == "电梯" and labels[2] == "未命名主题"
    assert len(set(labels)) == 3
    assert choose_labels([[cand("停车", 0.8)]], taken=["停车"]) == ["未命名主题"]


def test_guided_names_are_kept_and_not_reused(tokenizer):
    texts, truth = corpus()
    guide = [name if name == "充电桩" and i % 3 == 0 else None for i, name in enumerate(truth)]
    model = ThemeModel(k=3, tokenizer=tokenizer).fit(texts, guide=guide)
    labels = [t.label for t in model.themes_]
    assert labels[0] == "充电桩" and model.themes_[0].guided
    assert len(labels) == len(set(labels))


def test_rank_phrases_prefers_specific_and_common_phrases():
    theme_a = [{"送餐上门", "老人"}, {"送餐上门", "老人"}, {"送餐上门"}, {"老人"}]
    theme_b = [{"老人", "电梯"}, {"老人", "电梯"}, {"电梯"}]
    ranked = rank_phrases([theme_a, theme_b])
    assert ranked[0][0].phrase == "送餐上门"  # 老人 is as common but not specific
    assert ranked[0][0].coverage == 0.75 and ranked[0][0].specificity == 1.0
    assert ranked[1][0].phrase == "电梯"


def test_spread_words_are_found_from_the_data():
    vocab = ["反映", "噪音", "电梯"]
    sizes = np.array([10, 10, 10, 10])
    df = np.array([[5, 9, 0], [4, 0, 1], [5, 1, 9], [6, 0, 0]])  # 反映 everywhere, 噪音 in one
    assert spread_words(df, sizes, vocab) == frozenset({"反映"})
    assert spread_words(df[:2], sizes[:2], vocab) == frozenset()  # two themes say nothing


def test_summary_points_quotes_and_counts(fitted):
    texts, _, model = fitted
    authors = [f"居民{i % 30}" for i in range(len(texts))]
    agree = [i % 4 for i in range(len(texts))]
    disagree = [1 if i % 5 == 0 else None for i in range(len(texts))]
    summaries = summarize_themes(model, texts, authors=authors, agree=agree, disagree=disagree)
    assert [s.label for s in summaries] == [t.label for t in model.themes_]
    for s, theme in zip(summaries, model.themes_, strict=True):
        members = set(theme.members)
        assert s.n_opinions == theme.size
        assert s.n_authors == len({authors[i] for i in members})
        assert s.agree == sum(agree[i] for i in members)
        assert s.disagree == sum(disagree[i] or 0 for i in members)
        seen: set[int] = set()
        for p in s.points:
            assert p.n_opinions == len(p.opinions) >= 2
            assert set(p.opinions) <= members and not set(p.opinions) & seen
            seen |= set(p.opinions)
            assert p.n_authors == len({authors[i] for i in p.opinions}) <= p.n_opinions
            assert p.agree == sum(agree[i] for i in p.opinions)
            assert 1 <= len(p.quotes) <= 2 and len(p.quotes) == len(p.quote_opinions)
            for q, i in zip(p.quotes, p.quote_opinions, strict=True):
                assert i in p.opinions and q in texts[i] and p.phrase in q  # verbatim
                assert len(q) <= 40
        assert sum(p.n_opinions for p in s.points) <= s.n_opinions
        text = render_summary(s)
        assert text.startswith(f"共 {s.n_opinions} 条意见、{s.n_authors} 位居民")
        for p in s.points:
            assert f"{p.phrase}（{p.n_opinions} 条" in text
            assert all(f"“{q}”" in text for q in p.quotes)
    meals = next(s for s in summaries if s.label == "送餐上门")
    assert meals.points[0].phrase == "送餐上门" and meals.points[0].n_opinions == len(MEALS)


def test_summary_of_a_varied_theme_has_several_points(tokenizer):
    texts = [
        "长者食堂的菜太咸了，老人吃了血压高",
        "长者食堂的菜太咸，少放点盐",
        "菜太咸了，希望清淡一点",
        "长者食堂价格能不能便宜点，十块钱以内最好",
        "价格太贵了，退休金不够天天吃",
        "价格要公开，每个菜标清楚",
        "长者食堂排队太久，窗口开多一个",
        "排队半小时才打到饭，窗口太少",
        "中午排队的人太多，能不能错峰",
    ]
    model = ThemeModel(k=1, tokenizer=tokenizer, min_df=1).fit(texts)
    summaries = summarize_themes(model, texts)
    (summary,) = [s for s, t in zip(summaries, model.themes_, strict=True) if not t.is_other]
    phrases = [p.phrase for p in summary.points]
    assert 2 <= len(phrases) <= 4
    assert {"价格", "排队"} <= set(phrases)
    assert summary.n_authors is None and "位居民" not in render_summary(summary)


def test_quote_around_keeps_the_clause_that_says_it():
    text = "我家在三楼，爸妈都八十多了。腿脚不好下不了楼，能不能送餐上门？谢谢居委会"
    quote, cut = quote_around(text, "送餐上门")
    assert quote == "腿脚不好下不了楼，能不能送餐上门？" and not cut
    long = "我想说的是" + "，".join(["小区环境还算可以"] * 6) + "，就是希望送餐上门"
    quote, _ = quote_around(long, "送餐上门")
    assert quote in long and "送餐上门" in quote and len(quote) <= 40
    assert quote_around(text, "充电桩") == ("", False)


def test_summaries_reject_mismatched_lengths(fitted):
    texts, _, model = fitted
    with pytest.raises(ValueError, match="authors"):
        summarize_themes(model, texts, authors=["a"])


def test_same_input_and_seed_give_the_same_themes_and_summaries(tokenizer):
    texts, _ = corpus()
    runs = [ThemeModel(random_state=3, tokenizer=tokenizer).fit(texts) for _ in range(2)]
    assert np.array_equal(runs[0].labels_, runs[1].labels_)
    assert [t.label for t in runs[0].themes_] == [t.label for t in runs[1].themes_]
    assert [t.keywords for t in runs[0].themes_] == [t.keywords for t in runs[1].themes_]
    texts_a = [s.text() for s in runs[0].summaries(texts)]
    assert texts_a == [s.text() for s in runs[1].summaries(texts)]
    assert all(re.match(r"共 \d+ 条意见", t) for t in texts_a)


def test_automatic_k_is_stable_across_seeds(tokenizer):
    from sklearn.metrics import adjusted_rand_score

    texts, truth = corpus()
    models = [ThemeModel(random_state=s, tokenizer=tokenizer).fit(texts) for s in range(3)]
    ks = [m.k_ for m in models]
    assert max(ks) - min(ks) <= 1
    for m in models[1:]:
        assert adjusted_rand_score(models[0].labels_, m.labels_) >= 0.8
    assert adjusted_rand_score(truth, models[0].labels_) >= 0.8
