"""A small consultation under review, built row by row (no analysis run needed).

梧桐里社区, consultation 停车难 in 研判中 with three model themes (车位, 充电, 门禁), a 其他 theme,
and opinions, votes and a finished analysis run whose summary holds one near-duplicate group.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from portal.models import Opinion, Phase, Role, VoteValue
from portal.services.actors import CommitteeActor
from tests import factories


def ensure_hot_score() -> None:
    """``refresh_theme_stats`` needs ``analysis.hot_score``; until the analysis branch lands in
    main, stand in a transparent score (distinct + residents + support) so the services can be
    tested. Once ``analysis.scoring`` exists this does nothing."""
    if "analysis.scoring" in sys.modules or importlib.util.find_spec("analysis.scoring") is not None:
        return
    module = types.ModuleType("analysis.scoring")

    def hot_score(*, n_distinct, n_residents, support, opposition, days_since_last):  # noqa: ARG001
        return float(n_distinct + n_residents + support)

    module.hot_score = hot_score  # type: ignore[attr-defined]
    sys.modules["analysis.scoring"] = module


PARKING = {
    "车位不足": [
        "小区车位太少了，晚上回来根本找不到地方停车",
        "建议把东门空地改成临时停车位，缓解晚上停车难",
        "车位分配应该公开摇号，不能让物业内部人优先",
    ],
    "电动车充电": [
        "楼道里飞线给电动车充电太危险了，去年隔壁小区就着过火",
        "希望多装几个充电桩，价格要合理，不然大家还是会飞线",
        "充电桩一小时收两块钱太贵了，老人都舍不得用",
        "楼道里飞线给电动车充电太危险了，去年隔壁小区就着过火！",
        "楼道里飞线给电动车充电太危险了，去年隔壁小区就着过火了",
    ],
    "外来车辆": [
        "外来车辆随便进出，门卫根本不管，小区成了停车场",
        "建议外来车辆收临时停车费，业主车辆优先",
    ],
    "其他": ["希望居委会多组织一些亲子活动"],
}


@dataclass
class World:
    consultation_id: int
    admin: CommitteeActor
    reviewer: CommitteeActor
    clerk: CommitteeActor
    themes: dict[str, int] = field(default_factory=dict)  # label -> id
    opinions: dict[str, list[int]] = field(default_factory=dict)  # theme label -> opinion ids
    residents: list[int] = field(default_factory=list)
    run_id: int = 0


def build_world(session: Session, *, phase: Phase = Phase.REVIEWING, community: str = "梧桐里社区") -> World:
    ensure_hot_score()
    name = community
    hood = factories.community(session, name=name, district="静安区")
    suffix = "" if name == "梧桐里社区" else f"-{hood.id}"
    area = factories.buildings(session, hood, [("3号楼", "第一网格")])[0]
    residents = factories.residents(session, hood, [area], 8, age_bands=["60-69"])
    actors = factories.staff(session, hood, [(role, username + suffix, display)
                                             for role, username, display in factories.STAFF])
    c = factories.consultation(session, hood, title="停车难与非机动车充电", question="您对小区停车和充电有什么建议？",
                               phase=phase)
    run = factories.analysis_run(session, c, n_opinions=11)
    world = World(c.id, actors[Role.ADMIN], actors[Role.REVIEWER], actors[Role.CLERK],  # type: ignore[arg-type]
                  residents=[r.id for r in residents], run_id=run.id)  # type: ignore[arg-type, misc]
    start = factories.days_from_now(-10)
    n = 0
    ops: dict[str, list[Opinion]] = {}
    for position, (label, texts) in enumerate(PARKING.items()):
        ops[label] = []
        for text in texts:
            ops[label].append(factories.opinion(session, c, residents[n % len(residents)], text,
                                                received_at=start + timedelta(hours=n)))
            n += 1
        ids = [o.id for o in ops[label]]
        theme = factories.theme(session, c, label, ops[label], score=0.5, run_id=run.id, keywords=[label[:2]],
                                is_other=label == "其他", position=position, representative_ids=ids[:3])
        world.themes[label] = theme.id  # type: ignore[assignment]
        world.opinions[label] = ids  # type: ignore[assignment]
    # the three near-identical 飞线 opinions
    charging = world.opinions["电动车充电"]
    dup_group = [charging[0], charging[3], charging[4]]
    for op in ops["电动车充电"][3:5]:
        op.duplicate_of_id = dup_group[0]
        session.add(op)
    run.summary = {
        "duplicate_groups": [dup_group],
        "groups": [{"id": 0, "size": 5, "representative": [
            {"opinion_id": world.opinions["外来车辆"][1], "agree_share": 0.9, "repness": 2.0}]},
            {"id": 1, "size": 3, "representative": [
                {"opinion_id": world.opinions["车位不足"][2], "agree_share": 0.8, "repness": 1.5}]}],
        "points": [{"resident_id": r.id, "group": i % 2, "x": float(i), "y": float(-i)}
                   for i, r in enumerate(residents[:6])] + [{"resident_id": residents[6].id, "group": -1,
                                                            "x": 0.0, "y": 0.0}],  # skipped voter
        "consensus": [charging[0]],
        "divisive": [world.opinions["车位不足"][1]],
    }
    session.add(run)
    for r in residents[:5]:
        factories.vote(session, ops["电动车充电"][1], r)
    factories.vote(session, ops["电动车充电"][2], residents[5], VoteValue.DISAGREE)
    session.flush()
    from portal.services.review.runs import refresh_theme_stats

    refresh_theme_stats(session, c.id)  # type: ignore[arg-type]
    session.commit()
    return world
