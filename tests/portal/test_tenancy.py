"""Communities are tenants (decision 0025): the role × community × action matrix.

The world is the committee-actions world (梧桐里社区, every committee action with one valid call)
plus a second community of the same street (银杏苑社区) with its own staff, a street admin of
that street, and a street admin of another street. Every committee action aimed at 梧桐里's rows
is tried by 银杏苑's staff holding the right role, and by both street admins: each is refused
with a Chinese message and changes nothing. The few actions that name no community act on the
actor's own and are checked not to reach 梧桐里. New actions added to the catalogue
(tests/portal/committee_actions.py) join this matrix by themselves.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from portal.models import CommitteeUser, Community, Consultation, Phase, Resident, Role, Street
from portal.services import tenancy
from portal.services.actors import PERMISSIONS, CommitteeActor, ResidentActor, SystemActor
from portal.services.errors import NotFound, PermissionDenied, SignInFailed
from portal.services.identity import authenticate, create_user, get_committee_actor, issue_code
from tests import factories
from tests.portal.committee_actions import (  # noqa: F401  (fixtures)
    ACTIONS,
    CommitteeAction,
    World,
    audit_rows,
    dump,
    world,
    world_template,
)
from tests.support_faults import use_keyword_model

# Actions that name no community: they work on the actor's own one (checked separately below).
OWN_COMMUNITY = {"identity.create_user", "identity.list_users", "dashboard.committee_dashboard",
                 "notifications.outbox_status", "paper.print_door_to_door", "audit_log.audit_lines"}
PASSWORD = "Yinxing2026"


@dataclasses.dataclass
class Street2:
    world: World
    other: dict[Role, CommitteeActor]  # 银杏苑's staff
    other_id: int
    street_admin: CommitteeActor  # 清河街道: both communities
    stranger: CommitteeActor  # 北湖街道's admin: neither
    other_resident: ResidentActor


@pytest.fixture
def street(world) -> Street2:  # noqa: F811
    with Session(world.engine, expire_on_commit=False) as s:
        qinghe = tenancy.ensure_street(s, "清河街道", district="临江区")
        beihu = tenancy.ensure_street(s, "北湖街道", district="临江区")
        home = s.get(Community, world.community_id)
        home.street_id = qinghe.id
        s.add(home)
        other = Community(name="银杏苑社区", street_id=qinghe.id)
        s.add(other)
        s.flush()
        building = factories.buildings(s, other, [("1幢", "第一网格")])[0]
        residents = factories.residents(s, other, [building], 3, age_bands=["30-44"])
        staff = {role: create_user(s, actor=SystemActor("setup"), username=f"yx_{role.value}", password=PASSWORD,
                                   role=role, display_name=f"银杏苑{role.label}", community_id=other.id)
                 for role in (Role.ADMIN, Role.REVIEWER, Role.CLERK)}
        create_user(s, actor=SystemActor("setup"), username="street", password=PASSWORD,
                    role=Role.STREET_ADMIN, street_id=qinghe.id)
        create_user(s, actor=SystemActor("setup"), username="beihu", password=PASSWORD,
                    role=Role.STREET_ADMIN, street_id=beihu.id)
        s.commit()
        actors = {role: get_committee_actor(s, u.id) for role, u in staff.items()}
        street_admin = authenticate(s, username="street", password=PASSWORD)
        stranger = authenticate(s, username="beihu", password=PASSWORD)
        s.commit()
        resident = ResidentActor(resident_id=residents[0].id, community_id=other.id, area_id=building.id,
                                 area_name="1幢", grid="第一网格")
        return Street2(world, actors, other.id, street_admin, stranger, resident)


def _outsider(street: Street2, action: CommitteeAction) -> CommitteeActor | None:
    """银杏苑's staff member whose role holds the action's permission (None: no community role does)."""
    for role in (Role.ADMIN, Role.REVIEWER, Role.CLERK):
        if role in PERMISSIONS[action.permission]:
            return street.other[role]
    return None


@pytest.fixture
def keyword_model(monkeypatch):
    use_keyword_model(monkeypatch)


def _refused(engine, action: CommitteeAction, w: World, actor: Any) -> str:
    before = dump(engine)
    with Session(engine, expire_on_commit=False) as s, pytest.raises(PermissionDenied) as denied:
        action.perform(s, w, actor)
    assert dump(engine) == before, f"refused {action.id} still changed data"
    message = str(denied.value)
    assert message.endswith("。") and any("\u4e00" <= ch <= "\u9fff" for ch in message)
    return message


CROSSING = [a for a in ACTIONS if a.name not in OWN_COMMUNITY and a.permission != "view_street"]


@pytest.mark.parametrize("action", CROSSING, ids=[a.id for a in CROSSING])
def test_staff_of_another_community_cannot_reach_this_one(street, keyword_model, action):
    actor = _outsider(street, action)
    assert actor is not None
    message = _refused(street.world.engine, action, street.world, actor)
    assert message == tenancy.OTHER_COMMUNITY


@pytest.mark.parametrize("who", ["street_admin", "stranger"])
@pytest.mark.parametrize("action", [a for a in ACTIONS if a.permission != "view_street"],
                         ids=[a.id for a in ACTIONS if a.permission != "view_street"])
def test_street_admins_change_and_open_nothing_inside_a_community(street, keyword_model, action, who):
    _refused(street.world.engine, action, street.world, getattr(street, who))


def test_the_own_community_actions_stay_in_the_actors_community(street):
    engine, w = street.world.engine, street.world
    with Session(engine) as s:
        home_users = s.exec(select(func.count()).select_from(CommitteeUser)
                            .where(CommitteeUser.community_id == w.community_id)).one()
    for name in sorted(OWN_COMMUNITY):
        action = next(a for a in ACTIONS if a.name == name)
        actor = _outsider(street, action)
        with Session(engine, expire_on_commit=False) as s:
            result = action.perform(s, w, actor)
        if name == "identity.list_users":
            assert {u.community_id for u in result} == {street.other_id}
        if name == "dashboard.committee_dashboard":
            assert result == []  # 银杏苑 has no consultation: none of 梧桐里's shows
        if name == "audit_log.audit_lines":  # none of 梧桐里's staff's or residents' events
            assert not any(line.who in {"王主任", "李委员", "张社工"} for line in result)
            assert not any("停车" in line.sentence for line in result)
        if name == "paper.print_door_to_door":
            assert result[1] == 0  # 梧桐里's paper notices are not 银杏苑's to print
        if name == "notifications.outbox_status":
            assert not result.failures and not any(result.counts.values())
    with Session(engine) as s:
        made = s.exec(select(CommitteeUser).where(CommitteeUser.username == "newclerk")).one()
        assert made.community_id == street.other_id
        assert s.exec(select(func.count()).select_from(CommitteeUser)
                      .where(CommitteeUser.community_id == w.community_id)).one() == home_users


def test_the_matrix_covers_every_action_and_every_role():
    """Every action of the catalogue is tried across the boundary by a role that holds it."""
    assert OWN_COMMUNITY <= {a.name for a in ACTIONS}
    for action in ACTIONS:
        if action.permission == "view_street":
            continue
        assert any(r in PERMISSIONS[action.permission] for r in (Role.ADMIN, Role.REVIEWER, Role.CLERK)), action.id


# ---------------------------------------------------------------- the street admin's view


def test_street_admin_sees_their_streets_communities_side_by_side(street):
    from portal.services.street import street_overview

    with Session(street.world.engine) as s:
        view = street_overview(s, actor=street.street_admin)
        assert view.street == "清河街道"
        rows = {r.name: r for r in view.rows}
        assert set(rows) == {"梧桐里社区", "银杏苑社区"}
        home = rows["梧桐里社区"]
        roster = s.exec(select(func.count()).select_from(Resident)
                        .where(Resident.community_id == street.world.community_id, Resident.active)).one()
        assert home.roster == roster and rows["银杏苑社区"].roster == 3
        assert home.n_open == 1 and rows["银杏苑社区"].n_open == 0
        assert 0 < home.participants_open <= home.roster
        assert home.n_unanswered >= 1  # the 研判中 consultation's themes, one answered
        assert "银杏苑社区" not in {r.name for r in street_overview(s, actor=street.stranger).rows}
        assert street_overview(s, actor=street.stranger).rows == []


def test_street_admin_reads_and_cannot_write_even_through_tenancy(street):
    sa_ = street.street_admin
    assert tenancy.can_reach(sa_, street.world.community_id, write=False)
    assert not tenancy.can_reach(sa_, street.world.community_id, write=True)
    with pytest.raises(PermissionDenied, match="街道管理员只能查看"):
        tenancy.require_for(sa_, street.world.community_id)
    with pytest.raises(PermissionDenied, match="其他社区"):
        tenancy.require_for(street.stranger, street.world.community_id, write=False)


def test_a_staff_account_without_community_is_told_so(street):
    lost = CommitteeActor(999, "lost", "无社区", Role.ADMIN)
    with Session(street.world.engine) as s, pytest.raises(PermissionDenied, match="还没有分配到社区"):
        tenancy.consultation_for(s, lost, street.world.rw.consultation_id)
    with Session(street.world.engine) as s, pytest.raises(Exception, match="多个社区"):
        create_user(s, actor=SystemActor("cli"), username="floating", password="Floating2026", role=Role.CLERK)


def test_a_community_admin_cannot_create_a_street_admin(street):
    with Session(street.world.engine) as s, pytest.raises(PermissionDenied, match="系统管理员"):
        create_user(s, actor=street.other[Role.ADMIN], username="sneaky", password="Sneaky2026",
                    role=Role.STREET_ADMIN, street_id=1)


# ---------------------------------------------------------------- residents


def test_a_resident_takes_part_only_in_their_own_community(street):
    from portal.services.participation.comments import add_comment, report
    from portal.services.participation.opinions import submit_opinion
    from portal.services.participation.votes import cast_vote

    w, me = street.world, street.other_resident
    before = dump(w.engine)
    with Session(w.engine) as s:
        with pytest.raises(NotFound, match="找不到"):
            submit_opinion(s, actor=me, consultation_id=w.consultations[Phase.COLLECTING],
                           text="银杏苑的居民想在梧桐里提意见，这不应该被接受")
        with pytest.raises(NotFound, match="其他社区"):
            cast_vote(s, actor=me, opinion_id=w.collecting_opinions[0], value="agree")
        with pytest.raises(NotFound, match="其他社区"):
            add_comment(s, actor=me, opinion_id=w.collecting_opinions[0], text="我不是这个小区的，也来说两句")
        with pytest.raises(NotFound, match="其他社区"):
            report(s, actor=me, target_type="opinion", target_id=w.collecting_opinions[0], reason="看着不顺眼")
    assert dump(w.engine) == before


def test_a_code_used_on_another_communitys_address_is_explained(street):
    from portal.services.identity import sign_in_with_code

    w = street.world
    with Session(w.engine, expire_on_commit=False) as s:
        code = issue_code(s, actor=SystemActor("cli"), resident_id=street.other_resident.resident_id)
        s.commit()
        with pytest.raises(SignInFailed) as refused:
            sign_in_with_code(s, code=code, throttle_key="t1", community_id=w.community_id)
        assert "银杏苑社区" in str(refused.value) and "梧桐里社区" in str(refused.value)
        assert "/?c=" in str(refused.value)
        s.rollback()
        signed = sign_in_with_code(s, code=code, throttle_key="t2", community_id=street.other_id)
        assert signed.community_id == street.other_id


def test_public_lists_filter_by_community(street):
    from portal.services.consultations import list_consultations
    from portal.services.publishing.accountability import accountability_items
    from portal.services.publishing.results import list_published

    w = street.world
    with Session(w.engine) as s:
        theirs = factories.consultation(s, s.get(Community, street.other_id), title="口袋公园改造",
                                        question="南侧绿地改成口袋公园，您希望有什么？")
        s.commit()
        mine = {c.id for c in list_consultations(s, community_id=w.community_id)}
        other = {c.id for c in list_consultations(s, community_id=street.other_id)}
        assert theirs.id in other and theirs.id not in mine and mine
        assert list_published(s, street.other_id) == []
        assert {c.community_id for c in list_published(s, w.community_id)} == {w.community_id}
        assert accountability_items(s, community_id=street.other_id) == []
        assert all(s.get(Consultation, i.consultation_id).community_id == w.community_id
                   for i in accountability_items(s, community_id=w.community_id))


def test_street_admin_signs_in_with_the_streets_communities(street):
    sa_ = street.street_admin
    assert sa_.role == Role.STREET_ADMIN and sa_.community_id is None
    with Session(street.world.engine) as s:
        assert s.exec(select(Street).where(Street.id == sa_.street_id)).one().name == "清河街道"
        ids = set(s.exec(select(Community.id).where(col(Community.street_id) == sa_.street_id)))
    assert sa_.street_community_ids == ids and len(ids) == 2
    assert (f"committee:{sa_.user_id}", "user.login") in audit_rows(street.world.engine)


# ---------------------------------------------------------------- the street admin reads one community


STREET_READS = [a for a in ACTIONS if a.permission == "view_street"]


@pytest.mark.parametrize("action", STREET_READS, ids=[a.id for a in STREET_READS])
def test_a_street_admin_reads_their_streets_communities_and_not_another_streets(street, action):
    w = street.world
    before = dump(w.engine)
    with Session(w.engine, expire_on_commit=False) as s:
        assert action.perform(s, w, street.street_admin) is not None
    assert dump(w.engine) == before  # reading changes nothing, not even the audit log
    if action.name in {"street.street_overview", "street.street_communities"}:
        return  # name no community: the stranger's own street (tested above and below)
    assert _refused(w.engine, action, w, street.stranger) == tenancy.OTHER_COMMUNITY


def test_the_street_admins_community_view_is_counts_and_public_text(street):
    from portal.services import street as street_view

    w = street.world
    with Session(w.engine) as s:
        assert [c.name for c in street_view.street_communities(s, actor=street.street_admin)] == \
            ["梧桐里社区", "银杏苑社区"]
        assert street_view.street_communities(s, actor=street.stranger) == []
        view = street_view.community_view(s, actor=street.street_admin, community_id=w.community_id)
        assert view.name == "梧桐里社区" and {r.id for r in view.consultations} == set(w.consultations.values())
        assert all(not r.todo for r in view.consultations)  # no links to pages that change things
        themes = street_view.community_themes(s, actor=street.street_admin, consultation_id=w.rw.consultation_id)
        answered = next(t for t in themes if t.id == w.answered_theme)
        assert answered.answer.reasoning == "在3号楼旁新建集中充电棚" and answered.answer.responsible_party == "物业公司"
        assert all(not t.representatives for t in themes)  # no opinion text
        check = street_view.community_participation(s, actor=street.street_admin,
                                                    consultation_id=w.rw.consultation_id, dimension="age_band")
        assert check.total_participants > 0 and check.groups
        other = street_view.community_view(s, actor=street.street_admin, community_id=street.other_id)
        assert other.name == "银杏苑社区" and other.roster == 3 and other.consultations == []


GATES = {  # each gate of tenancy, aimed at one of 梧桐里's rows
    "require_for": lambda s, w, a, write: tenancy.require_for(a, w.community_id, write=write),
    "consultation_for": lambda s, w, a, write: tenancy.consultation_for(s, a, w.rw.consultation_id, write=write),
    "theme_for": lambda s, w, a, write: tenancy.theme_for(s, a, w.rw.themes["车位不足"], write=write),
    "opinion_for": lambda s, w, a, write: tenancy.opinion_for(s, a, w.collecting_opinions[0], write=write),
    "resident_for": lambda s, w, a, write: tenancy.resident_for(s, a, w.residents[0], write=write),
    "user_for": lambda s, w, a, write: tenancy.user_for(s, a, w.committee[Role.CLERK].user_id),
}


@pytest.mark.parametrize("gate", list(GATES))
def test_every_tenancy_gate_refuses_a_street_admin_a_write(street, gate):
    w = street.world
    with Session(w.engine) as s:
        with pytest.raises(PermissionDenied) as own:
            GATES[gate](s, w, street.street_admin, True)
        assert str(own.value) == tenancy.STREET_READ_ONLY
        with pytest.raises(PermissionDenied) as foreign:
            GATES[gate](s, w, street.stranger, True)
        assert str(foreign.value) == tenancy.OTHER_COMMUNITY
        if gate != "user_for":  # accounts are managed (written), never only read
            GATES[gate](s, w, street.street_admin, False)
            with pytest.raises(PermissionDenied, match="其他社区"):
                GATES[gate](s, w, street.stranger, False)
    with Session(w.engine) as s:  # nor in their own street's other community
        with pytest.raises(PermissionDenied, match="街道管理员只能查看"):
            tenancy.require_for(street.street_admin, street.other_id)
        with pytest.raises(PermissionDenied, match="其他社区"):
            tenancy.require_for(street.stranger, street.other_id)


# An export changes nothing: it is audited because it takes residents' words out, and it is a
# read for tenancy; the street role does not hold export_data (the matrix above).
WRITES = [a for a in ACTIONS if a.changes_data and a.name != "exports.export_tables"]


@pytest.mark.parametrize("action", WRITES, ids=[a.id for a in WRITES])
def test_a_street_admin_holding_every_permission_would_still_change_nothing(street, keyword_model, monkeypatch,
                                                                             action):
    """The second lock: were the street role ever given a staff permission by mistake, every
    service that changes a community's data still asks tenancy for a write, which refuses."""
    from portal.services.errors import InvalidInput

    for permission, roles in PERMISSIONS.items():
        monkeypatch.setitem(PERMISSIONS, permission, roles | {Role.STREET_ADMIN})
    engine, w = street.world.engine, street.world
    before = dump(engine)
    with Session(engine, expire_on_commit=False) as s, pytest.raises((PermissionDenied, InvalidInput)) as refused:
        action.perform(s, w, street.street_admin)
    assert dump(engine) == before
    # a new account names no community: a street admin has none of their own to put it in
    assert str(refused.value) in {tenancy.STREET_READ_ONLY, "这里有多个社区，请指明是哪一个社区。"}, str(refused.value)
