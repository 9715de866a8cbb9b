"""Door-to-door notices: what residents without e-mail or SMS (and who never sign in) are still
to be told, grouped by building, as an A4 PDF of slips to cut and deliver."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from sqlmodel import Session, col, select

from portal.models import (
    Area,
    DeliveryChannel,
    Notification,
    OutboxMessage,
    OutboxStatus,
    Resident,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require
from portal.services.consultations import community_name
from portal.settings import get_settings
from portal.timefmt import format_date

FONT = "noto"


@dataclass(frozen=True)
class PaperNotice:
    outbox_id: int
    unit: str
    household_ref: str
    title: str
    body: str
    link: str  # absolute
    created_at: datetime


@dataclass
class Building:
    grid: str
    name: str
    notices: list[PaperNotice] = field(default_factory=list)


def pending_paper(session: Session, *, actor: Actor) -> list[Building]:
    """Pending paper notices by 网格 and 楼栋 (then 单元 and 户号), oldest first within each."""
    require(actor, "deliver_notices")
    community = tenancy.home_community(session, actor)  # staff print their own community's notices
    s = get_settings()
    rows = session.exec(
        select(OutboxMessage.id, Resident.unit, Resident.household_ref, Area.grid, Area.name, Area.position,  # type: ignore[call-overload]
               Notification.title, Notification.body, Notification.link, Notification.created_at)
        .join(Resident, col(Resident.id) == OutboxMessage.resident_id)
        .join(Area, col(Area.id) == Resident.area_id)
        .join(Notification, col(Notification.id) == OutboxMessage.notification_id)
        .where(OutboxMessage.channel == DeliveryChannel.PAPER, OutboxMessage.status == OutboxStatus.PENDING,
               Resident.community_id == community.id)
        .order_by(col(Area.grid), col(Area.position), col(Area.name), col(Resident.unit),
                  col(Resident.household_ref), col(OutboxMessage.id))).all()
    out: dict[tuple[str, str], Building] = {}
    for oid, unit, ref, grid, name, _pos, title, body, link, created in rows:
        b = out.setdefault((grid, name), Building(grid, name))
        b.notices.append(PaperNotice(oid, unit, ref, title, body, s.public_link(link or "/"), created))
    return list(out.values())


def paper_notices_pdf(buildings: list[Building], *, font_path: Path, community: str) -> bytes:
    """A4 pages: a heading per building, then one framed slip per notice (cut along the lines)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font(FONT, "", str(font_path))
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title("上门通知")
    for b in buildings:
        pdf.add_page()
        pdf.set_font(FONT, size=15)
        pdf.cell(0, 9, f"{community} · {b.grid} {b.name} · 上门通知（{len(b.notices)} 份）",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        for n in b.notices:
            if pdf.will_page_break(46):
                pdf.add_page()
            top = pdf.get_y()
            pdf.set_font(FONT, size=9)
            pdf.set_text_color(90, 90, 90)
            where = " ".join(p for p in (b.grid, b.name, n.unit) if p) + (f"（户号 {n.household_ref}）" if n.household_ref else "")
            pdf.cell(0, 5, f"送达：{where}    {format_date(n.created_at)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
            pdf.set_font(FONT, size=12)
            pdf.multi_cell(0, 6, n.title, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FONT, size=10.5)
            pdf.multi_cell(0, 5.5, n.body, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FONT, size=8.5)
            pdf.set_text_color(60, 60, 60)
            pdf.multi_cell(0, 4.5, f"网上查看：{n.link}（凭参与码登录可提意见、投票）", wrapmode=WrapMode.CHAR,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
            bottom = pdf.get_y() + 2
            pdf.set_draw_color(150, 150, 150)
            pdf.rect(pdf.l_margin - 2, top - 1, pdf.epw + 4, bottom - top + 1)
            pdf.set_y(bottom + 3)
    if not buildings:
        pdf.add_page()
        pdf.set_font(FONT, size=12)
        pdf.cell(0, 8, "没有待上门送达的通知。")
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()


def print_door_to_door(session: Session, *, actor: Actor, mark_delivered: bool = False) -> tuple[bytes, int]:
    """The PDF of pending paper notices and how many it holds; with ``mark_delivered`` they
    leave the queue (staff print them to deliver them)."""
    buildings = pending_paper(session, actor=actor)
    s = get_settings()
    pdf = paper_notices_pdf(buildings, font_path=s.font_path,
                            community=community_name(session, tenancy.home_community(session, actor).id))
    n = sum(len(b.notices) for b in buildings)
    if mark_delivered and n:
        ids = [x.outbox_id for b in buildings for x in b.notices]
        now = utcnow()
        for msg in session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))):
            msg.status, msg.sent_at = OutboxStatus.SENT, now
            session.add(msg)
        audit.record(session, actor=actor.audit_name, action="notify.paper_printed", target_type="outbox",
                     target_id="", detail={"notices": n, "buildings": len(buildings)})
    return pdf, n
