"""Find and mask personal information in residents' texts.

Detected kinds (placeholder in brackets):

- ``mobile`` [手机号]: mainland mobile numbers, optional +86/0086 prefix, in any grouping people
  type (``138 0013 8000``, ``138.0013.8000``, ``138_0013_8000``, ``138 00 13 80 00``) and in
  Chinese numerals (``一三八零零一三八零零零``, ``幺三八…``, ``壹叁捌…``).
- ``landline`` [固定电话]: numbers with an area code (``021-6234 5678``, ``(0731)84567890``),
  and 7–8 digit local numbers right after 电话/座机/固话 (``座机6234 5678``).
- ``id_card`` [身份证号]: 18-digit resident ID numbers whose check digit is valid, written in any
  grouping (``110105 19491231 002X``), and 15-digit legacy ones with a plausible birth date.
  A wrong check digit is *not* an ID number.
- ``email`` [邮箱]: addresses, also spelled out (``zhangsan#163.com``, ``li at qq dot com``),
  and a user name right after 邮箱.
- ``wechat`` [微信号]: a WeChat id after its cue word (微信、微信号、vx、wx、V信、加V …).
- ``qq`` [QQ号]: a QQ number after its cue word (QQ、qq号、扣扣、QQ群 …).
- ``plate`` [车牌号]: licence plates, ordinary (``沪A·12345``, ``沪 A 12345``) and new-energy
  (``京AD12345``).
- ``bank_card`` [银行卡号]: 16–19 digits that pass the Luhn check, together or in groups of
  three or more digits, or written in groups of four (``6222 0212 3456 7890``).
- ``digits`` [长数字串]: runs of 20 or more digits, longer than any identifier: numbers typed
  together without a separator. Two or more mobile numbers glued together
  (``1381234567813912345678``) are masked as that many [手机号] instead.
- ``address`` [门牌号]: exact room addresses (``3号楼2单元502室``, ``三号楼二单元五零一室``,
  ``12栋502室``, ``3栋502``, ``2单元502``, ``12-3-501``, ``5-2-502室``, ``45号601室``);
  a building alone (``3号楼``, ``12栋``) is not personal.

Ordinary numbers stay: dates (``2024年3月5日``, ``2024-03-05``), times, prices (``3.5元``,
``¥1200``), percentages, bus lines (``12路``), hotlines (12345, 110, 120), counts and areas
(``300户``, ``1500平方米``, ``第3期``).

How numbers are found: the text is folded to a same-length copy (full-width → ASCII, the
many dashes → ``-``; for numbers also 一二三/壹贰叁/幺/两 → digits), so offsets refer to the
original text. A *number span* is a run of digit groups joined by separators (space, dot, dash,
underscore, middle dot); the groups are tried in order and the longest run of whole groups that
is a valid ID number, mobile number or bank card is taken. Groups are never split, so a mobile
number is never found inside a longer number, and a change between Arabic digits and Chinese
numerals starts a new group (``张三13800138000`` is 张三 and a mobile number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["PII_LABELS", "PIIMatch", "find_pii", "redact_pii", "is_valid_id_number"]

PII_LABELS: dict[str, str] = {
    "email": "邮箱",
    "id_card": "身份证号",
    "bank_card": "银行卡号",
    "mobile": "手机号",
    "landline": "固定电话",
    "plate": "车牌号",
    "address": "门牌号",
    "digits": "长数字串",
    "wechat": "微信号",
    "qq": "QQ号",
}


@dataclass(frozen=True)
class PIIMatch:
    """One piece of personal information found in a text (``text[start:end]``)."""

    kind: str
    label: str
    start: int
    end: int
    text: str


# Same-length folding: full-width ASCII → ASCII, ideographic space → space, every dash → "-".
# Lower → upper is NOT done (e-mails are case-insensitive anyway; plates use IGNORECASE).
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
_FOLD[0x30FB] = ord("·")  # katakana middle dot, often typed in plates
for _cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63):
    _FOLD[_cp] = ord("-")
_FOLD[0xFF3F] = ord("_")
# Chinese numerals written digit by digit, as in phone numbers read aloud (幺 = 1, 两 = 2).
_CJK_DIGIT_CHARS = {
    "0": "〇○零", "1": "一壹幺", "2": "二贰貳两兩", "3": "三叁參", "4": "四肆", "5": "五伍",
    "6": "六陆陸", "7": "七柒", "8": "八捌", "9": "九玖",
}
_CJK_DIGITS = {ord(c): ord(d) for d, cs in _CJK_DIGIT_CHARS.items() for c in cs}
_CJK_CLASS = "".join(sorted(c for cs in _CJK_DIGIT_CHARS.values() for c in cs))
# Room numbers in Chinese numerals (五零一): the everyday forms only, not 壹贰叁 or 两.
_CJK_ROOM = "〇○零一二三四五六七八九"

_ND_BEFORE = r"(?<![0-9])"
_ND_AFTER = r"(?![0-9])"

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z])"
)
# Spelled-out e-mail addresses: the "@" written as #, (at), " at ", 艾特 and the dots as 点/dot.
_AT = r"(?:#|\(at\)|\[at\]| at |艾特|@)"
_DOT = r"(?:\.|点|\(dot\)| dot )"
_EMAIL_SPELLED_RE = re.compile(
    rf"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._-]*\s?{_AT}\s?[A-Za-z0-9-]+"
    rf"(?:\s?{_DOT}\s?[A-Za-z0-9-]+)*?\s?{_DOT}\s?(?:com|cn|net|org|edu)(?![A-Za-z])",
    re.IGNORECASE,
)
_CUE_TAIL = r"[ ]?(?:[:：]|是|为|是[:：])?[ ]?"
# A user name right after 邮箱 (the domain left out): it must contain a letter or be a QQ
# number (5+ digits), so 邮箱2024年就满了 is not one.
_EMAIL_CUE_RE = re.compile(
    r"邮箱(?:地址|号|账号)?" + _CUE_TAIL
    + r"((?=[A-Za-z0-9._-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._-]{3,29}|[1-9][0-9]{4,11})"
    r"(?![A-Za-z0-9._@:/-])"
)
_QQ_RE = re.compile(
    r"(?:(?<![A-Za-z])[Qq]{2}|扣扣|企鹅)(?:号码|号|群号|群)?" + _CUE_TAIL
    + r"([1-9](?:[ .-]?[0-9]){4,11})" + _ND_AFTER
)
# WeChat ids are 6–20 letters, digits, "_" or "-", starting with a letter. An id made of letters
# only is taken after a firm cue (微信号, 微信：, 微信是) and not after a bare 微信 (微信 Android).
_WECHAT_RE = re.compile(
    r"(?:微信|威信|薇信|v信|(?<![A-Za-z])(?:weixin|wechat|vx|wx|加v)(?![A-Za-z]))"
    r"[ ]?(号码|号|账号|id)?[ ]?([:：]|是|为)?[ ]?(?:是[ ]?)?"
    r"([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])",
    re.IGNORECASE,
)
_ID15_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}"
    r"(?![0-9A-Za-z])"
)
_ID18_SHAPE_RE = re.compile(
    r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]"
)
_LANDLINE_RE = re.compile(
    _ND_BEFORE + r"(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ -]?[2-9][0-9]{2,3}[ -]?[0-9]{4}"
    r"(?:-[0-9]{1,4})?" + _ND_AFTER
)
# A local number without its area code is only taken right after 电话/座机/固话 (7–8 digits,
# not starting with 0 or 1, so 12345, 95588 and 400-… service numbers stay).
_LOCAL_LANDLINE_RE = re.compile(
    r"(?:电话|座机|固话)(?:号码|号)?" + _CUE_TAIL + r"([2-9][0-9]{2,3}[ -]?[0-9]{4})" + _ND_AFTER
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_RE = re.compile(
    rf"[{_PROVINCES}] ?[A-HJ-NP-Z] ?[·•.\-]? ?"
    r"(?:[DF][A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{5}[DF]?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_LONG_DIGITS_RE = re.compile(_ND_BEFORE + r"[0-9]{20,}" + _ND_AFTER)
_PLAIN_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")

_NUM = f"[0-9{_CJK_ROOM}十]+"
_ROOM3 = f"(?:[0-9]{{3,4}}|[{_CJK_ROOM}]{{3,4}})"
_NOT_AFTER = "0-9年元月日天个户人万块平米㎡%期路"
# A room number ends in 室/房/号, or is not followed by what makes it a count or an amount.
_ROOM_END = rf"(?:室|房|号(?!楼)|(?![{_NOT_AFTER}{_CJK_ROOM}]))"
# After a 3–4 digit room number 天 is not excluded (7栋2单元1201天天有人敲墙).
_ROOM3_END = rf"(?:室|房|号(?!楼)|(?![{_NOT_AFTER.replace('天', '')}{_CJK_ROOM}楼层]))"
_NUM_START = f"(?<![0-9{_CJK_ROOM}十])"  # start at the beginning of a numeral run
# (cue words one of which the text must contain, pattern): separate patterns gated by a
# substring test, because one alternation of them all costs a scan from every position.
_ADDRESS_RULES: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
    # 3号楼2单元502室, 三号楼二单元五零一室
    (("单元",), re.compile(
        rf"{_NUM_START}{_NUM}(?:号楼|栋|幢|座|号|#楼?)[ -]?{_NUM}单元[ -]?"
        rf"(?:{_ROOM3}{_ROOM3_END}|[0-9]{{1,2}}{_ROOM_END})")),
    # 12栋502, 3#楼502, 3幢 502室
    (("楼", "栋", "幢", "#"), re.compile(
        rf"{_NUM_START}{_NUM}(?:号楼|栋|幢|#楼?)[ -]?{_ROOM3}{_ROOM3_END}")),
    # A座1203
    (("座",), re.compile(rf"(?<![A-Za-z0-9])[A-Za-z]座[ -]?[0-9]{{3,4}}{_ROOM3_END}")),
    # 2单元502
    (("单元",), re.compile(rf"{_NUM_START}{_NUM}单元[ -]?{_ROOM3}{_ROOM3_END}")),
    # 12-3-501, 5-2-502室, 1-23-1-602 (a date has a 4-digit year or 2-digit day)
    (("-",), re.compile(
        rf"{_ND_BEFORE}(?:[0-9]{{1,3}}-)?[0-9]{{1,3}}-[0-9]{{1,2}}-[0-9]{{3,4}}(?:室|房)?"
        rf"(?![{_NOT_AFTER}.\-])")),
    # 9-101室 (with 室: 9-101 alone is as often a range)
    (("-",), re.compile(rf"{_ND_BEFORE}[0-9]{{1,3}}-[0-9]{{3,4}}(?:室|房)")),
    # 长宁路123弄45号601室
    (("号",), re.compile(rf"{_ND_BEFORE}(?:[0-9]+弄)?[0-9]+号[ -]?[0-9]{{3,4}}(?:室|房)")),
]

# A run of digit groups joined by separators (space, dot, dash, underscore, middle dot, or a
# punctuation mark with a space either side); an ID number may end in X.
_SEP = r"(?: ?[._\-·] ?| {1,2})"
_SPAN_RE = re.compile(_ND_BEFORE + rf"[0-9]+(?:{_SEP}[0-9]+)*(?:[Xx](?![A-Za-z0-9]))?")
_GROUP_RE = re.compile(r"[0-9]+[Xx]?")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_id_number(number: str) -> bool:
    """True if ``number`` is an 18-character resident ID number with a valid check digit."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _plate_has_digit(s: str) -> bool:
    return any(c.isdigit() for c in s[2:])


