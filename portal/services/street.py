"""The street's view (街道总览) and the list of communities: counts side by side, never a
resident's identity (decision 0025). A street admin reads it for the communities of their
street; the system (CLI, bench) for any street or all communities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, func, select

from portal.models import (
    CommitteeUser,
    Community,
    Consultation,
    Phase,
    Resident,
    Response,
    Street,
    Theme,
)
from portal.services import participants, tenancy
from portal.services.actors import Actor, CommitteeActor, SystemActor, require
from portal.services.consultations.dashboard import ConsultationStatus, consultation_statuses
from portal.services.consultations.participation_check import ParticipationCheck, participation_of
from portal.services.consultations.phases import PUBLIC_PHASES, phase_clause
from portal.services.errors import NotFound, PermissionDenied
from portal.services.publishing.results import (
    FINISHED,
    ThemeResult,
    public_themes,
    themes_with_answers,
)
from portal.timefmt import today_local


@dataclass(frozen=True)
class CommunityLine:
    """One line of `consult community list`."""

    slug: str
    name: str
    street: str
    residents: int
    consultations: int
    staff: int


def _count_by(session: Session, stmt) -> dict[int, int]:  # type: ignore[no-untyped-def]
    return {k: v for k, v in session.exec(stmt).all() if k is not None}


def community_lines(session: Session, *, actor: Actor) -> list[CommunityLine]:
    """Every community with its street and sizes (the system only: it lists all tenants)."""
    if not isinstance(actor, SystemActor):
        raise PermissionDenied("只有系统管理员（命令行）可以列出全部社区。")
    streets = {s.id: s.name for s in session.exec(select(Street))}
    residents = _count_by(session, select(Resident.community_id, func.count())
                          .where(col(Resident.active).is_(True)).group_by(col(Resident.community_id)))
    consultations = _count_by(session, select(Consultation.community_id, func.count())
                              .group_by(col(Consultation.community_id)))
    staff = _count_by(session, select(CommitteeUser.community_id, func.count())
                      .where(col(CommitteeUser.active).is_(True)).group_by(col(CommitteeUser.community_id)))
    return [CommunityLine(c.slug, c.name, streets.get(c.street_id, "") if c.street_id else "",
                          residents.get(c.id, 0), consultations.get(c.id, 0), staff.get(c.id, 0))  # type: ignore[arg-type]
            for c in tenancy.communities(session)]


@dataclass(frozen=True)
class OpenConsultation:
    id: int
    title: str
    n_opinions: int
    n_participants: int


@dataclass(frozen=True)
class CommunityRow:
    """One community on the street dashboard."""

    community_id: int
    name: str
    slug: str
    roster: int  # active residents
    n_open: int  # consultations collecting opinions now
    participants_open: int  # distinct residents who gave an opinion or voted in them
    participants_year: int  # … in any public consultation (all phases after the draft)
    n_unanswered: int  # active themes (not 其他) without a public answer
    n_overdue: int  # answered themes past their due date and not finished
    open_consultations: list[OpenConsultation] = field(default_factory=list)

    @property
    def rate_open(self) -> float:
        return self.participants_open / self.roster if self.roster else 0.0

    @property
    def rate_all(self) -> float:
        return self.participants_year / self.roster if self.roster else 0.0


@dataclass(frozen=True)
class StreetOverview:
    street: str
    rows: list[CommunityRow]

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(r, k) for r in self.rows)
                for k in ("roster", "n_open", "participants_open", "n_unanswered", "n_overdue")}


def street_overview(session: Session, *, actor: Actor, street_id: int | None = None,
                    today: date | None = None) -> StreetOverview:
    """Per community of the street: open consultations, participation against the roster,
    unanswered and overdue themes. Counts only."""
    from portal.services.consultations.catalogue import participation_counts
    from portal.services.consultations.phases import current_phase

    require(actor, "view_street")
    if isinstance(actor, CommitteeActor):
        street_id = actor.street_id
    street = session.get(Street, street_id) if street_id is not None else None
    if street_id is not None and street is None:
        raise NotFound("找不到这个街道。")
    today = today or today_local()
    communities = [c for c in tenancy.communities(session, street_id=street_id)
                   if tenancy.can_reach(actor, c.id, write=False)]
    ids = [c.id for c in communities]
    if not ids:
        return StreetOverview(street.name if street else "全部社区", [])
    roster = _count_by(session, select(Resident.community_id, func.count())
                       .where(col(Resident.community_id).in_(ids), col(Resident.active).is_(True))
                       .group_by(col(Resident.community_id)))
    public = list(session.exec(select(Consultation).where(col(Consultation.community_id).in_(ids),
                                                          phase_clause(PUBLIC_PHASES))))
    open_ = [c for c in public if current_phase(c) == Phase.COLLECTING]
    open_ids = [c.id for c in open_ if c.id is not None]
    open_counts = participation_counts(session, open_ids, votes=False)
    part_open = participants.by_community(session, open_ids)
    part_all = participants.by_community(session, [c.id for c in public if c.id is not None])
    active = (col(Consultation.community_id).in_(ids), col(Theme.active).is_(True))
    unanswered = _count_by(session, select(Consultation.community_id, func.count())
                           .join(Theme, col(Theme.consultation_id) == col(Consultation.id))
                           .where(*active, col(Theme.is_other).is_(False),
                                  col(Theme.id).not_in(select(Response.theme_id)))
                           .group_by(col(Consultation.community_id)))
    overdue = _count_by(session, select(Consultation.community_id, func.count())
                        .join(Theme, col(Theme.consultation_id) == col(Consultation.id))
                        .join(Response, col(Response.theme_id) == col(Theme.id))
                        .where(*active, col(Response.due_date).is_not(None), col(Response.due_date) < today,
                               col(Theme.status).not_in(list(FINISHED)))
                        .group_by(col(Consultation.community_id)))
    rows = []
    for c in communities:
        assert c.id is not None
        mine = [o for o in open_ if o.community_id == c.id]
        rows.append(CommunityRow(
            community_id=c.id, name=c.name, slug=c.slug, roster=roster.get(c.id, 0), n_open=len(mine),
            participants_open=part_open.get(c.id, 0), participants_year=part_all.get(c.id, 0),
            n_unanswered=unanswered.get(c.id, 0), n_overdue=overdue.get(c.id, 0),
            open_consultations=[OpenConsultation(o.id, o.title, *open_counts.get(o.id, (0, 0, 0))[:2])  # type: ignore[arg-type]
                                for o in mine],
        ))
    return StreetOverview(street.name if street else "全部社区", rows)


# ---------------------------------------------------------------- one community, read-only


@dataclass(frozen=True)
class CommunityChoice:
    id: int
    slug: str
    name: str


def street_communities(session: Session, *, actor: Actor) -> list[CommunityChoice]:
    """The communities the street admin may open (those of their street), by street order."""
    require(actor, "view_street")
    street_id = actor.street_id if isinstance(actor, CommitteeActor) else None
    return [CommunityChoice(c.id, c.slug, c.name) for c in tenancy.communities(session, street_id=street_id)  # type: ignore[arg-type]
            if tenancy.can_reach(actor, c.id, write=False)]


@dataclass(frozen=True)
class CommunityView:
    """One community as the street reads it: its consultations with their figures (counts only)."""

    community_id: int
    name: str
    slug: str
    roster: int
    consultations: list[ConsultationStatus]


def community_view(session: Session, *, actor: Actor, community_id: int,
                   today: date | None = None) -> CommunityView:
    """Every consultation of one community of the actor's street (drafts too) with its phase,
    participation, themes, unanswered and overdue answers: the 工作台's figures, without its
    to-do links. Refused for a community of another street."""
    require(actor, "view_street")
    tenancy.require_for(actor, community_id, write=False)
    c = session.get(Community, community_id)
    if c is None:
        raise NotFound("找不到这个社区。")
    roster = session.exec(select(func.count()).select_from(Resident).where(
        Resident.community_id == community_id, col(Resident.active).is_(True))).one()
    return CommunityView(community_id, c.name, c.slug, roster,
                         consultation_statuses(session, community_id, today=today))


def community_participation(session: Session, *, actor: Actor, consultation_id: int,
                            dimension: str = "area") -> ParticipationCheck:
    """Participation against the roster by building, grid or age band, for a consultation of a
    community of the actor's street: counts per group, never a resident."""
    require(actor, "view_street")
    c = tenancy.consultation_for(session, actor, consultation_id, write=False)
    return participation_of(session, c, dimension)


