"""A building whose owners vote, and a consultation with a poll: the worlds of the decision tests.

``owners_building`` stores one 楼栋 with one owner household per given area (each owner a roster
resident), staff, and a collecting consultation about installing a lift. ``poll_world`` adds
residents in three buildings and two grids with age bands, and a three-question poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from portal import models
from portal.services.actors import CommitteeActor, ResidentActor
from portal.services.decisions import (
    QuestionDraft,
    create_owners_vote,
    create_poll,
    set_owner_household,
)
from portal.services.identity import resident_actor
from tests import factories as f


@dataclass
class OwnersWorld:
    community_id: int
    consultation_id: int
    area_id: int
    staff: dict[models.Role, CommitteeActor]
    households: list[int]  # ids, in the order of the areas given
    owners: list[ResidentActor]  # owner of households[i]
    others: list[ResidentActor]  # residents who own nothing here
    vote_id: int

    @property
    def admin(self) -> CommitteeActor:
        return self.staff[models.Role.ADMIN]

    @property
    def clerk(self) -> CommitteeActor:
        return self.staff[models.Role.CLERK]


def owners_building(session: Session, areas: list[str], *,
                    matter: models.VoteMatter = models.VoteMatter.REBUILD,
                    phase: models.Phase = models.Phase.COLLECTING) -> OwnersWorld:
    community = f.community(session)
    building, elsewhere = f.buildings(session, community, [("5号楼", "第二网格"), ("6号楼", "第二网格")])
    staff = f.staff(session, community)
    c = f.consultation(session, community, title="5号楼加装电梯", phase=phase,
                       question="5号楼2单元是否加装电梯？费用怎么分摊？")
    households, owners = [], []
    for i, area in enumerate(areas):
        floor, flat = i // 2 + 1, i % 2 + 1
        room = f"5-2-{floor}0{flat}"
        owner = models.Resident(community_id=community.id, area_id=building.id, unit="2单元",
                                age_band=("60-69", "45-59", "70-79")[i % 3], household_ref=room)
        session.add(owner)
        session.flush()
        h = set_owner_household(session, community_id=community.id, area_id=building.id, unit="2单元",
                                room=room, area_m2=Decimal(area), owner_resident_id=owner.id)
        households.append(h.id)
        owners.append(resident_actor(session, owner))
    others = f.residents(session, community, [building, elsewhere], 4, age_bands=("30-44",))
    vote = create_owners_vote(session, actor=staff[models.Role.ADMIN], consultation_id=c.id,
                              title="5号楼2单元加装电梯", matter=matter, area_id=building.id, unit="2单元")
    session.commit()
    return OwnersWorld(community.id, c.id, building.id, staff, households, owners,
                       [resident_actor(session, r) for r in others], vote.id)


@dataclass
class PollWorld:
    consultation_id: int
    poll_id: int
    staff: dict[models.Role, CommitteeActor]
    residents: list[ResidentActor]
    question_ids: list[int]  # 电梯方案 (single), 关心的问题 (multiple, max 2, 其他), 施工时段 (ranking)

    @property
    def admin(self) -> CommitteeActor:
        return self.staff[models.Role.ADMIN]

    @property
    def clerk(self) -> CommitteeActor:
        return self.staff[models.Role.CLERK]


SCHEMES = ["方案一：贴墙加装，每户约 4.8 万元", "方案二：连廊平层入户，每户约 6.5 万元"]
CONCERNS = ["低层住户采光", "施工噪音", "费用分摊", "后期维护费"]
SLOTS = ["工作日白天", "周末白天", "寒暑假集中施工"]


def poll_world(session: Session, *, n_residents: int = 12, hide: bool = False,
               phase: models.Phase = models.Phase.COLLECTING) -> PollWorld:
    community = f.community(session)
    areas = f.buildings(session, community, [("3号楼", "第一网格"), ("5号楼", "第二网格"), ("6号楼", "第二网格")])
    staff = f.staff(session, community)
    c = f.consultation(session, community, title="加装电梯方案征询", phase=phase,
                       question="5号楼加装电梯，您更倾向哪个方案？")
    people = f.residents(session, community, areas, n_residents, age_bands=("60-69", "30-44", "70-79", "45-59"))
    poll = create_poll(session, actor=staff[models.Role.ADMIN], consultation_id=c.id, title="电梯方案问卷",
                       hide_results_until_close=hide, questions=[
                           QuestionDraft("您更倾向哪个加装方案？", models.PollKind.SINGLE, SCHEMES),
                           QuestionDraft("您最关心哪些问题？（最多选两项）", models.PollKind.MULTIPLE, CONCERNS,
                                         max_choices=2, allow_other=True),
                           QuestionDraft("请给施工时段排序（最能接受的排第一）", models.PollKind.RANKING, SLOTS),
                       ])
    session.commit()
    from portal.services.decisions import questions_of

    qids = [q.id for q in questions_of(session, poll.id)]
    return PollWorld(c.id, poll.id, staff, [resident_actor(session, r) for r in people], qids)


def lift_decision(session: Session, areas: list[str] | None = None) -> tuple[OwnersWorld, int]:
    """``owners_building`` (8 flats by default) whose consultation also has the lift-scheme poll;
    returns (the world, the poll's id)."""
    w = owners_building(session, areas or ["89.50", "76.20", "89.50", "76.20", "120.30", "120.30", "64.80", "64.80"])
    poll = create_poll(session, actor=w.admin, consultation_id=w.consultation_id, title="电梯方案问卷", questions=[
        QuestionDraft("您更倾向哪个加装方案？", models.PollKind.SINGLE, SCHEMES),
        QuestionDraft("您最关心哪些问题？（最多选两项）", models.PollKind.MULTIPLE, CONCERNS,
                      max_choices=2, allow_other=True),
        QuestionDraft("请给施工时段排序（最能接受的排第一）", models.PollKind.RANKING, SLOTS),
    ])
    session.commit()
    return w, poll.id