def _classify(groups: list[str], seps: list[str]) -> str | None:
    """The kind of the number written as ``groups`` (joined by ``seps``), or None."""
    digits = "".join(groups).upper()
    n = len(digits)
    if n == 18 and "X" not in digits[:17]:
        if _ID18_SHAPE_RE.fullmatch(digits) and is_valid_id_number(digits):
            return "id_card"
        return None
    if "X" in digits:
        return None
    sizes = [len(g) for g in groups]
    if n in (11, 13, 15):
        body, body_sizes = digits, sizes
        if n == 13 and digits.startswith("86"):
            body = digits[2:]
        elif n == 15 and digits.startswith("0086"):
            body = digits[4:]
        if len(body) == 11 and _MOBILE_RE.fullmatch(body):
            if len(body) < n and groups[0] in ("86", "0086"):
                body_sizes = sizes[1:]
            # Typed as 138…, or in pairs and single digits (13 8 0 0 …, five groups or more),
            # not as a short list of small numbers.
            firm_start = body_sizes[0] >= 3 or (max(body_sizes) <= 2 and len(body_sizes) >= 5)
            kinds = {s.strip() or " " for s in seps if s}
            # One kind of separator (space and dash may mix): 135.5 120.3 98.6 is no phone.
            if firm_start and (len(kinds) <= 1 or kinds <= {" ", "-"}):
                return "mobile"
    if 16 <= n <= 19 and digits[0] != "0":  # no card number starts with 0 (0000-… is masked)
        if len(groups) == 1:
            return "bank_card" if _luhn_ok(digits) else None
        if (sizes[:4] == [4, 4, 4, 4] and len(groups) >= 4 and digits[0] in "3456"
                and all(s.strip() in ("", "-") for s in seps)):
            # Written like the card itself, four groups of four, starting as card numbers do
            # (62 UnionPay, 4 Visa, 5 Mastercard, 3 JCB/Amex; 1995 2000 2005 2010 is years).
            return "bank_card"
        # Otherwise groups of 3+ digits that pass the Luhn check (single digits and pairs are
        # lists of small numbers).
        if min(sizes) >= 3 and _luhn_ok(digits):
            return "bank_card"
    return None


