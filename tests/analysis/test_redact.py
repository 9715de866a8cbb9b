import re

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


# ---------------------------------------------------------------- formats people type (issue 12.5)

VALID_ID_3 = "42011119510914061X"
CARD_19 = "6222028194821993519"  # passes the Luhn check
CARD_16 = "4367427491186254"  # passes the Luhn check


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ID numbers in groups, with dashes, full-width, lower-case x
        ("身份证 110105 19491231 002X 已交", "身份证 [身份证号] 已交"),
        ("身份证110105-1949-1231-002X", "身份证[身份证号]"),
        ("证件号 4201 1119 5109 1406 1x，请核对", "证件号 [身份证号]，请核对"),
        ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证[身份证号]"),
        # mobile numbers with dots, underscores, pairs, dashes of every width, Chinese numerals
        ("电话138.0013.8000", "电话[手机号]"),
        ("电话138_0013_8000，晚上打", "电话[手机号]，晚上打"),
        ("手机 138 00 13 80 00", "手机 [手机号]"),
        ("手机 1 3 8 0 0 1 3 8 0 0 0 找我", "手机 [手机号] 找我"),
        ("电话138—0013—8000", "电话[手机号]"),
        ("电话１３８－００１３－８０００", "电话[手机号]"),
        ("手机 138 - 0013 - 8000 随时打", "手机 [手机号] 随时打"),
        ("电话一三八零零一三八零零零", "电话[手机号]"),
        ("电话幺三八零零幺三八零零零，下午在家", "电话[手机号]，下午在家"),
        ("请打壹叁捌零零壹叁捌零零零", "请打[手机号]"),
        ("电话：一三八 零零一三 八零零零", "电话：[手机号]"),
        ("联系人张三13800138000", "联系人张三[手机号]"),
        ("+86 138 0013 8000", "[手机号]"),
        # room addresses
        ("住12-3-501，楼道灯坏了", "住[门牌号]，楼道灯坏了"),
        ("我家在三号楼二单元五零一室", "我家在[门牌号]"),
        ("3栋502每天半夜剁肉", "[门牌号]每天半夜剁肉"),
        ("十二栋三单元七零二厕所漏水", "[门牌号]厕所漏水"),
        ("长宁路123弄45号601室", "长宁路[门牌号]"),
        ("6#楼702的狗每天叫", "[门牌号]的狗每天叫"),
        ("我住A座1203，电梯老停", "我住[门牌号]，电梯老停"),
        ("7栋2单元1201天天有人敲墙", "[门牌号]天天有人敲墙"),
        # plates with spaces
        ("沪 A 12345又停在盲道上了", "[车牌号]又停在盲道上了"),
        ("车牌号京 N 12345，银色", "车牌号[车牌号]，银色"),
        # bank cards in any grouping (Luhn) and in fours
        (f"卡号{CARD_19[:4]} {CARD_19[4:8]} {CARD_19[8:12]} {CARD_19[12:16]} {CARD_19[16:]}", "卡号[银行卡号]"),
        (f"工商银行{CARD_19[:6]} {CARD_19[6:]}", "工商银行[银行卡号]"),
        (f"银行卡：{CARD_16[:4]}-{CARD_16[4:8]}-{CARD_16[8:12]}-{CARD_16[12:]}", "银行卡：[银行卡号]"),
        # WeChat, QQ and e-mail handles after their cue words
        ("微信号 zhangsan_88，加我拉你进群", "微信号 [微信号]，加我拉你进群"),
        ("加我微信：lisi1990", "加我微信：[微信号]"),
        ("vx：wang_wu_2020，备注小区名", "vx：[微信号]，备注小区名"),
        ("微信号：jianghu，直接搜", "微信号：[微信号]，直接搜"),
        ("QQ：12345678，不常上", "QQ：[QQ号]，不常上"),
        ("扣扣8765 4321", "扣扣[QQ号]"),
        ("我的邮箱zhangsan#163.com", "我的邮箱[邮箱]"),
        ("邮箱是li.si at qq dot com", "邮箱是[邮箱]"),
        ("邮箱chen_ling艾特163点com", "邮箱[邮箱]"),
        ("邮箱xiaoming2008，qq邮箱", "邮箱[邮箱]，qq邮箱"),
    ],
)
def test_typed_formats_are_redacted(text, expected):
    assert redact_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024年3月5日下午开业主大会，会议改到2024-03-05 14:30",
        "通知是2024.03.05贴出来的，2024/03/05到2024/04/05之间报名",
        "二〇二四年三月五日开始施工，每天早上6:30到8:00收垃圾",
        "加装电梯每户分摊3.5万元，¥1200的维修费谁来出",
        "同意率达到85.5%，物业费收缴率只有72.3%",
        "12路和56路公交车站太远了，地铁13号线也不近",
        "市民热线12345、110、120、119都打过了，客服电话400-820-8820一直占线",
        "全小区300户，活动中心1500平方米，第3期的楼比第1期的新",
        "1-3层住户不愿意出钱，3-5天内给答复，9-12月是施工期",
        "周一三五开放，二四六关闭，三三两两的人在楼下打牌",
        "一二三楼的住户意见最大，二单元一二三楼都漏水",
        "三号楼二单元三楼",
        "1995 2000 2005 2010 这几年都翻修过",
        "2024.03.05 2024.03.06 两天都停水",
        "135.5 120.3 98.6 是三次测得的噪音读数",
        "微信群里通知了，物业的微信公众号从来不更新",
        "微信 Android 版打不开链接，在QQ群里说过好几次了",
        "邮箱满了，收不到通知，邮箱2024年就满了",
        "维修基金余额还有1,380,013元",
        "工单编号20240305001已处理，小区编号310104001",
        "京A级景区就在附近，新A区的路灯坏了",
        "住5栋1单元，楼道灯坏了，5#楼前面的路灯",
        "身份证后四位002X，手机尾号8000的快递还没人拿",
        "IP是192.168.1.1，路由器坏了",
    ],
)
def test_typed_negatives_untouched(text):
    assert find_pii(text) == []
    assert redact_pii(text) == text


