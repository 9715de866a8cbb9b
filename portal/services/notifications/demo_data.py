"""The demo's notifications: a few residents opted in to e-mail (and two to SMS on paper), an
announcement and the published results told, so `consult outbox send` against a local SMTP
server shows the whole path, and 居民通知 has paper notices to print."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.db import unit_of_work
from portal.models import Area, CommitteeUser, Consultation, Phase, Resident
from portal.services.demo_common import SYSTEM
from portal.services.identity import committee_actor, resident_actor
from portal.services.notifications import contacts, events, inbox

EMAIL_OPT_INS = 8  # residents of the first building, in roster order
SMS_PAPER_CONSENTS = ("13800138001", "13800138002")  # reserved-looking demo numbers


def add_demo_notifications(engine: Engine) -> str:
    """Opt-ins, then one announcement and the published results told; returns a summary line."""

    def work(session: Session) -> str:
        first_area = session.exec(select(Area).order_by(col(Area.position), col(Area.id))).first()
        assert first_area is not None
        people = list(session.exec(select(Resident).where(Resident.area_id == first_area.id)
                                   .order_by(col(Resident.id)).limit(EMAIL_OPT_INS + len(SMS_PAPER_CONSENTS))))
        for i, r in enumerate(people[:EMAIL_OPT_INS]):
            contacts.set_my_contact(session, actor=resident_actor(session, r), channel="email",
                                    value=f"jumin{i + 1:02d}@demo.example.cn")
        clerk = session.exec(select(CommitteeUser).where(CommitteeUser.username == "clerk")).first()
        admin = session.exec(select(CommitteeUser).where(CommitteeUser.username == "admin")).first()
        for r, phone in zip(people[EMAIL_OPT_INS:], SMS_PAPER_CONSENTS, strict=False):
            contacts.record_paper_consent(session, actor=committee_actor(clerk) if clerk else SYSTEM,
                                          resident_id=r.id, channel="sms", value=phone)  # type: ignore[arg-type]
        collecting = session.exec(select(Consultation).where(Consultation.phase == Phase.COLLECTING)
                                  .order_by(col(Consultation.id))).first()
        if collecting is not None:
            inbox.send_announcement(session, actor=committee_actor(admin) if admin else SYSTEM,
                                    consultation_id=collecting.id,  # type: ignore[arg-type]
                                    title="议事会现场会通知",
                                    body="本周六上午九点在社区活动室召开居民议事会，欢迎大家到场，也可以继续在网上提意见。")
        published = session.exec(select(Consultation).where(Consultation.phase == Phase.PUBLISHED)).first()
        told = events.results_published(session, published) if published is not None else 0
        return (f"通知：{EMAIL_OPT_INS} 位居民同意接收邮件、{len(SMS_PAPER_CONSENTS)} 位登记了短信同意书；"
                f"已写入一条居民通知和 {told} 条结果公布消息（运行 consult outbox send 发送）。")

    return unit_of_work(engine, work)
