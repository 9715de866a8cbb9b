"""Look-ups shared by the participation services (visibility and vote counts: ``services.queries``)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from portal.models import (
    Area,
    Consultation,
    Opinion,
)
from portal.services.actors import Actor, ResidentActor, require_resident
from portal.services.consultations import (
    can_submit_opinion,
    can_vote,
    get_consultation,
    phases,
)
from portal.services.errors import NotFound
from portal.services.queries import is_visible

# ---------------------------------------------------------------- shared look-ups


def _consultation_for(session: Session, actor: ResidentActor, consultation_id: int) -> Consultation:
    c = get_consultation(session, consultation_id)
    if c.community_id != actor.community_id:
        raise NotFound("找不到这个议题。")
    return c


def _visible_opinion(session: Session, opinion_id: int,
                     resident: ResidentActor | None = None) -> tuple[Opinion, Consultation]:
    """A visible opinion of a public consultation; with ``resident``, only of their community
    (a resident takes part only where they live)."""
    op = session.get(Opinion, opinion_id)
    if op is None:
        raise NotFound("找不到这条意见。")
    c = get_consultation(session, op.consultation_id)
    if resident is not None and c.community_id != resident.community_id:
        raise NotFound("找不到这条意见。这条意见属于其他社区的议题，只有那个社区的居民可以参与。")
    if not is_visible(op):
        raise NotFound("这条意见已被隐藏，无法再查看或参与。")
    return op, c


def author_label(anonymous: bool, area_name: str | None) -> str:
    if anonymous or not area_name:
        return "匿名居民"
    return f"{area_name}居民"


def _area_names(session: Session, area_ids: set[int]) -> dict[int, str]:
    ids = [a for a in area_ids if a is not None]
    if not ids:
        return {}
    return {a.id: a.name for a in session.exec(select(Area).where(col(Area.id).in_(ids)))}  # type: ignore[misc]


def open_consultations(session: Session, *, actor: Actor | None, purpose: str) -> list[Consultation]:
    """The resident's consultations that accept opinions now (``purpose="submit"``) or votes
    (``purpose="vote"``), newest first."""
    resident = require_resident(actor)
    allowed = can_submit_opinion if purpose == "submit" else can_vote
    rows = session.exec(
        select(Consultation).where(Consultation.community_id == resident.community_id,
                                   phases.phase_clause(phases.phases_where(lambda r: r.submit or r.vote is not False)))
        .order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
    )
    return [c for c in rows if allowed(c)]


