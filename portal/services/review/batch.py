"""The scheduled batch analysis (``consult analyse --all``): every consultation whose visible
opinions or curation changed since its last run is analysed, one at a time, each under its
consultation's lock, so the job can run from cron on several machines at once (decision 0025).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.models import Community, Consultation
from portal.services import tenancy
from portal.services.actors import Actor, require
from portal.services.consultations import phases
from portal.services.errors import InvalidInput, ServiceError
from portal.services.review.fingerprint import needs_analysis
from portal.services.review.runs import AnalysisBusy, run_analysis

MIN_OPINIONS = 3

ANALYSED, UNCHANGED, BUSY, TOO_FEW, FAILED = "analysed", "unchanged", "busy", "too_few", "failed"
OUTCOME_LABELS = {ANALYSED: "已分析", UNCHANGED: "没有变化", BUSY: "另一进程正在分析，已跳过",
                  TOO_FEW: "意见不足 3 条", FAILED: "失败"}


@dataclass(frozen=True)
class BatchItem:
    consultation_id: int
    title: str
    community: str
    outcome: str = ""
    message: str = ""

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


def analysable(session: Session, *, actor: Actor, consultation_id: int | None = None,
               community_id: int | None = None) -> list[BatchItem]:
    """Consultations the batch may analyse: in a phase that allows analysis (collecting,
    reviewing), of the communities the actor reaches, oldest first."""
    require(actor, "run_analysis")
    query = (select(Consultation, Community).join(Community, col(Community.id) == col(Consultation.community_id))
             .order_by(col(Consultation.id)))
    if consultation_id is not None:
        c = tenancy.consultation_for(session, actor, consultation_id)
        if not phases.can_analyse(c):
            raise InvalidInput(f"议题 {consultation_id}（{c.title}）处于{phases.phase_label(c)}阶段，不再分析。")
        query = query.where(Consultation.id == consultation_id)
    if community_id is not None:
        tenancy.require_for(actor, community_id)
        query = query.where(Consultation.community_id == community_id)
    return [BatchItem(c.id, c.title, k.name) for c, k in session.exec(query)  # type: ignore[misc]
            if phases.can_analyse(c) and tenancy.can_reach(actor, c.community_id)]


def _count_visible(session: Session, consultation_id: int) -> int:
    from sqlmodel import func

    from portal.models import Opinion
    from portal.services.queries import visible_opinions_of

    return session.exec(select(func.count()).select_from(Opinion).where(visible_opinions_of(consultation_id))).one()


def analyse_one(engine: Engine, *, actor: Actor, item: BatchItem, force: bool = False,
                random_state: int = 0) -> BatchItem:
    """Analyse one consultation if it changed (or ``force``); never raises for the expected
    cases (unchanged, busy, too few opinions), so one consultation cannot stop the batch."""
    from dataclasses import replace

    with Session(engine) as session:
        if _count_visible(session, item.consultation_id) < MIN_OPINIONS:
            return replace(item, outcome=TOO_FEW)
        if not force and not needs_analysis(session, item.consultation_id):
            return replace(item, outcome=UNCHANGED)
    try:
        run = run_analysis(engine, actor=actor, consultation_id=item.consultation_id, random_state=random_state)
    except AnalysisBusy:
        return replace(item, outcome=BUSY)
    except ServiceError as exc:
        return replace(item, outcome=FAILED, message=str(exc))
    except Exception as exc:  # the run row records it as failed; the batch goes on
        return replace(item, outcome=FAILED, message=f"{type(exc).__name__}: {exc}"[:300])
    return replace(item, outcome=ANALYSED, message=f"{run.n_opinions} 条意见")


def analyse_all(engine: Engine, *, actor: Actor, consultation_id: int | None = None,
                community_id: int | None = None, force: bool = False,
                on_item: Callable[[BatchItem], None] | None = None,
                on_start: Callable[[BatchItem], None] | None = None) -> list[BatchItem]:
    """Run the batch; returns one outcome per analysable consultation."""
    with Session(engine) as session:
        items = analysable(session, actor=actor, consultation_id=consultation_id, community_id=community_id)
    done = []
    for item in items:
        if on_start:
            on_start(item)
        result = analyse_one(engine, actor=actor, item=item, force=force)
        done.append(result)
        if on_item:
            on_item(result)
    return done
