"""Shared vectorisation helpers (scikit-learn, pre-tokenised input)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["identity_analyzer", "compact_key", "word_tfidf", "char_tfidf"]

_NON_WORD_RE = re.compile(r"[\W_]+")


def identity_analyzer(tokens: list[str]) -> list[str]:
    """Analyzer for already tokenised documents (a named function, so it pickles)."""
    return tokens


def compact_key(text: str) -> str:
    """Key for exact duplicates: lower-cased text without whitespace and punctuation."""
    return _NON_WORD_RE.sub("", text).lower()


def word_tfidf(
    token_lists: Sequence[list[str]],
    *,
    min_df: int | float = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """Sublinear TF-IDF over token lists; rows are L2-normalised."""
    vec = TfidfVectorizer(
        analyzer=identity_analyzer,
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    X = vec.fit_transform(token_lists)
    return vec, X.tocsr()


def char_tfidf(
    texts: Sequence[str], *, ngram_range: tuple[int, int] = (2, 2), min_df: int | float = 1
) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """Character n-gram TF-IDF over compacted texts (robust for very short texts and typos)."""
    vec = TfidfVectorizer(
        analyzer="char",
        ngram_range=ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
        preprocessor=compact_key,
    )
    X = vec.fit_transform(texts)
    return vec, X.tocsr()
