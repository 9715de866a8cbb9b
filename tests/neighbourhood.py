"""A small neighbourhood for resident-side tests, built without the analysis pipeline.

Two buildings, eight residents, one consultation in each phase that matters to residents,
a few opinions written by neighbours, a comment thread, a hidden opinion, and a published
consultation whose theme has a committee answer and a status timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from portal.models import (
    AssignmentSource,
    CommitteeUser,
    Community,
    Consultation,
    Decision,
    Opinion,
    Phase,
    Resident,
    Role,
    ThemeStatus,
)
from portal.services.actors import ResidentActor
from portal.services.identity import resident_actor
from tests import factories
from tests.factories import days_from_now

NEIGHBOUR_OPINIONS = [
    "建议在小区东门附近增设电动自行车充电桩，现在很多人从楼上拉电线充电，太危险了。",
    "晚上地面停车位太少，外来车辆占了很多车位，希望实行业主车辆登记管理。",
    "楼道里堆放杂物的问题很严重，消防通道被堵住了，请物业定期清理。",
    "希望能把废弃的自行车棚改造成非机动车集中充电区，装上自动断电的插座。",
    "垃圾分类督导员只在早上值班，晚上垃圾桶总是满出来，建议延长值守时间。",
]


@dataclass
class Neighbourhood:
    community: Community
    collecting: Consultation
    reviewing: Consultation
    published: Consultation
    draft: Consultation
    residents: list[Resident]
    opinions: list[Opinion]  # the neighbours' opinions on the collecting consultation
    hidden: Opinion
    reviewer: CommitteeUser

    def actor(self, session: Session, index: int) -> ResidentActor:
        return resident_actor(session, self.residents[index])


def _at(days_ago: float) -> datetime:
    return days_from_now(-days_ago)


def build_neighbourhood(session: Session) -> Neighbourhood:
    community = factories.community(session, district="静安区")
    east, west = factories.buildings(session, community, [("3号楼", "第一网格"), ("7号楼", "第二网格")])
    residents = factories.residents(session, community, [east, west], 8, age_bands=["45-59"], units=3)
    reviewer_actor = factories.staff(session, community, [(Role.REVIEWER, "reviewer", "李委员")])[Role.REVIEWER]
    reviewer = session.get(CommitteeUser, reviewer_actor.user_id)

    def consultation(title: str, phase: Phase, question: str) -> Consultation:
        return factories.consultation(session, community, title=title, question=question, phase=phase,
                                      background="居委会收集大家的想法，整理后统一回应。",
                                      opens_at=_at(10), closes_at=_at(-20))

    collecting = consultation("停车难与非机动车充电", Phase.COLLECTING, "您对小区停车和电动车充电有什么建议？")
    reviewing = consultation("楼道环境整治", Phase.REVIEWING, "楼道环境还有哪些问题？")
    published = consultation("加装电梯", Phase.PUBLISHED, "您对老楼加装电梯有什么意见？")
    draft = consultation("社区食堂", Phase.DRAFT, "您希望社区食堂提供哪些服务？")

    def opinion(c: Consultation, author: Resident, text: str, days_ago: float, hidden: str = "") -> Opinion:
        return factories.opinion(session, c, author, text, received_at=_at(days_ago), created_at=_at(days_ago),
                                 hidden=hidden)

    # Residents 1..5 wrote the neighbours' opinions; resident 0 is the one the tests act as.
    opinions = [opinion(collecting, residents[i + 1], text, 5 - i * 0.5)
                for i, text in enumerate(NEIGHBOUR_OPINIONS)]
    hidden = opinion(collecting, residents[6], "物业的人都是骗子，全都滚出去！", 3, hidden="含有人身攻击")
    opinion(reviewing, residents[2], "三楼楼道的灯坏了一个多月了，晚上上下楼很不方便。", 8)

    top = factories.comment(session, opinions[0], residents[3], "同意，我们楼也有人飞线充电。", created_at=_at(2))
    factories.comment(session, opinions[0], residents[4], "充电桩最好带计费和断电保护。", parent=top,
                      created_at=_at(1.5))
    factories.comment(session, opinions[0], residents[5], "这条留言违规了", hidden=True, created_at=_at(1))

    # Resident 0's own opinion on the published consultation, answered by the committee.
    mine = opinion(published, residents[0], "希望加装电梯时照顾一楼住户的采光，费用分摊要公开透明。", 30)
    theme = factories.theme(session, published, "费用分摊与低层住户", [mine], source=AssignmentSource.COMMITTEE,
                            curated=True)
    factories.answer(session, theme, Decision.PARTIAL, "按楼层分级分摊费用，并为一楼住户争取补偿。", "居委会与物业",
                     due_date=date(2026, 12, 31),
                     updates=[(ThemeStatus.ANSWERED, "已公布分摊方案草案", _at(10)),
                              (ThemeStatus.IN_PROGRESS, "正在征求各楼栋签字", _at(3))])
    session.commit()
    return Neighbourhood(community, collecting, reviewing, published, draft, residents, opinions,
                         hidden, reviewer)  # type: ignore[arg-type]


def neighbourhood_db(tmp_path, monkeypatch):
    """Generator for a page-test fixture: environment pointing at a fresh SQLite file holding
    the small neighbourhood; yields (engine, neighbourhood). Streamlit caches are cleared."""
    from tests.factories import seeded_app_database

    yield from seeded_app_database(tmp_path, monkeypatch, "hood.sqlite", build_neighbourhood)


def resident(engine, hood: Neighbourhood, index: int = 0) -> ResidentActor:
    with Session(engine) as session:
        return hood.actor(session, index)
