"""Text helpers shared by services: one tokenizer per process, cleaning and redaction."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from portal.settings import get_settings


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """The process-wide Chinese tokenizer (loads its dictionary once, ~1 s)."""
    from analysis import ChineseTokenizer

    s = get_settings()
    s.jieba_cache_dir.mkdir(parents=True, exist_ok=True)
    return ChineseTokenizer(data_dir=s.data_dir, cache_dir=s.jieba_cache_dir)


def public_text(text: str) -> tuple[str, list[str]]:
    """The text the public may see (as typed, PII replaced) and the kinds of PII found."""
    from analysis import find_pii, redact_pii

    text = text.strip()
    kinds = sorted({m.kind for m in find_pii(text)})
    return redact_pii(text), kinds
