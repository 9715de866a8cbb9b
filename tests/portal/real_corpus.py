"""A consultation filled with the hand-written demo opinions (data/demo/corpus.json)."""

from __future__ import annotations

import json
import random

from portal.settings import PACKAGED_DATA
from tests.factories import consultation_with_opinions


def demo_opinions() -> list[str]:
    corpus = json.loads((PACKAGED_DATA / "demo" / "corpus.json").read_text(encoding="utf-8"))
    first = corpus["consultations"][0]
    return [text for theme in first["themes"] for text in theme["opinions"]]


def consultation_with_demo_opinions(engine, n: int, *, seed: int = 0) -> int:
    """A new collecting consultation holding ``n`` demo opinions (a seeded sample), in the
    database's first community and area when there are any."""
    texts = demo_opinions()
    sample = random.Random(seed).sample(texts, min(n, len(texts)))
    return consultation_with_opinions(engine, sample, title="加装电梯", question="老楼加装电梯，您有什么想法？",
                                      area_name="6号楼", reuse_community=True)
