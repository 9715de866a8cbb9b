from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import normalize_text


def test_full_width_to_half_width():
    assert normalize_text("电梯费用ＡＢＣ１２３元，谢谢！") == "电梯费用ABC123元,谢谢!"


def test_whitespace_collapses_and_strips():
    assert normalize_text("  楼道\u3000堆放  杂物\n\n影响 通行\t") == "楼道 堆放 杂物 影响 通行"


def test_urls_removed_or_kept():
    text = "详情见 https://example.org/notice?id=3 关于垃圾分类的通知"
    assert "example" not in normalize_text(text)
    assert "https://example.org/notice?id=3" in normalize_text(text, remove_urls=False)
    assert normalize_text("看www.example.com说明") == "看 说明"


def test_emoji_removed_or_kept():
    assert normalize_text("电梯又坏了😡😡👍🏻") == "电梯又坏了"
    assert "😡" in normalize_text("电梯又坏了😡", remove_emoji=False)


def test_traditional_to_simplified():
    assert normalize_text("社區加裝電梯費用") == "社区加装电梯费用"
    assert normalize_text("社區加裝電梯", to_simplified=False) == "社區加裝電梯"


def test_simplified_text_unchanged():
    text = "希望物业尽快修好3号楼的路灯,晚上出行不安全。"
    assert normalize_text(text) == text


def test_none_and_non_str():
    assert normalize_text(None) == ""  # type: ignore[arg-type]
    assert normalize_text(123) == "123"  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_crashes_and_is_idempotent(text):
    once = normalize_text(text)
    assert isinstance(once, str)
    assert normalize_text(once) == once


MIXED = [
    "電梯　壞了\n請儘快維修",
    "ＡＢＣ１２３，！看 https://example.com/a?b=1 好",
    "WWW.Example.com 上的通知",
    "😀👍 太好了\u200b\u0007",
    "",
    "   ",
    "①号楼面积约 50㎡……",
    "a\r\nb\u2028c",
    "Ａ\u0301",
    None,
    12345,
]


def test_normalize_many_equals_one_by_one():
    from analysis.normalize import normalize_many

    assert normalize_many(MIXED) == [normalize_text(t) for t in MIXED]
    assert normalize_many([]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=6))
def test_normalize_many_equals_one_by_one_on_any_text(texts):
    from analysis.normalize import normalize_many

    assert normalize_many(texts) == [normalize_text(t) for t in texts]
