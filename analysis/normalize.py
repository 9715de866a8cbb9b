"""Text clean-up before redaction and tokenisation.

``normalize_text`` applies NFKC (full-width letters, digits and punctuation become half-width),
collapses whitespace, removes URLs and emoji (each switchable) and, optionally, converts
traditional characters to simplified ones with zhconv.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["convert_to_simplified", "normalize_text"]

_URL_RE = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s\u3000\u4e00-\u9fff，。！？；、）】」』》]+",
    re.IGNORECASE,
)
# Emoji and pictographs, variation selectors, zero-width joiners and keycap marks.
_EMOJI_RE = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong, cards, emoticons, pictographs, transport, symbols
    "\U00002600-\U000027bf"  # misc symbols, dingbats
    "\U0001f1e6-\U0001f1ff"  # regional indicators (flags)
    "\U00002b00-\U00002bff"  # arrows and stars used as emoji
    "\ufe0e\ufe0f\u200d\u20e3"
    "]+"
)
# Control and format characters (except tab/newline, which become spaces anyway).
_CONTROL_RE = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u200c\u2060\ufeff]"
)
_SPACE_RE = re.compile(r"\s+")


# Full-width ASCII and the ideographic space, the only compatibility characters in most texts.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def _nfkc(text: str) -> str:
    """NFKC, with fast paths: ``is_normalized`` is ~300x faster than ``normalize`` and most
    Chinese texts only need their full-width punctuation folded."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = text.translate(_FULLWIDTH)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    from zhconv import zhconv as _z

    table = _z.getdict("zh-cn")
    return frozenset(k for k, v in table.items() if len(k) == 1 and v != k)


def convert_to_simplified(text: str) -> str:
    """Convert traditional characters to simplified ones (zhconv, zh-cn).

    zhconv is pure Python, so texts without any traditional character are returned unchanged
    without calling it (a set test in C is ~100x faster than the conversion).
    """
    if _traditional_chars().isdisjoint(text):
        return text
    from zhconv import convert

    return convert(text, "zh-cn")


def normalize_text(
    text: str,
    *,
    to_simplified: bool = True,
    remove_urls: bool = True,
    remove_emoji: bool = True,
) -> str:
    """Return a cleaned copy of ``text`` for analysis.

    - Unicode NFKC: full-width ``ＡＢＣ１２３，！`` become ``ABC123,!``, compatibility forms
      (``①``, ``㎡``) are unfolded.
    - URLs are removed (``remove_urls``) and emoji are removed (``remove_emoji``); when kept they
      pass through unchanged.
    - Control characters are dropped, runs of whitespace (including the ideographic space and
      newlines) collapse to one space, and the ends are stripped.
    - ``to_simplified``: traditional characters become simplified (``電梯`` → ``电梯``).

    ``None`` and non-string input are treated as the empty string / ``str(value)``.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = _nfkc(text)
    if remove_urls:
        text = _URL_RE.sub(" ", text)
    if remove_emoji:
        text = _EMOJI_RE.sub(" ", text)
    text = _CONTROL_RE.sub("", text)
    text = _SPACE_RE.sub(" ", text).strip()
    if to_simplified:
        text = convert_to_simplified(text)
    return text