def test_new_kinds_have_labels_the_portal_shows():
    kinds = {m.kind for m in find_pii("微信号 zhangsan_88，QQ：12345678")}
    assert kinds == {"wechat", "qq"}
    assert {m.label for m in find_pii("微信号 zhangsan_88，QQ：12345678")} == {"微信号", "QQ号"}


def test_masked_digits_are_no_bank_card():
    """Numbers the publisher already masked with zeros are not a card number."""
    assert "[银行卡号]" not in redact_pii("电话：0000-000000002014年6月2日")


_MOBILE_RUN_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_FOLD_DIGITS = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_CN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_CN_FORMAL = dict(zip("0123456789", "零壹贰叁肆伍陆柒捌玖", strict=True))

mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


@st.composite
def typed_mobile(draw):
    """A mobile number as a resident might type it: grouped, separated, full-width or spoken."""
    number = draw(mobiles)
    groups = draw(st.sampled_from([(3, 4, 4), (3, 8), (11,), (3, 2, 2, 2, 2), (1,) * 11, (3, 4, 2, 2)]))
    sep = draw(st.sampled_from([" ", "-", ".", "_", "－", "．", "—", "\u3000", " - "]))
    script = draw(st.sampled_from(["ascii", "fullwidth", "chinese", "formal", "yao"]))
    if script == "fullwidth":
        digits = "".join(chr(ord(c) + 0xFEE0) for c in number)
    elif script == "chinese":
        digits = "".join(_CN[c] for c in number)
    elif script == "formal":
        digits = "".join(_CN_FORMAL[c] for c in number)
    elif script == "yao":
        digits = "".join("幺" if c == "1" else _CN[c] for c in number)
    else:
        digits = number
    parts, pos = [], 0
    for size in groups:
        parts.append(digits[pos : pos + size])
        pos += size
    return number, sep.join(parts)


chinese_filler = st.text(alphabet="我的电话是手机请打联系住在楼下，。：、！（）", max_size=8)


@settings(max_examples=400, deadline=None)
@given(chinese_filler, typed_mobile(), chinese_filler)
def test_typed_mobile_numbers_are_always_masked(before, mobile, after):
    _, typed = mobile
    out = redact_pii(before + typed + after)
    assert out == before + "[手机号]" + after


number_soup = st.text(
    alphabet="0123456789１３８ -._一三八零幺X+年元号楼栋单元室QQ微信@，", max_size=40
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(number_soup, mobiles), max_size=5))
def test_redaction_never_leaves_a_mobile_number(parts):
    """Whatever surrounds it, no run of 11 digits that is a valid mobile number stays."""
    text = "".join(parts)
    out = redact_pii(text)
    assert redact_pii(out) == out
    assert not _MOBILE_RUN_RE.search(out.translate(_FOLD_DIGITS)), (text, out)