# Lengths _classify can accept: mobile (11, or 13/15 with 86/0086), ID 18, cards 16–19.
_NUMBER_SIZES = frozenset({11, 13, 15, 16, 17, 18, 19})


def _number_spans(numbers: str, folded: str) -> Iterator[tuple[str, int, int]]:
    """Mobile, ID and bank-card numbers in ``numbers`` (``folded`` with numerals as digits)."""
    for span in _SPAN_RE.finditer(numbers):
        s0, s1 = span.span()
        if s1 - s0 < 11:  # every kind here has 11 digits or more
            continue
        # Groups: digit runs between separators, cut again where Arabic digits meet Chinese
        # numerals (张三13800138000).
        bounds: list[tuple[int, int]] = []
        for g in _GROUP_RE.finditer(span.group()):
            a, b = s0 + g.start(), s0 + g.end()
            start = a
            if not folded[a:b].isascii():
                for i in range(a + 1, b):
                    if folded[i].isascii() != folded[i - 1].isascii():
                        bounds.append((start, i))
                        start = i
            bounds.append((start, b))
        groups = [numbers[a:b] for a, b in bounds]
        seps = [numbers[bounds[k][1] : bounds[k + 1][0]] for k in range(len(bounds) - 1)]
        i = 0
        while i < len(groups):
            best: tuple[int, str, int] | None = None
            total = 0
            for j in range(i, len(groups)):
                total += len(groups[j])
                if total > 19 or len(groups[j]) >= 20 or (j > i and "X" in groups[j - 1].upper()):
                    break
                has_x = groups[j][-1] in "Xx"
                if total not in _NUMBER_SIZES and not (has_x and total - 1 in _NUMBER_SIZES):
                    continue  # cheap skip: a run of single digits has ~19 candidates per start
                kind, trim = _classify(groups[i : j + 1], seps[i:j]), 0
                if kind is None and has_x:
                    # Not an ID number: the X is a letter after the number (13800138000X).
                    kind, trim = _classify([*groups[i:j], groups[j][:-1]], seps[i:j]), 1
                if kind is not None:
                    best = (j, kind, trim)
            if best is None:
                i += 1
                continue
            j, kind, trim = best
            start, end = bounds[i][0], bounds[j][1] - trim
            if kind == "mobile" and start > 0 and numbers[start - 1] == "+":
                start -= 1  # +86 138…: the plus sign goes with the number
            yield kind, start, end
            i = j + 1


