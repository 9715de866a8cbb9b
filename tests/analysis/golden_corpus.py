"""Golden-output test data for the theme pipeline.

The corpus is ``tests/analysis/corpus.py`` (40 sentences on 4 topics plus 4 others, two of
them repeated as near-duplicates). Regenerate the expected output after a deliberate change
of the theme pipeline with::

    OPENBLAS_CORETYPE=Haswell .venv/bin/python -m tests.analysis.golden_corpus

(the OpenBLAS kernel the tests use, see ``_one_blas_kernel`` in tests/conftest.py: other kernels
round differently and move borderline opinions) and review the diff of ``tests/analysis/golden/themes.json`` before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

from .corpus import OTHER, labelled_corpus

GOLDEN_PATH = Path(__file__).with_name("golden") / "themes.json"


def golden_texts() -> list[str]:
    texts, _ = labelled_corpus()
    return texts + OTHER + [texts[3] + "！", "垃圾房的异味很大 夏天蚊虫滋生 希望每天清运两次"]


def pipeline_output(tokenizer=None) -> dict:
    from analysis import ThemeModel

    texts = golden_texts()
    out = {}
    for k in ("auto", 4):
        model = ThemeModel(k=k, random_state=0, tokenizer=tokenizer).fit(texts)
        out[str(k)] = {
            "k": int(model.k_),
            "labels": [int(x) for x in model.labels_],
            "duplicate_of": model.duplicate_of_,
            "themes": [
                {
                    "label": t.label,
                    "keywords": t.keywords[:5],
                    "size": t.size,
                    "representatives": t.representatives,
                    "is_other": t.is_other,
                }
                for t in model.themes_
            ],
            "summaries": [s.text() for s in model.summaries(texts)],
        }
    return out


if __name__ == "__main__":
    GOLDEN_PATH.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN_PATH.write_text(
        json.dumps(pipeline_output(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {GOLDEN_PATH}")
