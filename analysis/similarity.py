"""Similar-opinion lookup while a resident types ("类似意见已有 N 条")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize as l2_normalize

from analysis.normalize import normalize_text
from analysis.tokenize import ChineseTokenizer
from analysis.vectorize import compact_key, identity_analyzer

__all__ = ["SimilarOpinionIndex"]


class SimilarOpinionIndex:
    """Cosine search over existing opinions.

    Each text is represented by sublinear TF-IDF over its content words (search granularity:
    long words also count as their sub-words) joined with TF-IDF over
    character bigrams (weight ``char_weight``), so that short drafts and typos still find
    matches. ``fit`` indexes the texts; ``query`` returns ``(index, score)`` pairs, best first.

    Example::

        index = SimilarOpinionIndex().fit(existing_opinions)
        hits = index.query("小区充电桩太少了")   # [(12, 0.61), (40, 0.44)]
    """

    def __init__(
        self, *, tokenizer: ChineseTokenizer | None = None, char_weight: float = 1.0
    ) -> None:
        self.tokenizer = tokenizer
        self.char_weight = char_weight

    def _features(self, texts: Sequence[str], fit: bool) -> sp.csr_matrix:
        from sklearn.feature_extraction.text import TfidfVectorizer

        clean = [normalize_text(t) for t in texts]
        tokens = [self.tokenizer_.tokenize_for_search(t) for t in clean]
        if fit:
            self.word_vectorizer_ = TfidfVectorizer(
                analyzer=identity_analyzer, sublinear_tf=True, dtype=np.float32
            )
            self.char_vectorizer_ = TfidfVectorizer(
                analyzer="char",
                ngram_range=(2, 2),
                sublinear_tf=True,
                dtype=np.float32,
                preprocessor=compact_key,
            )
            parts = []
            for vec, data in ((self.word_vectorizer_, tokens), (self.char_vectorizer_, clean)):
                try:
                    parts.append(vec.fit_transform(data))
                except ValueError:  # empty vocabulary
                    vec.vocabulary_ = None
                    parts.append(sp.csr_matrix((len(clean), 0), dtype=np.float32))
        else:
            parts = [
                vec.transform(data)
                if getattr(vec, "vocabulary_", None)
                else sp.csr_matrix((len(clean), 0))
                for vec, data in ((self.word_vectorizer_, tokens), (self.char_vectorizer_, clean))
            ]
        X = sp.hstack([parts[0], parts[1] * self.char_weight]).tocsr()
        if X.shape[0] == 0 or X.shape[1] == 0:
            return sp.csr_matrix(X.shape, dtype=np.float32)
        return l2_normalize(X).astype(np.float32)

    def fit(self, texts: Sequence[str]) -> SimilarOpinionIndex:
        """Index ``texts`` (their positions are the indices ``query`` returns)."""
        self.tokenizer_ = self.tokenizer or ChineseTokenizer()
        self.matrix_ = self._features(list(texts), fit=True)
        self.n_texts_ = len(texts)
        return self

    def query(
        self, text: str, *, top_k: int = 5, min_score: float = 0.25
    ) -> list[tuple[int, float]]:
        """Up to ``top_k`` indexed opinions with cosine similarity ≥ ``min_score``, best first."""
        if not hasattr(self, "matrix_"):
            raise RuntimeError("SimilarOpinionIndex is not fitted: call fit(texts) first")
        if self.n_texts_ == 0 or not text or top_k <= 0:
            return []
        q = self._features([text], fit=False)
        if q.nnz == 0:
            return []
        scores = np.asarray((self.matrix_ @ q.T).todense()).ravel()
        order = np.argsort(-scores, kind="stable")[:top_k]
        return [(int(i), round(float(scores[i]), 4)) for i in order if scores[i] >= min_score]

    def count_similar(self, text: str, *, min_score: float = 0.35) -> int:
        """How many indexed opinions are at least ``min_score`` similar to ``text``."""
        if not hasattr(self, "matrix_") or not text or self.n_texts_ == 0:
            return 0
        q = self._features([text], fit=False)
        if q.nnz == 0:
            return 0
        return int(((self.matrix_ @ q.T).toarray().ravel() >= min_score).sum())