def community_themes(session: Session, *, actor: Actor, consultation_id: int,
                     today: date | None = None) -> list[ThemeResult]:
    """A consultation's themes with their figures, reviewed summaries, the committee's answers
    and timelines, as the results page ranks them; no opinion text, no resident."""
    require(actor, "view_street")
    tenancy.consultation_for(session, actor, consultation_id, write=False)
    return themes_with_answers(session, public_themes(session, consultation_id), today=today or today_local())


def street_of(session: Session, community: Community) -> Street | None:
    return session.get(Street, community.street_id) if community.street_id else None


@dataclass(frozen=True)
class CommunityCard:
    """A community on the public street home: public counts only."""

    name: str
    slug: str
    n_open: int  # collecting opinions now
    n_public: int  # all public consultations


@dataclass(frozen=True)
class StreetCard:
    name: str
    district: str
    communities: list[CommunityCard]


def public_directory(session: Session) -> list[StreetCard]:
    """Streets and their communities for the public street home (communities without a street
    are listed under 其他社区)."""
    from portal.services.consultations.phases import current_phase

    public = list(session.exec(select(Consultation).where(phase_clause(PUBLIC_PHASES))))
    n_public: dict[int, int] = {}
    n_open: dict[int, int] = {}
    for c in public:
        n_public[c.community_id] = n_public.get(c.community_id, 0) + 1
        if current_phase(c) == Phase.COLLECTING:
            n_open[c.community_id] = n_open.get(c.community_id, 0) + 1
    streets = {s.id: s for s in session.exec(select(Street).order_by(col(Street.id)))}
    grouped: dict[int | None, list[CommunityCard]] = {}
    for c in tenancy.communities(session):
        grouped.setdefault(c.street_id, []).append(
            CommunityCard(c.name, c.slug, n_open.get(c.id or 0, 0), n_public.get(c.id or 0, 0)))
    out = [StreetCard(streets[sid].name, streets[sid].district, cards)
           for sid, cards in grouped.items() if sid is not None and sid in streets]
    if None in grouped:
        out.append(StreetCard("其他社区", "", grouped[None]))
    return out
