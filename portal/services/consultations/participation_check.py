"""Who took part, against the roster: by building (area) and by age band.

A participant is a resident who wrote an opinion (on the web or through a clerk) or voted on one
of the consultation's opinions. A group is flagged as under-represented when its share of the
participants is below half its share of the roster, so staff know where to knock on doors
before collecting ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal.models import Area, Consultation, Opinion, Resident
from portal.services import participants, tenancy
from portal.services.actors import Actor
from portal.services.consultations import consultation_area_ids
from portal.services.errors import InvalidInput
from portal.services.identity.age_bands import age_band_order, reporting_age_band

UNDER_REPRESENTED_RATIO = 0.5
DIMENSIONS = {"area": "楼栋", "grid": "网格", "age_band": "年龄段"}
UNKNOWN_AGE = "未登记"


@dataclass(frozen=True)
class GroupParticipation:
    group: str
    roster: int  # residents on the roster in this group
    participants: int  # of them, how many took part
    roster_share: float
    participant_share: float
    rate: float  # participants / roster
    under_represented: bool


@dataclass(frozen=True)
class ParticipationCheck:
    dimension: str
    label: str
    total_roster: int
    total_participants: int
    groups: list[GroupParticipation]
    unmatched: int  # opinions from offline channels with no resident attached (not in the figures)

    @property
    def flagged(self) -> list[GroupParticipation]:
        return [g for g in self.groups if g.under_represented]


def check_participation(
    session: Session, *, actor: Actor, consultation_id: int, dimension: str = "area"
) -> ParticipationCheck:
    """Participation by group against the roster (limited to the consultation's areas if set)."""
    c = tenancy.consultation_for(session, actor, consultation_id, "view_committee", write=False)
    return participation_of(session, c, dimension)


def participation_of(session: Session, c: Consultation, dimension: str = "area") -> ParticipationCheck:
    """The figures of ``check_participation`` for a consultation the caller has already checked
    the actor may read (the street's view reads them too): counts per group, no resident."""
    if dimension not in DIMENSIONS:
        raise InvalidInput("请选择按楼栋、网格或年龄段查看。")
    assert c.id is not None
    consultation_id = c.id
    stmt = (select(Resident.id, Resident.age_band, Area.name, Area.grid, Area.position)  # type: ignore[call-overload]
            .join(Area, col(Area.id) == col(Resident.area_id))
            .where(Resident.community_id == c.community_id, col(Resident.active).is_(True)))
    area_ids = consultation_area_ids(session, consultation_id)
    if area_ids:
        stmt = stmt.where(col(Resident.area_id).in_(area_ids))
    roster = session.exec(stmt).all()
    took_part = participants.of_consultation(session, consultation_id)
    order: dict[str, tuple] = {}
    by_group: dict[str, list[int]] = {}
    for rid, band, area_name, grid, position in roster:
        if dimension == "area":
            group, key = area_name, (position, area_name)
        elif dimension == "grid":
            group, key = grid or "未分网格", (position, grid)
        else:
            group = reporting_age_band(band or "") or UNKNOWN_AGE
            key = age_band_order(group)
        order.setdefault(group, key)
        counts = by_group.setdefault(group, [0, 0])
        counts[0] += 1
        counts[1] += rid in took_part
    total_roster = sum(v[0] for v in by_group.values())
    total_part = sum(v[1] for v in by_group.values())
    groups = []
    for group in sorted(by_group, key=lambda g: order[g]):
        n_roster, n_part = by_group[group]
        roster_share = n_roster / total_roster if total_roster else 0.0
        part_share = n_part / total_part if total_part else 0.0
        groups.append(GroupParticipation(
            group, n_roster, n_part, roster_share, part_share,
            n_part / n_roster if n_roster else 0.0,
            under_represented=total_part > 0 and part_share < UNDER_REPRESENTED_RATIO * roster_share,
        ))
    unmatched = len(session.exec(
        select(Opinion.id).where(Opinion.consultation_id == consultation_id,
                                 col(Opinion.resident_id).is_(None))
    ).all())
    return ParticipationCheck(dimension, DIMENSIONS[dimension], total_roster, total_part, groups,
                              unmatched)