_QQ_CUES = ("qq", "扣扣", "企鹅")
_WECHAT_CUES = ("微信", "威信", "薇信", "v信", "vx", "wx", "wechat", "weixin", "加v")
_SPELLED_AT = ("#", " at ", "(at)", "[at]", "艾特", "@")


def _cue_matches(folded: str, lower: str) -> Iterator[tuple[str, int, int]]:
    if any(c in lower for c in _QQ_CUES):
        for m in _QQ_RE.finditer(folded):
            yield "qq", m.start(1), m.end(1)
    if not any(c in lower for c in _WECHAT_CUES):
        return
    for m in _WECHAT_RE.finditer(folded):
        handle = m.group(3)
        firm = m.group(1) or m.group(2)
        if firm or not handle.isalpha():
            yield "wechat", m.start(3), m.end(3)


_Finder = Callable[[str, str], Iterator[tuple[str, int, int]]]


def _regex_matches(
    pattern: re.Pattern[str], kind: str, needs: tuple[str, ...] = (),
    validator: Callable[[str], bool] | None = None, group: int = 0,
) -> _Finder:
    """A finder for ``pattern``, run only when the lower-cased text contains one of ``needs``."""

    def run(folded: str, lower: str) -> Iterator[tuple[str, int, int]]:
        if needs and not any(n in lower for n in needs):
            return
        for m in pattern.finditer(folded):
            if validator is None or validator(m.group(group)):
                yield kind, m.start(group), m.end(group)

    return run


