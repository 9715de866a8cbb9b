"""A consultation filled with the hand-written demo opinions (data/demo/corpus.json)."""

from __future__ import annotations

import json
import random

from sqlmodel import Session, select

from portal.models import Area, Community, Consultation, Opinion, Phase, Resident
from portal.settings import PACKAGED_DATA


def demo_opinions() -> list[str]:
    corpus = json.loads((PACKAGED_DATA / "demo" / "corpus.json").read_text(encoding="utf-8"))
    first = corpus["consultations"][0]
    return [text for theme in first["themes"] for text in theme["opinions"]]


def consultation_with_demo_opinions(engine, n: int, *, seed: int = 0) -> int:
    """A new collecting consultation holding ``n`` demo opinions (a seeded sample)."""
    texts = demo_opinions()
    sample = random.Random(seed).sample(texts, min(n, len(texts)))
    with Session(engine, expire_on_commit=False) as s:
        community = s.exec(select(Community)).first()
        if community is None:
            community = Community(name="梧桐里社区")
            s.add(community)
            s.flush()
        area = s.exec(select(Area).where(Area.community_id == community.id)).first()
        if area is None:
            area = Area(community_id=community.id, name="6号楼", grid="第二网格")
            s.add(area)
            s.flush()
        c = Consultation(community_id=community.id, title="加装电梯", phase=Phase.COLLECTING,
                         question="老楼加装电梯，您有什么想法？")
        s.add(c)
        s.flush()
        for text in sample:
            r = Resident(community_id=community.id, area_id=area.id)
            s.add(r)
            s.flush()
            s.add(Opinion(consultation_id=c.id, resident_id=r.id, area_id=area.id,
                          text_original=text, text_public=text))
        s.commit()
        return c.id
