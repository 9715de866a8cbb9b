"""Who took part, by building and age band, against the roster."""

import pytest

from portal.models import Channel, ConsultationArea, VoteValue
from portal.services.consultations.participation_check import check_participation
from portal.services.errors import PermissionDenied
from tests import factories
from tests.ops_support import build_hood


@pytest.fixture
def hood(session):
    h = build_hood(session)
    # 1号楼: all four take part; 2号楼: one; 3号楼: nobody
    r = h.residents
    op = factories.opinion(session, h.collecting, r[0], "楼道里别再堆放纸箱了。")
    factories.opinion(session, h.collecting, r[4], "希望物业每个月定期清理一次楼道杂物。", channel=Channel.PAPER)
    factories.opinion(session, h.collecting, None, "热线反映三单元楼道堆物问题很严重。", channel=Channel.HOTLINE)
    for voter in r[1:4]:
        factories.vote(session, op, voter, VoteValue.AGREE)
    session.commit()
    return h


def test_by_building_flags_buildings_that_lag(session, hood):
    check = check_participation(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                                dimension="area")
    rows = {g.group: (g.roster, g.participants, g.under_represented) for g in check.groups}
    # 2号楼 has 1/5 of the participants against 1/3 of the roster: low, but not below half
    assert rows == {"1号楼": (4, 4, False), "2号楼": (4, 1, False), "3号楼": (4, 0, True)}
    assert check.total_participants == 5 and check.total_roster == 12
    assert check.unmatched == 1  # the hotline opinion with no resident
    assert [g.group for g in check.flagged] == ["3号楼"]


def test_by_age_band_in_age_order(session, hood):
    check = check_participation(session, actor=hood.reviewer, consultation_id=hood.collecting.id,
                                dimension="age_band")
    assert [g.group for g in check.groups] == ["30-44", "45-59", "60-69", "80+"]
    # each building has one resident per band; 1号楼's four plus 2号楼's first (30-44)
    assert [g.participants for g in check.groups] == [2, 1, 1, 1]
    assert not any(g.under_represented for g in check.groups)


def test_limited_to_the_consultation_areas(session, hood):
    session.add(ConsultationArea(consultation_id=hood.collecting.id, area_id=hood.areas[1].id))
    session.add(ConsultationArea(consultation_id=hood.collecting.id, area_id=hood.areas[2].id))
    session.commit()
    check = check_participation(session, actor=hood.admin, consultation_id=hood.collecting.id)
    assert [g.group for g in check.groups] == ["2号楼", "3号楼"]
    assert check.total_participants == 1
    assert [g.group for g in check.flagged] == ["3号楼"]


def test_nobody_yet_flags_nothing(session, hood):
    check = check_participation(session, actor=hood.admin, consultation_id=hood.draft.id)
    assert check.total_participants == 0 and check.flagged == []


def test_residents_cannot_see_the_check(session, hood):
    from portal.services.identity import resident_actor

    with pytest.raises(PermissionDenied):
        check_participation(session, actor=resident_actor(session, hood.residents[0]),
                            consultation_id=hood.collecting.id)


def test_chart_marks_lagging_groups(session, hood):
    from portal.charts import participation_chart

    check = check_participation(session, actor=hood.admin, consultation_id=hood.collecting.id)
    spec = participation_chart(check.groups, group_title="楼栋").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {(v["分组"], v["状态"]) for v in values} == {("1号楼", "正常"), ("2号楼", "正常"),
                                                       ("3号楼", "参与偏少")}