# Finders in priority order: earlier ones win overlaps. Each takes the folded text.
_FINDERS_BEFORE_NUMBERS: list[_Finder] = [
    _regex_matches(_EMAIL_RE, "email", ("@",)),
    _regex_matches(_EMAIL_SPELLED_RE, "email", _SPELLED_AT),
    _cue_matches,
]
_FINDERS_AFTER_NUMBERS: list[_Finder] = [
    _regex_matches(_ID15_RE, "id_card"),
    _regex_matches(_LANDLINE_RE, "landline", ("0",)),
    _regex_matches(_LOCAL_LANDLINE_RE, "landline", ("电话", "座机", "固话"), group=1),
    _regex_matches(_PLATE_RE, "plate", validator=_plate_has_digit),
    *(_regex_matches(pattern, "address", needs) for needs, pattern in _ADDRESS_RULES),
    _regex_matches(_EMAIL_CUE_RE, "email", ("邮箱",), group=1),
]

_DIGIT_RE = re.compile("[0-9]")
# Three Chinese numerals in a row (spaces or dots between allowed): enough for a room number.
_CJK_RUN_RE = re.compile(f"[{_CJK_CLASS}](?:[ ._·-]{{0,3}}[{_CJK_CLASS}]){{2}}")
_QUICK_WORDS = ("@", "#", *_SPELLED_AT, *_WECHAT_CUES)


def find_pii(text: str) -> list[PIIMatch]:
    """Return the personal information found in ``text``, non-overlapping, in text order."""
    if not text:
        return []
    if not isinstance(text, str):
        text = str(text)
    folded = text.translate(_FOLD)
    lower = folded.lower()
    has_cjk_run = _CJK_RUN_RE.search(folded) is not None
    if not (_DIGIT_RE.search(folded) or has_cjk_run or any(w in lower for w in _QUICK_WORDS)):
        return []
    # Chinese numerals only matter in a run of three or more (phone numbers, room numbers).
    numbers = folded.translate(_CJK_DIGITS) if has_cjk_run else folded
    taken: list[tuple[int, int]] = []
    found: list[PIIMatch] = []

    def add(kind: str, start: int, end: int) -> None:
        if start >= end or any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(PIIMatch(kind, PII_LABELS[kind], start, end, text[start:end]))

    for finder in _FINDERS_BEFORE_NUMBERS:
        for kind, start, end in finder(folded, lower):
            add(kind, start, end)
    for kind, start, end in _number_spans(numbers, folded):
        add(kind, start, end)
    for finder in _FINDERS_AFTER_NUMBERS:
        for kind, start, end in finder(folded, lower):
            add(kind, start, end)
    # No rule above matches inside a run of 20+ digits (digit groups are never split), so such
    # runs are whole here: glued mobile numbers, or one long number.
    for m in _LONG_DIGITS_RE.finditer(folded):
        start, end = m.span()
        run = m.group()
        pieces = [run[i : i + 11] for i in range(0, len(run), 11)]
        if len(run) % 11 == 0 and all(_PLAIN_MOBILE_RE.fullmatch(p) for p in pieces):
            for i in range(start, end, 11):
                add("mobile", i, i + 11)
        else:
            add("digits", start, end)
    found.sort(key=lambda m: m.start)
    return found


def redact_pii(text: str) -> str:
    """Replace personal information in ``text`` by placeholders such as ``[手机号]``.

    Ordinary numbers (``2023年``, ``502元``, ``12栋``, ``3号楼``, ``100平米``) are left alone.
    Redaction is idempotent: ``redact_pii(redact_pii(t)) == redact_pii(t)``.
    """
    if not text:
        return "" if text is None else str(text)
    if not isinstance(text, str):
        text = str(text)
    # Replacing one match can expose another (an ID number glued to a phone number only
    # matches once its neighbour became a placeholder), so repeat until nothing is found.
    # Every match removes digits, letters or "@" and a placeholder adds at most two letters
    # ([QQ号], for a match of 5+ digits): this terminates.
    while True:
        matches = find_pii(text)
        if not matches:
            return text
        parts: list[str] = []
        pos = 0
        for m in matches:
            parts.append(text[pos : m.start])
            parts.append(f"[{m.label}]")
            pos = m.end
        parts.append(text[pos:])
        text = "".join(parts)
