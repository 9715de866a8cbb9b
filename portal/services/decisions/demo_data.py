"""The demo's polls and owners' votes.

- 老旧小区加装电梯意见征集 (published): an owners' vote of 5号楼 2单元 (12 flats, realistic
  areas) in which 9 of 12 owners took part but the two largest flats did not, so participation by
  head count is reached and by area misses by a few m² (还差 3.07 m² 参与); and a closed poll on
  the lift scheme answered on the web and on paper.
- 社区食堂与居家养老服务意见征集 (collecting): an open poll on the canteen's hours closing within
  a day, so reminders (``closing_within``) have something to tell.

The published consultation's ballots are history written afterwards, like the demo's opinions
with past dates: they are stored with the services' own storing step (one row per household or
resident, same constraints), then the vote is closed and published through the services.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.db import unit_of_work
from portal.models import (
    Area,
    Channel,
    CommitteeUser,
    Consultation,
    OwnerChoice,
    Phase,
    PollKind,
    Resident,
    Role,
    VoteMatter,
    utcnow,
)
from portal.services.decisions import owners, polls
from portal.services.demo_common import SYSTEM, lift_consultation
from portal.services.identity.households import set_owner_household

# 5号楼 2单元, floors 1-6, two flats each; the top floor's two large flats stay away
AREAS = ["76.20", "89.50"] * 5 + ["142.30", "142.30"]
CHOICES = ([OwnerChoice.AGREE] * 7 + [OwnerChoice.OPPOSE] * 2)
SCHEMES = ["方案一：贴墙加装，每户约 4.8 万元", "方案二：连廊平层入户，每户约 6.5 万元", "暂不加装"]
CONCERNS = ["低层住户采光和噪音", "费用分摊是否公平", "施工期间出行", "电梯后期维护费"]


def _lift_vote(session: Session, rng: random.Random, c: Consultation, clerk: CommitteeUser) -> str:
    building = session.exec(select(Area).where(Area.community_id == c.community_id, Area.name == "5号楼")).one()
    people = list(session.exec(select(Resident).where(Resident.area_id == building.id, Resident.unit == "2单元")
                               .order_by(col(Resident.id))))
    owners_by_room: dict[str, Resident] = {}
    for r in people:
        owners_by_room.setdefault(r.household_ref, r)
    rooms = list(owners_by_room)[:len(AREAS)]
    households = [set_owner_household(session, community_id=c.community_id, area_id=building.id, unit="2单元",
                                      room=room, area_m2=Decimal(area), owner_resident_id=owners_by_room[room].id)
                  for room, area in zip(rooms, AREAS, strict=True)]
    vote = owners.create_owners_vote(session, actor=SYSTEM, consultation_id=c.id, title="5号楼2单元加装电梯",  # type: ignore[arg-type]
                                     matter=VoteMatter.REBUILD, area_id=building.id, unit="2单元")
    # one household votes through a proxy: someone else of the flat (else of the unit) on the roster
    by_proxy = households[8]
    owner_ids = {h.owner_resident_id for h in households}
    others = [r for r in people if r.id not in owner_ids]
    proxy = next((r for r in others if r.household_ref == by_proxy.room), others[0])
    by_proxy.proxy_resident_id = proxy.id
    session.add(by_proxy)
    voters = households[:9]
    choices = list(CHOICES)
    rng.shuffle(choices)
    for i, (h, choice) in enumerate(zip(voters, choices, strict=True)):
        paper = i % 3 == 0  # older owners hand in a paper ballot
        owners._store_ballot(session, v=vote, household=h, choice=choice,
                             channel=Channel.PAPER if paper else Channel.WEB,
                             resident_id=None if paper else (proxy.id if h is by_proxy else h.owner_resident_id),
                             by_proxy=h is by_proxy and not paper, entered_by=clerk.id if paper else None)
    owners.close_owners_vote(session, actor=SYSTEM, vote_id=vote.id)  # type: ignore[arg-type]
    tally = owners.publish_owners_vote(session, actor=SYSTEM, vote_id=vote.id, as_passed=False)  # type: ignore[arg-type]
    return tally.outcome_text()


def _lift_poll(session: Session, rng: random.Random, c: Consultation, clerk: CommitteeUser) -> int:
    poll = polls.create_poll(session, actor=SYSTEM, consultation_id=c.id, title="加装电梯方案问卷", questions=[  # type: ignore[arg-type]
        polls.QuestionDraft("您更倾向哪个方案？", PollKind.SINGLE, SCHEMES),
        polls.QuestionDraft("您最关心哪些问题？（最多选两项）", PollKind.MULTIPLE, CONCERNS, max_choices=2),
    ])
    qs = polls.questions_of(session, poll.id)  # type: ignore[arg-type]
    people = list(session.exec(select(Resident).where(Resident.community_id == c.community_id)
                               .order_by(col(Resident.id))))
    answered = rng.sample(people, 90)
    for r in answered:
        upper = r.unit != "1单元"
        scheme = rng.choices([0, 1, 2], weights=[5, 3, 1] if upper else [2, 1, 4])[0]
        concerns = rng.sample(range(len(CONCERNS)), rng.choice([1, 2]))
        paper = r.age_band in ("70-79", "80+") and rng.random() < 0.6
        polls._store(session, poll=poll, resident_id=r.id, checked={str(qs[0].id): [scheme], str(qs[1].id): concerns},
                     others={}, channel=Channel.PAPER if paper else Channel.WEB, entered_by=clerk.id if paper else None)
    polls.close_poll(session, actor=SYSTEM, poll_id=poll.id)  # type: ignore[arg-type]
    return len(answered)


def _canteen_poll(session: Session, rng: random.Random, c: Consultation) -> None:
    from portal.services.identity import resident_actor

    poll = polls.create_poll(session, actor=SYSTEM, consultation_id=c.id, title="长者食堂晚餐时间", questions=[  # type: ignore[arg-type]
        polls.QuestionDraft("晚餐希望几点开始供应？", PollKind.SINGLE, ["16:30", "17:00", "17:30"]),
        polls.QuestionDraft("请给这几项改进排序（最希望先做的排第一）", PollKind.RANKING,
                            ["增加软烂易嚼的菜", "送餐上门", "延长营业时间"]),
    ], closes_at=utcnow() + timedelta(hours=20))
    qs = polls.questions_of(session, poll.id)  # type: ignore[arg-type]
    people = list(session.exec(select(Resident).where(Resident.community_id == c.community_id,
                                                      col(Resident.age_band).in_(["60-69", "70-79", "80+"]))
                               .order_by(col(Resident.id)).limit(40)))
    for r in people:
        order = [0, 1, 2]
        rng.shuffle(order)
        polls.answer_poll(session, actor=resident_actor(session, r), poll_id=poll.id,  # type: ignore[arg-type]
                          answers={qs[0].id: [rng.choice([0, 1, 1, 2])], qs[1].id: order})  # type: ignore[dict-item]


def add_demo_decisions(engine: Engine, *, seed: int = 2026) -> str:
    """The polls and the owners' vote described above; returns a summary line."""
    rng = random.Random(seed)

    def work(session: Session) -> str:
        clerk = session.exec(select(CommitteeUser).where(CommitteeUser.role == Role.CLERK)
                             .order_by(col(CommitteeUser.id))).first()
        assert clerk is not None
        lift = lift_consultation(session)
        canteen = session.exec(select(Consultation).where(Consultation.phase == Phase.COLLECTING)
                               .order_by(col(Consultation.id))).first()
        parts = []
        if lift is not None:
            n = _lift_poll(session, rng, lift, clerk)
            outcome = _lift_vote(session, rng, lift, clerk)
            parts.append(f"“{lift.title}”有一份问卷（{n} 份答卷）和一次业主表决（{outcome}）")
        if canteen is not None:
            _canteen_poll(session, rng, canteen)
            parts.append(f"“{canteen.title}”有一份 20 小时后截止的问卷")
        return "；".join(parts) + "。" if parts else ""

    return unit_of_work(engine, work)
