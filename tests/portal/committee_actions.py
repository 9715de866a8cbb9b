"""Every committee action of the services, each with one valid call.

Shared by the permission matrix (each role against each action), the audit-trail check (every
allowed action that changes something leaves an audit event naming its actor) and the
completeness check (a service function that calls ``require(actor, ...)`` but is missing here
fails the suite, so a new committee action cannot slip in untested).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from portal.models import (
    AuditEvent,
    Channel,
    Community,
    Consultation,
    Decision,
    Opinion,
    OwnerChoice,
    Phase,
    PollKind,
    Report,
    ReportTarget,
    Resident,
    Role,
    ThemeStatus,
    Visibility,
    VoteMatter,
)
from portal.services import (
    audit_log,
    consultations,
    decisions,
    identity,
    notifications,
    review,
    street,
)
from portal.services.actors import SystemActor
from portal.services.consultations import dashboard, participation_check
from portal.services.identity import roster
from portal.services.notifications import paper
from portal.services.participation import moderation, offline
from portal.services.publishing import exports
from portal.services.review import runs as analysis_runs
from tests import factories
from tests.portal import review_world

COLLECTING_OPINIONS = [
    "希望尽快加装电梯，老人上下楼太辛苦了",
    "加装电梯的费用分摊要公开透明",
    "小区停车位太少，晚上回来根本没地方停",
    "建议把地面停车位重新划线，多出一些车位",
    "社区食堂的菜能不能少油少盐",
    "楼道里堆放杂物，存在消防隐患",
]


@dataclass
class World:
    """review_world's 停车难 consultation (研判中, themes, votes) plus one consultation in each
    other phase, a hidden opinion, a reported opinion and an answered theme."""

    engine: Engine
    rw: review_world.World
    community_id: int
    area_id: int
    residents: list[int]
    consultations: dict[Phase, int]
    collecting_opinions: list[int]
    hidden_opinion: int
    reported_opinion: int
    answered_theme: int
    committee: dict[Role, Any]
    poll_id: int = 0  # a poll of the collecting consultation
    owners_vote_id: int = 0  # an owners' vote over three owner households of ``area_id``
    households: tuple[int, ...] = ()


def build_world(engine: Engine) -> World:
    with Session(engine, expire_on_commit=False) as s:
        rw = review_world.build_world(s)
        reviewing = s.get(Consultation, rw.consultation_id)
        hood = s.get(Community, reviewing.community_id)
        first = s.get(Opinion, rw.opinions["车位不足"][0])
        area_id = first.area_id
        by_phase = {Phase.REVIEWING: rw.consultation_id}
        for phase in (Phase.DRAFT, Phase.COLLECTING, Phase.PUBLISHED):
            by_phase[phase] = factories.consultation(s, hood, title=f"小区环境整治（{phase.label}）",
                                                     question="小区环境还有哪些要改进的地方？", phase=phase).id
        residents = [s.get(Resident, rid) for rid in rw.residents]
        collecting = [factories.opinion(s, by_phase[Phase.COLLECTING], residents[i % len(residents)], text).id
                      for i, text in enumerate(COLLECTING_OPINIONS)]
        hidden = s.get(Opinion, rw.opinions["外来车辆"][0])
        hidden.visibility = Visibility.HIDDEN
        hidden.moderation_reason = "含人身攻击"
        s.add(hidden)
        reported = rw.opinions["车位不足"][2]
        s.add(Report(target_type=ReportTarget.OPINION, target_id=reported,
                     consultation_id=rw.consultation_id, resident_id=rw.residents[1],
                     reason="泄露他人隐私"))
        s.commit()
        answered = rw.themes["电动车充电"]
        review.save_response(s, actor=SystemActor("setup"), theme_id=answered,
                             decision=Decision.ADOPT, reasoning="在3号楼旁新建集中充电棚",
                             responsible_party="物业公司", due_date=date(2027, 3, 31))
        s.commit()
        setup = SystemActor("setup")
        poll = decisions.create_poll(s, actor=setup, consultation_id=by_phase[Phase.COLLECTING],
                                     title="垃圾房改造方案", questions=[decisions.QuestionDraft(
                                         "垃圾房改到哪里？", PollKind.SINGLE, ["东门内侧", "3号楼北侧"])])
        households = tuple(
            decisions.set_owner_household(s, community_id=hood.id, area_id=area_id, unit="1单元",
                                          room=f"1-{floor}01", area_m2=Decimal("88.60"),
                                          owner_resident_id=None).id
            for floor in (1, 2, 3))
        owners_vote = decisions.create_owners_vote(
            s, actor=setup, consultation_id=by_phase[Phase.COLLECTING], title="垃圾房改为自行车棚",
            matter=VoteMatter.CHANGE_USE, area_id=area_id, unit="1单元")
        s.commit()
        return World(engine, rw, hood.id, area_id, list(rw.residents), by_phase, collecting,
                     hidden.id, reported, answered,
                     {Role.ADMIN: rw.admin, Role.REVIEWER: rw.reviewer, Role.CLERK: rw.clerk},
                     poll.id, owners_vote.id, households)


Perform = Callable[[Session, World, Any], Any]


@dataclass(frozen=True)
class CommitteeAction:
    name: str  # module.function (what the completeness check looks for)
    permission: str
    perform: Perform  # one valid call; commits
    label: str = ""
    changes_data: bool = True  # False: a read, not audited (the reason is in the label)

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def _queue(s: Session, w: World, actor: Any) -> Any:
    """The 确认归类 queue; allowed roles are told to name a theme first (nothing named here)."""
    from portal.services.errors import InvalidInput

    try:
        return review.confirm_queue(s, actor=actor, consultation_id=w.rw.consultation_id)
    except InvalidInput:
        return None


def _first_question(s: Session, w: World) -> int:
    return decisions.questions_of(s, w.poll_id)[0].id  # type: ignore[return-value]


def _correct_paper_answer(s: Session, w: World, actor: Any) -> Any:
    """A paper answer typed by the setup, corrected by ``actor``."""
    entered = decisions.enter_paper_poll_answer(s, actor=SystemActor("setup"), poll_id=w.poll_id,
                                                answers={_first_question(s, w): [0]})
    return decisions.correct_paper_poll_answer(s, actor=actor, response_id=entered.response.id,
                                               answers={_first_question(s, w): [1]})


def _publish_owners_vote(s: Session, w: World, actor: Any) -> Any:
    """Nobody voted: the vote, ended by the setup, can only be published as not passed."""
    if decisions.get_owners_vote_card(s, vote_id=w.owners_vote_id).open:
        decisions.close_owners_vote(s, actor=SystemActor("setup"), vote_id=w.owners_vote_id)
    return decisions.publish_owners_vote(s, actor=actor, vote_id=w.owners_vote_id, as_passed=False)


def _commit(fn: Callable[[Session, World, Any], Any]) -> Perform:
    def perform(s: Session, w: World, actor: Any) -> Any:
        out = fn(s, w, actor)
        s.commit()
        return out

    return perform


ROSTER_CSV = "楼栋,单元,年龄段,户号\n3号楼,1单元,60-69,3-101\n3号楼,2单元,70-79,3-202\n".encode()
OFFLINE_CSV = ("意见内容,渠道,收到日期,楼栋\n"
               "楼下垃圾桶太少，夏天味道很大，希望增加几个,纸质,2026-11-20,3号楼\n").encode()
TODAY = date(2026, 11, 26)


def _phase(frm: Phase, to: Phase) -> Perform:
    return _commit(lambda s, w, a: consultations.change_phase(
        s, actor=a, consultation_id=w.consultations[frm], to=to))


ACTIONS: list[CommitteeAction] = [
    # accounts
    CommitteeAction("identity.create_user", "manage_users", _commit(lambda s, w, a: identity.create_user(
        s, actor=a, username="newclerk", password="Clerk2026x", role=Role.CLERK, display_name="新录入员"))),
    CommitteeAction("identity.reset_password", "manage_users", _commit(lambda s, w, a: identity.reset_password(
        s, actor=a, username=w.committee[Role.CLERK].username, password="NewPass2026"))),
    CommitteeAction("identity.set_user_active", "manage_users", _commit(lambda s, w, a: identity.set_user_active(
        s, actor=a, user_id=w.committee[Role.CLERK].user_id, active=False))),
    CommitteeAction("identity.change_role", "manage_users", _commit(lambda s, w, a: identity.change_role(
        s, actor=a, user_id=w.committee[Role.CLERK].user_id, role=Role.REVIEWER))),
    CommitteeAction("identity.list_users", "manage_users",
                    lambda s, w, a: identity.list_users(s, actor=a), "read", changes_data=False),
    # codes and roster
    CommitteeAction("identity.issue_code", "issue_codes", _commit(lambda s, w, a: identity.issue_code(
        s, actor=a, resident_id=w.residents[0]))),
    CommitteeAction("identity.revoke_codes", "issue_codes", _commit(lambda s, w, a: identity.revoke_codes(
        s, actor=a, resident_id=w.residents[0]))),
    CommitteeAction("roster.import_roster", "import_roster", _commit(lambda s, w, a: roster.import_roster(
        s, actor=a, data=ROSTER_CSV, filename="名册.csv", community_id=w.community_id))),
    CommitteeAction("roster.issue_codes", "issue_codes", _commit(lambda s, w, a: roster.issue_codes(
        s, actor=a, resident_ids=w.residents[:3]))),
    CommitteeAction("roster.deactivate_resident", "import_roster", _commit(
        lambda s, w, a: roster.deactivate_resident(s, actor=a, resident_id=w.residents[-1]))),
    CommitteeAction("roster.list_roster", "issue_codes", lambda s, w, a: roster.list_roster(
        s, actor=a, community_id=w.community_id), "read", changes_data=False),
    CommitteeAction("roster.resident_ids_for", "issue_codes", lambda s, w, a: roster.resident_ids_for(
        s, actor=a, community_id=w.community_id), "read", changes_data=False),
    # consultations
    CommitteeAction("consultations.create_consultation", "manage_consultation", _commit(
        lambda s, w, a: consultations.create_consultation(
            s, actor=a, community_id=w.community_id, today=TODAY,
            draft=consultations.ConsultationDraft(title="楼道杂物清理", question="楼道堆物怎么清理更好？")))),
    CommitteeAction("consultations.update_consultation", "manage_consultation", _commit(
        lambda s, w, a: consultations.update_consultation(
            s, actor=a, consultation_id=w.consultations[Phase.DRAFT],
            draft=consultations.ConsultationDraft(title="小区环境整治", question="您最想先改哪一处？")))),
    CommitteeAction("consultations.change_phase", "change_phase", _phase(Phase.DRAFT, Phase.COLLECTING), "open"),
    CommitteeAction("consultations.change_phase", "change_phase",
                    _phase(Phase.COLLECTING, Phase.REVIEWING), "close-collecting"),
    CommitteeAction("consultations.change_phase", "publish_results",
                    _phase(Phase.REVIEWING, Phase.PUBLISHED), "publish"),
    CommitteeAction("consultations.change_phase", "change_phase", _phase(Phase.PUBLISHED, Phase.CLOSED), "close"),
    # offline voices
    CommitteeAction("offline.enter_offline_opinion", "enter_offline", _commit(
        lambda s, w, a: offline.enter_offline_opinion(
            s, actor=a, consultation_id=w.consultations[Phase.COLLECTING], today=TODAY,
            item=offline.OfflineOpinion(text="三单元门口的路灯坏了一个多月，晚上很黑",
                                        channel=Channel.PHONE, received_on=TODAY)))),
    CommitteeAction("offline.import_offline_opinions", "enter_offline", _commit(
        lambda s, w, a: offline.import_offline_opinions(
            s, actor=a, consultation_id=w.consultations[Phase.COLLECTING], data=OFFLINE_CSV,
            filename="纸质意见.csv", today=TODAY))),
    CommitteeAction("offline.recent_offline", "enter_offline", lambda s, w, a: offline.recent_offline(
        s, actor=a, consultation_id=w.consultations[Phase.COLLECTING]), "read", changes_data=False),
    # moderation
    CommitteeAction("moderation.hide", "moderate", _commit(lambda s, w, a: moderation.hide(
        s, actor=a, target_type="opinion", target_id=w.rw.opinions["车位不足"][1], reason="与本议题无关的广告"))),
    CommitteeAction("moderation.restore", "moderate", _commit(lambda s, w, a: moderation.restore(
        s, actor=a, target_type="opinion", target_id=w.hidden_opinion, reason="复核后确认是正常意见"))),
    CommitteeAction("moderation.keep", "moderate", _commit(lambda s, w, a: moderation.keep(
        s, actor=a, target_type="opinion", target_id=w.reported_opinion, note="内容正常"))),
    CommitteeAction("moderation.handle_flood", "moderate", _commit(lambda s, w, a: moderation.handle_flood(
        s, actor=a, consultation_id=w.rw.consultation_id, hide_copies=True, reason="重复提交",
        opinion_ids=[w.rw.opinions["电动车充电"][i] for i in (0, 3, 4)]))),
    CommitteeAction("moderation.moderation_queue", "moderate", lambda s, w, a: moderation.moderation_queue(
        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    CommitteeAction("moderation.count_waiting", "moderate", lambda s, w, a: moderation.count_waiting(
        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    # analysis and themes
    CommitteeAction("analysis_runs.run_analysis", "run_analysis", lambda s, w, a: analysis_runs.run_analysis(
        w.engine, actor=a, consultation_id=w.consultations[Phase.COLLECTING])),
    CommitteeAction("review.rename_theme", "curate_themes", _commit(lambda s, w, a: review.rename_theme(
        s, actor=a, theme_id=w.rw.themes["车位不足"], label="停车位不够"))),
    CommitteeAction("review.name_theme", "curate_themes", _commit(lambda s, w, a: review.name_theme(
        s, actor=a, consultation_id=w.rw.consultation_id, label="门禁管理", keywords="门卫、外来车辆"))),
    CommitteeAction("review.set_seed_words", "curate_themes", _commit(lambda s, w, a: review.set_seed_words(
        s, actor=a, theme_id=w.rw.themes["车位不足"], keywords="车位、停车位、停车难"))),
    CommitteeAction("review.answer_opinion", "curate_themes", _commit(lambda s, w, a: review.answer_opinion(
        s, actor=a, opinion_id=w.rw.opinions["外来车辆"][0], theme_id=w.rw.themes["车位不足"], belongs=True))),
    CommitteeAction("review.confirm_queue", "curate_themes", _queue, "read", changes_data=False),
    CommitteeAction("review.save_summary", "curate_themes", _commit(lambda s, w, a: review.save_summary(
        s, actor=a, theme_id=w.rw.themes["车位不足"], text="车位不够，晚上回来没地方停。", reviewed=True))),
    CommitteeAction("review.set_priority", "curate_themes", _commit(lambda s, w, a: review.set_priority(
        s, actor=a, theme_id=w.rw.themes["车位不足"], priority=True))),
    CommitteeAction("review.merge_themes", "curate_themes", _commit(lambda s, w, a: review.merge_themes(
        s, actor=a, theme_ids=[w.rw.themes["车位不足"], w.rw.themes["外来车辆"]],
        into_id=w.rw.themes["车位不足"]))),
    CommitteeAction("review.move_opinions", "curate_themes", _commit(lambda s, w, a: review.move_opinions(
        s, actor=a, opinion_ids=w.rw.opinions["其他"], to_theme_id=w.rw.themes["车位不足"]))),
    CommitteeAction("review.split_theme", "curate_themes", _commit(lambda s, w, a: review.split_theme(
        s, actor=a, theme_id=w.rw.themes["车位不足"], opinion_ids=w.rw.opinions["车位不足"][1:],
        label="车位分配规则"))),
    CommitteeAction("review.save_response", "answer_themes", _commit(lambda s, w, a: review.save_response(
        s, actor=a, theme_id=w.rw.themes["车位不足"], decision=Decision.PARTIAL,
        reasoning="东门空地先改临时车位，摇号规则下月公示", responsible_party="物业公司",
        due_date=date(2027, 1, 31)))),
    CommitteeAction("review.add_status_update", "answer_themes", _commit(lambda s, w, a: review.add_status_update(
        s, actor=a, theme_id=w.answered_theme, status=ThemeStatus.IN_PROGRESS, note="充电棚已开工"))),
    CommitteeAction("review.publish_results", "publish_results", _commit(lambda s, w, a: review.publish_results(
        s, actor=a, consultation_id=w.rw.consultation_id, confirm_unanswered=True,
        confirm_unreviewed=True))),
    CommitteeAction("review.theme_overview", "view_committee", lambda s, w, a: review.theme_overview(
        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    CommitteeAction("review.theme_detail", "view_committee", lambda s, w, a: review.theme_detail(
        s, actor=a, theme_id=w.rw.themes["车位不足"]), "read", changes_data=False),
    CommitteeAction("review.publish_check", "view_committee", lambda s, w, a: review.publish_check(
        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    CommitteeAction("dashboard.committee_dashboard", "view_committee", lambda s, w, a: dashboard.committee_dashboard(
        s, actor=a), "read", changes_data=False),
    CommitteeAction("audit_log.audit_lines", "view_audit", lambda s, w, a: audit_log.audit_lines(
        s, actor=a), "read", changes_data=False),
    # reports and exports
    CommitteeAction("participation_check.check_participation", "view_committee",
                    lambda s, w, a: participation_check.check_participation(
                        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    # the street's view: 街道管理员 only (decision 0025)
    CommitteeAction("street.street_overview", "view_street", lambda s, w, a: street.street_overview(
        s, actor=a), "read", changes_data=False),
    CommitteeAction("street.street_communities", "view_street", lambda s, w, a: street.street_communities(
        s, actor=a), "read", changes_data=False),
    CommitteeAction("street.community_view", "view_street", lambda s, w, a: street.community_view(
        s, actor=a, community_id=w.community_id), "read", changes_data=False),
    CommitteeAction("street.community_participation", "view_street", lambda s, w, a: street.community_participation(
        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    CommitteeAction("street.community_themes", "view_street", lambda s, w, a: street.community_themes(
        s, actor=a, consultation_id=w.rw.consultation_id), "read", changes_data=False),
    # An export takes residents' words out of the system: audited although it changes nothing.
    CommitteeAction("exports.export_tables", "export_data", _commit(lambda s, w, a: exports.export_tables(
        s, actor=a, consultation_id=w.rw.consultation_id))),
    # polls and owners' votes
    CommitteeAction("polls.create_poll", "manage_decisions", _commit(lambda s, w, a: decisions.create_poll(
        s, actor=a, consultation_id=w.consultations[Phase.COLLECTING], title="长者食堂开放时间",
        questions=[decisions.QuestionDraft("晚餐开放到几点？", PollKind.SINGLE, ["18:00", "19:00"])]))),
    CommitteeAction("polls.enter_paper_poll_answer", "enter_offline", _commit(
        lambda s, w, a: decisions.enter_paper_poll_answer(
            s, actor=a, poll_id=w.poll_id, answers={_first_question(s, w): [1]}, resident_id=w.residents[0]))),
    CommitteeAction("polls.correct_paper_poll_answer", "enter_offline", _commit(_correct_paper_answer)),
    CommitteeAction("polls.paper_answers", "enter_offline", lambda s, w, a: decisions.paper_answers(
        s, actor=a, poll_id=w.poll_id), "read", changes_data=False),
    CommitteeAction("polls.close_poll", "manage_decisions", _commit(lambda s, w, a: decisions.close_poll(
        s, actor=a, poll_id=w.poll_id))),
    CommitteeAction("owners.create_owners_vote", "manage_decisions", _commit(
        lambda s, w, a: decisions.create_owners_vote(
            s, actor=a, consultation_id=w.consultations[Phase.COLLECTING], title="楼道加装声控灯",
            matter=VoteMatter.OTHER, area_id=w.area_id))),
    CommitteeAction("owners.register_proxy", "import_roster", _commit(lambda s, w, a: decisions.register_proxy(
        s, actor=a, household_id=w.households[0], resident_id=w.residents[1]))),
    CommitteeAction("owners.enter_paper_owner_ballot", "enter_offline", _commit(
        lambda s, w, a: decisions.enter_paper_owner_ballot(
            s, actor=a, vote_id=w.owners_vote_id, household_id=w.households[1], choice=OwnerChoice.AGREE))),
    CommitteeAction("owners.close_owners_vote", "manage_decisions", _commit(
        lambda s, w, a: decisions.close_owners_vote(s, actor=a, vote_id=w.owners_vote_id))),
    CommitteeAction("owners.publish_owners_vote", "publish_results", _commit(_publish_owners_vote)),
    CommitteeAction("owners.ballot_sheet", "view_committee", lambda s, w, a: decisions.ballot_sheet(
        s, actor=a, vote_id=w.owners_vote_id), "read", changes_data=False),
    # notifications
    CommitteeAction("notifications.send_announcement", "send_announcements", _commit(
        lambda s, w, a: notifications.send_announcement(
            s, actor=a, consultation_id=w.consultations[Phase.COLLECTING], title="小区环境整治施工通知",
            body="下周一起东门道路翻修，车辆请从北门进出，给大家带来不便敬请谅解。"))),
    CommitteeAction("notifications.record_paper_consent", "record_consent", _commit(
        lambda s, w, a: notifications.record_paper_consent(
            s, actor=a, resident_id=w.residents[0], channel="sms", value="13912345678"))),
    CommitteeAction("notifications.resident_contacts", "record_consent", lambda s, w, a: notifications.resident_contacts(
        s, actor=a, resident_id=w.residents[0]), "read", changes_data=False),
    CommitteeAction("paper.print_door_to_door", "deliver_notices", lambda s, w, a: paper.print_door_to_door(
        s, actor=a), "read", changes_data=False),
    CommitteeAction("notifications.outbox_status", "view_committee", lambda s, w, a: notifications.outbox_status(
        s, actor=a), "read", changes_data=False),
]


def dump(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {name: sorted(map(repr, conn.execute(t.select()).fetchall()))
                for name, t in SQLModel.metadata.tables.items()}


def audit_rows(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [(e.actor, e.action) for e in s.exec(select(AuditEvent).order_by(sa.asc(AuditEvent.id)))]


@pytest.fixture(scope="session")
def world_template(tmp_path_factory) -> tuple[Path, World]:
    """The world built once per test process; each test works on its own copy of the file."""
    path = tmp_path_factory.mktemp("committee-world") / "world.sqlite"
    return path, factories.database_file(path, build_world)


@pytest.fixture
def world(world_template, tmp_path) -> Iterator[World]:
    path, template = world_template
    engine = factories.copy_database(path, tmp_path / "world.sqlite")
    yield dataclasses.replace(template, engine=engine)
    engine.dispose()
