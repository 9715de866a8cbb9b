"""Chinese text analysis for consultations: no Streamlit, no database.

Public API (imported lazily so ``import analysis`` stays cheap; heavy modules such as
scikit-learn load on first use)::

    normalize_text, normalize_many, redact_pii, find_pii, PIIMatch,
    ChineseTokenizer, ThemeModel, ThemeInfo, find_near_duplicates, SimilarOpinionIndex,
    OpinionGroups, hot_score, word_cloud, read_table, InputError,
    summarize_themes, render_summary, ThemeSummary, SubPoint
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "normalize_text": "analysis.normalize",
    "normalize_many": "analysis.normalize",
    "convert_to_simplified": "analysis.normalize",
    "redact_pii": "analysis.redact",
    "find_pii": "analysis.redact",
    "PIIMatch": "analysis.redact",
    "ChineseTokenizer": "analysis.tokenize",
    "ThemeModel": "analysis.themes",
    "ThemeInfo": "analysis.themes",
    "find_near_duplicates": "analysis.duplicates",
    "SimilarOpinionIndex": "analysis.similarity",
    "OpinionGroups": "analysis.groups",
    "hot_score": "analysis.scoring",
    "word_cloud": "analysis.cloud",
    "read_table": "analysis.io",
    "InputError": "analysis.io",
    "summarize_themes": "analysis.summary",
    "render_summary": "analysis.summary",
    "ThemeSummary": "analysis.summary",
    "SubPoint": "analysis.summary",
}

__all__ = [
    "ChineseTokenizer",
    "InputError",
    "OpinionGroups",
    "PIIMatch",
    "SimilarOpinionIndex",
    "SubPoint",
    "ThemeInfo",
    "ThemeSummary",
    "ThemeModel",
    "convert_to_simplified",
    "find_near_duplicates",
    "find_pii",
    "hot_score",
    "normalize_many",
    "normalize_text",
    "read_table",
    "redact_pii",
    "render_summary",
    "summarize_themes",
    "word_cloud",
]

if TYPE_CHECKING:  # pragma: no cover
    from analysis.cloud import word_cloud
    from analysis.duplicates import find_near_duplicates
    from analysis.groups import OpinionGroups
    from analysis.io import InputError, read_table
    from analysis.normalize import convert_to_simplified, normalize_many, normalize_text
    from analysis.redact import PIIMatch, find_pii, redact_pii
    from analysis.scoring import hot_score
    from analysis.similarity import SimilarOpinionIndex
    from analysis.summary import SubPoint, ThemeSummary, render_summary, summarize_themes
    from analysis.themes import ThemeInfo, ThemeModel
    from analysis.tokenize import ChineseTokenizer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
