"""Every committee action of the services, each with one valid call.

Shared by the permission matrix (each role against each action), the audit-trail check
(every allowed action leaves an audit event naming its actor) and the completeness check (a
service function that calls ``require(actor, ...)`` but is missing here fails the suite, so a
new committee action cannot slip in untested).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.models import (
    Area,
    CommitteeUser,
    Community,
    Consultation,
    Opinion,
    Phase,
    Resident,
    Role,
)
from portal.services import analysis_runs, consultations, identity
from portal.services.identity import _hasher, committee_actor

PASSWORD_HASH = _hasher.hash("Passw0rd2026")  # hashed once: argon2 is slow on purpose

OPINIONS = [
    "希望尽快加装电梯，老人上下楼太辛苦了",
    "加装电梯的费用分摊要公开透明",
    "小区停车位太少，晚上回来根本没地方停",
    "建议把地面停车位重新划线，多出一些车位",
    "社区食堂的菜能不能少油少盐",
    "楼道里堆放杂物，存在消防隐患",
]


@dataclass
class World:
    engine: Engine
    community_id: int
    area_id: int
    residents: list[int]
    consultations: dict[Phase, int]
    opinions: list[int]
    committee: dict[Role, Any] = field(default_factory=dict)  # CommitteeActor per role


def build_world(engine: Engine) -> World:
    with Session(engine, expire_on_commit=False) as s:
        community = Community(name="梧桐里社区")
        s.add(community)
        s.flush()
        area = Area(community_id=community.id, name="7号楼", grid="第三网格")
        s.add(area)
        s.flush()
        residents = [Resident(community_id=community.id, area_id=area.id, unit=f"{i}单元")
                     for i in range(1, 4)]
        s.add_all(residents)
        by_phase = {}
        for phase in (Phase.DRAFT, Phase.COLLECTING, Phase.REVIEWING, Phase.PUBLISHED):
            c = Consultation(community_id=community.id, title=f"小区环境整治（{phase.label}）",
                             question="小区环境还有哪些要改进的地方？", phase=phase)
            s.add(c)
            s.flush()
            by_phase[phase] = c.id
        s.flush()
        opinions = []
        for i, text in enumerate(OPINIONS):
            op = Opinion(consultation_id=by_phase[Phase.COLLECTING], area_id=area.id,
                         resident_id=residents[i % 3].id, text_original=text, text_public=text)
            s.add(op)
            s.flush()
            opinions.append(op.id)
        committee = {}
        for role in Role:
            user = CommitteeUser(username=f"{role.value}1", display_name=role.label, role=role,
                                 password_hash=PASSWORD_HASH)
            s.add(user)
            s.flush()
            committee[role] = committee_actor(user)
        s.commit()
        return World(engine, community.id, area.id, [r.id for r in residents], by_phase, opinions,
                     committee)


@dataclass(frozen=True)
class CommitteeAction:
    name: str  # module.function (what the completeness check looks for)
    permission: str
    perform: Callable[[Session, World, Any], Any]  # one valid call; commits
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def _create_user(s: Session, w: World, actor: Any) -> None:
    identity.create_user(s, actor=actor, username="newclerk", password="Clerk2026x",
                         role=Role.CLERK, display_name="新录入员")
    s.commit()


def _reset_password(s: Session, w: World, actor: Any) -> None:
    identity.reset_password(s, actor=actor, username="clerk1", password="NewPass2026")
    s.commit()


def _issue_code(s: Session, w: World, actor: Any) -> None:
    identity.issue_code(s, actor=actor, resident_id=w.residents[0], secret="test-secret-key")
    s.commit()


def _revoke_codes(s: Session, w: World, actor: Any) -> None:
    identity.revoke_codes(s, actor=actor, resident_id=w.residents[0])
    s.commit()


def _phase_to(frm: Phase, to: Phase) -> Callable[[Session, World, Any], None]:
    def perform(s: Session, w: World, actor: Any) -> None:
        consultations.change_phase(s, actor=actor, consultation_id=w.consultations[frm], to=to)
        s.commit()

    return perform


def _run_analysis(s: Session, w: World, actor: Any) -> None:
    analysis_runs.run_analysis(w.engine, actor=actor, consultation_id=w.consultations[Phase.COLLECTING])


ACTIONS: list[CommitteeAction] = [
    CommitteeAction("identity.create_user", "manage_users", _create_user),
    CommitteeAction("identity.reset_password", "manage_users", _reset_password),
    CommitteeAction("identity.issue_code", "issue_codes", _issue_code),
    CommitteeAction("identity.revoke_codes", "issue_codes", _revoke_codes),
    CommitteeAction("consultations.change_phase", "change_phase",
                    _phase_to(Phase.DRAFT, Phase.COLLECTING), "open"),
    CommitteeAction("consultations.change_phase", "change_phase",
                    _phase_to(Phase.COLLECTING, Phase.REVIEWING), "close-collecting"),
    CommitteeAction("consultations.change_phase", "publish_results",
                    _phase_to(Phase.REVIEWING, Phase.PUBLISHED), "publish"),
    CommitteeAction("consultations.change_phase", "change_phase",
                    _phase_to(Phase.PUBLISHED, Phase.CLOSED), "close"),
    CommitteeAction("analysis_runs.run_analysis", "run_analysis", _run_analysis),
]

# Functions that check a permission but change nothing (reads), with the reason they are not
# audited. Anything else that calls require() must be in ACTIONS.
READ_ONLY: dict[str, str] = {}


def table_counts(engine: Engine) -> dict[str, int]:
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        return {name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for name, t in SQLModel.metadata.tables.items()}


def audit_rows(engine: Engine) -> list[tuple[str, str]]:
    from portal.models import AuditEvent

    with Session(engine) as s:
        return [(e.actor, e.action) for e in s.exec(select(AuditEvent))]
