"""Find and mask personal information in residents' texts.

Detected kinds (placeholder in brackets):

- ``mobile`` [手机号]: mainland mobile numbers, optional +86/0086 prefix, spaces or dashes
  between the 3-4-4 groups (``138 0013 8000``).
- ``landline`` [固定电话]: numbers with an area code (``021-6234 5678``, ``(0731)84567890``).
- ``id_card`` [身份证号]: 18-digit resident ID numbers whose check digit is valid, and 15-digit
  legacy ones with a plausible birth date. A wrong check digit is *not* an ID number.
- ``email`` [邮箱].
- ``plate`` [车牌号]: licence plates, ordinary (``沪A·12345``) and new-energy (``京AD12345``).
- ``bank_card`` [银行卡号]: 16–19 digit runs that pass the Luhn check, or that are written in
  groups of four.
- ``digits`` [长数字串]: runs of 20 or more digits, longer than any identifier: numbers typed
  together without a separator. Two or more mobile numbers glued together
  (``1381234567813912345678``) are masked as that many [手机号] instead.
- ``address`` [门牌号]: exact room addresses (``3号楼2单元502室``, ``12栋502室``, ``2单元502``,
  ``5-2-502室``); a building alone (``3号楼``, ``12栋``) is not personal.

Full-width digits and letters are recognised too (matching runs on a same-length ASCII-folded
copy, so offsets refer to the original text).
"""

from __future__ import annotations

import re
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
}


@dataclass(frozen=True)
class PIIMatch:
    """One piece of personal information found in a text (``text[start:end]``)."""

    kind: str
    label: str
    start: int
    end: int
    text: str


# Same-length folding: full-width ASCII → ASCII, ideographic space → space, lower → upper is
# NOT done here (e-mails are case-insensitive anyway; plates are matched with IGNORECASE).
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
_FOLD[0x30FB] = ord("·")  # katakana middle dot, often typed in plates

_D = "[0-9]"
_ND_BEFORE = r"(?<![0-9])"
_ND_AFTER = r"(?![0-9])"

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z])"
)
_ID18_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
)
_ID15_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}"
    r"(?![0-9A-Za-z])"
)
_BANK_GROUPED_RE = re.compile(
    _ND_BEFORE + r"[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?" + _ND_AFTER
)
_BANK_RUN_RE = re.compile(_ND_BEFORE + r"[0-9]{16,19}" + _ND_AFTER)
_MOBILE_RE = re.compile(
    _ND_BEFORE + r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}" + _ND_AFTER
)
_LANDLINE_RE = re.compile(
    _ND_BEFORE + r"(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ -]?[2-9][0-9]{2,3}[ -]?[0-9]{4}"
    r"(?:-[0-9]{1,4})?" + _ND_AFTER
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_RE = re.compile(
    rf"[{_PROVINCES}][A-HJ-NP-Z][·•.\- ]?"
    r"(?:[DF][A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{5}[DF]?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_LONG_DIGITS_RE = re.compile(_ND_BEFORE + r"[0-9]{20,}" + _ND_AFTER)
_PLAIN_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_NUM = "[0-9一二三四五六七八九十]+"
_ROOM_END = r"(?:室|房|号(?!楼))?(?![0-9年元月日天个户人万块平米㎡%])"
_ADDRESS_RE = re.compile(
    "|".join(
        [
            rf"{_NUM}(?:号楼|栋|幢|座|号)[ -]?{_NUM}单元[ -]?[0-9]{{1,4}}{_ROOM_END}",
            rf"{_ND_BEFORE}[0-9]+(?:号楼|栋|幢)[ -]?[0-9]{{3,4}}{_ROOM_END}",
            rf"{_ND_BEFORE}[0-9]+单元[ -]?[0-9]{{3,4}}{_ROOM_END}",
            rf"{_ND_BEFORE}[0-9]{{1,3}}-[0-9]{{1,2}}-[0-9]{{3,4}}(?:室|房)",
        ]
    )
)

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


# (kind, pattern, validator) in priority order: earlier kinds win overlaps.
_RULES: list[tuple[str, re.Pattern[str], object]] = [
    ("email", _EMAIL_RE, None),
    ("id_card", _ID18_RE, is_valid_id_number),
    ("id_card", _ID15_RE, None),
    ("mobile", _MOBILE_RE, None),
    ("bank_card", _BANK_GROUPED_RE, None),
    ("bank_card", _BANK_RUN_RE, _luhn_ok),
    ("landline", _LANDLINE_RE, None),
    ("plate", _PLATE_RE, _plate_has_digit),
    ("address", _ADDRESS_RE, None),
]

_QUICK_RE = re.compile(r"[0-9@]")


def find_pii(text: str) -> list[PIIMatch]:
    """Return the personal information found in ``text``, non-overlapping, in text order."""
    if not text:
        return []
    if not isinstance(text, str):
        text = str(text)
    folded = text.translate(_FOLD)
    if not _QUICK_RE.search(folded):
        return []
    taken: list[tuple[int, int]] = []
    found: list[PIIMatch] = []
    for kind, pattern, validator in _RULES:
        for m in pattern.finditer(folded):
            start, end = m.span()
            if validator is not None and not validator(m.group()):  # type: ignore[operator]
                continue
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(PIIMatch(kind, PII_LABELS[kind], start, end, text[start:end]))
    # No rule above matches inside a run of 20+ digits (they all need a non-digit on both
    # sides), so such runs are whole here: glued mobile numbers, or one long number.
    for m in _LONG_DIGITS_RE.finditer(folded):
        start, end = m.span()
        run = m.group()
        pieces = [run[i : i + 11] for i in range(0, len(run), 11)]
        if len(run) % 11 == 0 and all(_PLAIN_MOBILE_RE.fullmatch(p) for p in pieces):
            for i in range(start, end, 11):
                found.append(PIIMatch("mobile", PII_LABELS["mobile"], i, i + 11, text[i : i + 11]))
        else:
            found.append(PIIMatch("digits", PII_LABELS["digits"], start, end, text[start:end]))
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
    # Every match contains a digit or "@" and placeholders contain neither: this terminates.
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
