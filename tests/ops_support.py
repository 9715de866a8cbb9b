"""A small neighbourhood for the committee-operations tests: built with the services, no demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from portal.models import Area, Community, Consultation, Phase, Resident, Role
from portal.services.actors import CommitteeActor, SystemActor
from tests import factories

SYSTEM = SystemActor("test")
TODAY = date(2026, 5, 20)


@dataclass
class Hood:
    community: Community
    areas: list[Area]
    residents: list[Resident]
    admin: CommitteeActor
    reviewer: CommitteeActor
    clerk: CommitteeActor
    collecting: Consultation
    draft: Consultation


PASSWORD = factories.PASSWORD


def build_hood(session: Session) -> Hood:
    """梧桐里社区: 3 buildings in 2 grids, 4 residents each, a draft and a collecting consultation."""
    community = factories.community(session, district="临江区")
    areas = factories.buildings(session, community, [("1号楼", "第一网格"), ("2号楼", "第一网格"),
                                                     ("3号楼", "第二网格")], numbered=True)
    residents = factories.residents(session, community, areas, 4, age_bands=["30-44", "45-59", "60-69", "80+"],
                                    units=2, per_area=True)
    actors = factories.staff(session, community, [(Role.ADMIN, "wang", "王主任"), (Role.REVIEWER, "li", "李委员"),
                                                  (Role.CLERK, "zhang", "张社工")])
    from portal.services.consultations import closes_at_for, opens_at_for

    collecting = factories.consultation(
        session, community, title="楼道堆物清理", question="您对楼道堆物清理有什么建议？",
        phase=Phase.COLLECTING, opens_at=opens_at_for(TODAY - timedelta(days=10)),
        # closes after the real today, so collection is still open whenever the suite runs
        closes_at=closes_at_for(max(TODAY, date.today()) + timedelta(days=20)))
    draft = factories.consultation(session, community, title="小区绿化改造", question="绿化怎么改？",
                                   phase=Phase.DRAFT)
    session.commit()
    return Hood(community, areas, residents, actors[Role.ADMIN], actors[Role.REVIEWER],
                actors[Role.CLERK], collecting, draft)
