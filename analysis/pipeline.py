"""End-to-end theme run over a table, as `consult themes` runs it (the portal's analysis runs call ThemeModel directly)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from analysis.io import InputError
from analysis.themes import ThemeModel
from analysis.tokenize import ChineseTokenizer

__all__ = ["parse_k", "theme_table"]


def parse_k(value: str | int) -> int | str:
    """``"auto"`` or a positive integer (as text or int); :class:`InputError` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        k: int | str = value
    else:
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        try:
            k = int(text)
        except ValueError:
            raise InputError(f"--k 必须是 auto 或正整数，收到“{value}”") from None
    if isinstance(k, int) and k < 1:
        raise InputError(f"--k 必须是 auto 或正整数，收到“{value}”")
    return k


def theme_table(
    df: pd.DataFrame,
    text_column: str,
    *,
    k: int | str = "auto",
    guide_column: str | None = None,
    random_state: int = 0,
    tokenizer: ChineseTokenizer | None = None,
    progress: Callable[[float, str], None] | None = None,
    n_jobs: int = 1,
    seed_words: Mapping[str, Sequence[str]] | None = None,
    suggest: int = 0,
) -> tuple[pd.DataFrame, ThemeModel]:
    """Themes for ``df[text_column]``.

    Returns a copy of ``df`` with ``theme`` (theme index), ``theme_label`` and
    ``duplicate_of`` (row position of the first near-duplicate, empty if none) appended, and
    the fitted :class:`ThemeModel`. Rows with a value in ``guide_column`` keep it as their
    theme. ``n_jobs``: tokenising worker processes (see :class:`ThemeModel`).
    ``seed_words``: committee themes with keywords (they exist even without guided rows).
    ``suggest``: when > 0, a column ``confirm_rank`` (1 … ``suggest``) marks the unguided rows
    to confirm next (:meth:`ThemeModel.suggest`), empty elsewhere. Raises :class:`InputError`
    for missing columns and for ``suggest`` larger than the unguided rows.
    """
    for column in [text_column] + ([guide_column] if guide_column else []):
        if column not in df.columns:
            available = "、".join(map(str, df.columns))
            raise InputError(f"找不到列“{column}”。可用的列：{available}")
    texts = ["" if pd.isna(t) else str(t) for t in df[text_column].tolist()]
    guide = None
    if guide_column:
        guide = [
            None if pd.isna(g) or not str(g).strip() else str(g).strip()
            for g in df[guide_column].tolist()
        ]
    n_unguided = len(texts) if guide is None else sum(g is None for g in guide)
    if suggest > n_unguided:
        raise InputError(f"--suggest 为 {suggest}，但只有 {n_unguided} 条未归类的意见")
    model = ThemeModel(k=k, random_state=random_state, tokenizer=tokenizer, n_jobs=n_jobs).fit(
        texts, guide=guide, progress=progress, seed_words=seed_words
    )
    out = df.copy()
    out["theme"] = model.labels_
    out["theme_label"] = [model.themes_[i].label for i in model.labels_]
    out["duplicate_of"] = pd.array(model.duplicate_of_, dtype="Int64")
    if suggest > 0:
        rank: list[int | None] = [None] * len(texts)
        for r, i in enumerate(model.suggest(suggest), start=1):
            rank[i] = r
        out["confirm_rank"] = pd.array(rank, dtype="Int64")
    return out, model
