"""What the demo builders share (portal/services/demo.py and the ``demo_data`` modules of
decisions, documents and notifications): the actor they act as and the consultations they
decorate. Kept apart from demo.py, which imports those builders."""

from __future__ import annotations

from sqlmodel import Session, col, select

from portal.models import Consultation
from portal.services.actors import SystemActor

SYSTEM = SystemActor("demo")


def lift_consultation(session: Session) -> Consultation | None:
    """梧桐里社区's 老旧小区加装电梯意见征集 (the first consultation about a lift), if the demo has it."""
    return session.exec(select(Consultation).where(col(Consultation.title).contains("加装电梯"))
                        .order_by(col(Consultation.id))).first()
