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
