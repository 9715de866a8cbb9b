import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import PIIMatch, find_pii, redact_pii
from analysis.redact import is_valid_id_number

VALID_ID = "11010519491231002X"  # the check digit is X
VALID_ID_2 = "310104199203174524"
BAD_ID = "110105194912310021"  # same digits, wrong check digit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话是13800138000，请联系", "我的电话是[手机号]，请联系"),
        ("手机 138 0013 8000 晚上打", "手机 [手机号] 晚上打"),
        ("手机138-0013-8000", "手机[手机号]"),
        ("+86 13912345678", "[手机号]"),
        ("居委会电话021-6234 5678", "居委会电话[固定电话]"),
        ("物业电话(0731)84567890转3", "物业电话[固定电话]转3"),
        ("电话010-12345678", "电话010-12345678"),  # local numbers never start with 0/1
        (f"身份证号{VALID_ID}，", "身份证号[身份证号]，"),
        (f"身份证{VALID_ID_2}", "身份证[身份证号]"),
        ("老身份证号430102850612301", "老身份证号[身份证号]"),
        ("发邮件到 zhang.san@example.com 就行", "发邮件到 [邮箱] 就行"),
        ("一辆沪A·12345的车长期占用消防通道", "一辆[车牌号]的车长期占用消防通道"),
        ("新能源车京AD12345占用充电桩", "新能源车[车牌号]占用充电桩"),
        ("粤B12345D和苏E 5X678", "[车牌号]和[车牌号]"),
        ("退款打到6222 0212 3456 7890", "退款打到[银行卡号]"),
        ("卡号4111111111111111", "卡号[银行卡号]"),
        ("我住3号楼2单元502室，楼上漏水", "我住[门牌号]，楼上漏水"),
        ("12栋502室的住户", "[门牌号]的住户"),
        ("三号楼二单元301", "[门牌号]"),
        ("5-2-502室", "[门牌号]"),
    ],
)
def test_redacts_pii(text, expected):
    assert redact_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023年加装电梯，每户分摊502元",
        "12栋的电梯坏了三天",
        "3号楼门口堆满了杂物",
        "房子100平米，物业费每月2.5元/平米",
        "2023-11-05下午开业主大会，2023年11月5日",
        "打了12345热线和110都没人管",
        "小区有1200户，3000多人",
        "第2单元楼道灯坏了",
        "充电桩一度电1.2元，停车费每月300元",
        "A3区A000102948反映的问题",
        "苏州和新疆的朋友",
        "价格从215元涨到360元",
    ],
)
def test_ordinary_numbers_untouched(text):
    assert find_pii(text) == []
    assert redact_pii(text) == text


def test_bad_checksum_id_is_not_an_id():
    assert not is_valid_id_number(BAD_ID)
    assert is_valid_id_number(VALID_ID)
    assert all(m.kind != "id_card" for m in find_pii(f"号码{BAD_ID}"))
    assert "[身份证号]" not in redact_pii(f"号码{BAD_ID}")


def test_find_pii_offsets_and_labels():
    text = "电话13800138000，住3号楼2单元502室"
    found = find_pii(text)
    assert [m.kind for m in found] == ["mobile", "address"]
    assert found[0] == PIIMatch("mobile", "手机号", 2, 13, "13800138000")
    for m in found:
        assert text[m.start : m.end] == m.text


def test_full_width_digits_are_found():
    text = "电话１３８００１３８０００"
    found = find_pii(text)
    assert found and found[0].text == "１３８００１３８０００"
    assert redact_pii(text) == "电话[手机号]"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_redaction_never_crashes_and_is_idempotent(text):
    once = redact_pii(text)
    assert redact_pii(once) == once
    for m in find_pii(text):
        assert text[m.start : m.end] == m.text


pii_pieces = st.sampled_from(
    [
        "13800138000",
        "021-6234 5678",
        VALID_ID,
        "a@b.cn",
        "沪A·12345",
        "3号楼2单元502室",
        "6222 0212 3456 7890",
    ]
)
filler = st.text(alphabet="的电梯费用元年号楼栋单元室 -,0123456789", max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(filler, pii_pieces), max_size=4))
def test_redaction_idempotent_on_pii_mixtures(parts):
    text = "".join(a + b for a, b in parts)
    once = redact_pii(text)
    assert redact_pii(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话1381234567813912345678都可以", "电话[手机号][手机号]都可以"),
        ("联系人13812345678139123456781501234567", "联系人[长数字串]"),
        ("卡号6222020200112233445566778", "卡号[长数字串]"),
        ("快递单号12345678901234567890已签收", "快递单号[长数字串]已签收"),
    ],
)
def test_long_digit_runs_never_published(text, expected):
    """Numbers typed together without a separator still hide what they contain."""
    assert redact_pii(text) == expected


def test_ordinary_long_but_short_enough_numbers_untouched():
    assert redact_pii("订单号1234567890123") == "订单号1234567890123"
