"""A small neighbourhood for the committee-operations tests: built with the services, no demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlmodel import Session

from portal.models import Area, CommitteeUser, Community, Consultation, Phase, Resident, Role
from portal.services.actors import CommitteeActor, SystemActor
from portal.services.identity import committee_actor
from portal.services.identity.accounts import _hasher

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


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return _hasher.hash(PASSWORD)  # argon2 is slow on purpose: hash once per test process


PASSWORD = "Passw0rd2026"


def build_hood(session: Session, *, with_accounts: bool = True) -> Hood:
    """梧桐里社区: 3 buildings in 2 grids, 4 residents each, a draft and a collecting consultation."""
    community = Community(name="梧桐里社区", district="临江区")
    session.add(community)
    session.flush()
    areas = [Area(community_id=community.id, name=name, grid=grid, position=i)
             for i, (name, grid) in enumerate([("1号楼", "第一网格"), ("2号楼", "第一网格"),
                                               ("3号楼", "第二网格")])]
    session.add_all(areas)
    session.flush()
    bands = ["30-44", "45-59", "60-69", "80+"]
    residents = [Resident(community_id=community.id, area_id=a.id, unit=f"{i % 2 + 1}单元",
                          age_band=bands[i], household_ref=f"{a.name}-{i + 1:02d}")
                 for a in areas for i in range(4)]
    session.add_all(residents)
    actors = {}
    for username, role, name in [("wang", Role.ADMIN, "王主任"), ("li", Role.REVIEWER, "李委员"),
                                 ("zhang", Role.CLERK, "张社工")]:
        user = CommitteeUser(username=username, role=role, display_name=name,
                             password_hash=_password_hash(), community_id=community.id)
        session.add(user)
        session.flush()
        actors[role] = committee_actor(user)
    from portal.services.consultations import closes_at_for, opens_at_for

    collecting = Consultation(
        community_id=community.id, title="楼道堆物清理", question="您对楼道堆物清理有什么建议？",
        phase=Phase.COLLECTING, opens_at=opens_at_for(TODAY - timedelta(days=10)),
        # closes after the real today, so collection is still open whenever the suite runs
        closes_at=closes_at_for(max(TODAY, date.today()) + timedelta(days=20)))
    draft = Consultation(community_id=community.id, title="小区绿化改造", question="绿化怎么改？",
                         phase=Phase.DRAFT)
    session.add_all([collecting, draft])
    session.commit()
    return Hood(community, areas, residents, actors[Role.ADMIN], actors[Role.REVIEWER],
                actors[Role.CLERK], collecting, draft)
