import numpy as np
import scipy.sparse as sp

from analysis import ChineseTokenizer, find_near_duplicates
from analysis.duplicates import near_duplicates_from_matrix

from .corpus import labelled_corpus

TK = ChineseTokenizer()  # one per module: the dictionary is loaded once


def test_identical_and_reformatted_texts_are_duplicates():
    texts = [
        "垃圾房的异味很大，夏天蚊虫滋生，希望每天清运两次。",
        "停车位太少了",
        "垃圾房的异味很大 夏天蚊虫滋生 希望每天清运两次",
        "垃圾房的异味很大，夏天蚊虫滋生，希望每天清运两次！！",
    ]
    assert find_near_duplicates(texts, tokenizer=TK) == [None, None, 0, 0]


def test_near_identical_campaign_texts_grouped():
    base = "坚决反对在小区门口新建垃圾中转站，臭味和噪音会严重影响周边居民的生活，请重新选址。"
    texts = [
        "电动自行车没地方充电，只能飞线充电，很不安全。",
        base,
        base.replace("坚决反对", "强烈反对"),
        base.replace("请重新选址", "请相关部门重新选址"),
        "小区停车难，晚上回来根本找不到车位。",
    ]
    assert find_near_duplicates(texts, tokenizer=TK) == [None, None, 1, 1, None]


def test_different_opinions_on_same_topic_are_not_duplicates():
    texts, _ = labelled_corpus()
    dup = find_near_duplicates(texts, tokenizer=TK)
    assert dup == [None] * len(texts)


def test_threshold_one_means_identical_wording_only():
    texts = ["物业费每年都涨，服务越来越差", "物业费每年都涨，服务质量越来越差"]
    assert find_near_duplicates(texts, threshold=0.6, tokenizer=TK) == [None, 0]
    assert find_near_duplicates(texts, threshold=1.0, tokenizer=TK) == [None, None]


def test_empty_inputs():
    assert find_near_duplicates([], tokenizer=TK) == []
    assert find_near_duplicates(["", "", "！！"], tokenizer=TK) == [None, None, None]


def test_from_matrix_points_to_first_member():
    X = sp.csr_matrix(np.array([[1, 0], [0, 1], [1, 0], [1, 0]], dtype=np.float32))
    assert near_duplicates_from_matrix(X, threshold=0.9) == [None, None, 0, 0]
