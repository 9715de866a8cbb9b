"""Participation-code slips: an A4 PDF with 8 slips per page, cut lines between them.

Each slip carries the community name, where the resident lives, the code in large letters, how to
use it, and a QR code of the community's own address on the portal (``…/?c=<slug>``, decision
0025: in a street's deployment the bare address is the street's home, where a code from one
community is not expected). The QR code holds only the address, never the code, so a
photographed or scanned QR code signs nobody in.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from portal.models import Community, Resident
from portal.services.actors import Actor
from portal.services.identity.roster import IssuedSlip
from portal.settings import get_settings
from portal.timefmt import format_date

PAGE_W, PAGE_H = 210.0, 297.0
COLS, ROWS = 2, 4
SLIP_W, SLIP_H = PAGE_W / COLS, PAGE_H / ROWS
PAD = 7.0
QR_SIZE = 30.0


def _qr_png(url: str) -> io.BytesIO:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=8, border=1)
    buf.seek(0)
    return buf


def code_slips_pdf(
    slips: Sequence[IssuedSlip], *, community_name: str, address: str, font_path: Path,
    issued_on: datetime | None = None,
) -> bytes:
    """Render the slips as an A4 PDF (8 per page) and return its bytes; ``address`` is printed
    and put in the QR code."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("NotoSansSC", "", str(font_path))
    pdf.set_title(f"{community_name} 参与码")
    pdf.set_creator("社区议事厅")
    qr = _qr_png(address)
    per_page = COLS * ROWS
    for i, slip in enumerate(slips):
        if i % per_page == 0:
            pdf.add_page()
            _cut_lines(pdf)
        n = i % per_page
        x = (n % COLS) * SLIP_W
        y = (n // COLS) * SLIP_H
        _slip(pdf, slip, x, y, community_name=community_name, address=address, qr=qr,
              issued_on=issued_on)
        qr.seek(0)
    out = pdf.output()
    return bytes(out)


def issue_code_slips(
    session: Session, *, actor: Actor, resident_ids: list[int], issued_on: datetime | None = None,
) -> tuple[bytes, int]:
    """Issue fresh codes and lay out their slips: (PDF bytes, how many codes).

    One step, so the codes are saved only when their slips could be printed: only the hashes are
    stored and the slips are the one place the codes are ever shown.
    """
    from portal.services.consultations.catalogue import community_name
    from portal.services.identity.roster import issue_codes
    from portal.services.tenancy import home_path

    settings = get_settings()
    slips = issue_codes(session, actor=actor, resident_ids=resident_ids)
    first = session.get(Resident, slips[0].resident_id) if slips else None  # all of one community
    community = session.get(Community, first.community_id) if first else None
    name = community.name if community else community_name(session)
    address = settings.public_link(home_path(community.slug)) if community else settings.public_base_url
    pdf = code_slips_pdf(slips, community_name=name, address=address,
                         font_path=settings.font_path, issued_on=issued_on)
    return pdf, len(slips)


def _cut_lines(pdf) -> None:  # type: ignore[no-untyped-def]
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=1.5)
        for c in range(1, COLS):
            pdf.line(c * SLIP_W, 0, c * SLIP_W, PAGE_H)
        for r in range(1, ROWS):
            pdf.line(0, r * SLIP_H, PAGE_W, r * SLIP_H)
    pdf.set_dash_pattern()
    pdf.set_font("NotoSansSC", size=6)
    pdf.set_text_color(150, 150, 150)
    for r in range(1, ROWS):
        pdf.set_xy(1, r * SLIP_H - 3)
        pdf.cell(20, 3, "沿虚线剪开")


def _fit(pdf, text: str, width: float, size: float, min_size: float = 6) -> str:  # type: ignore[no-untyped-def]
    """Set the largest font size (down to ``min_size``) at which ``text`` fits ``width``; cut the
    text with an ellipsis if even that is too wide. Returns the text to print."""
    while size > min_size:
        pdf.set_font("NotoSansSC", size=size)
        if pdf.get_string_width(text) <= width:
            return text
        size -= 0.5
    pdf.set_font("NotoSansSC", size=min_size)
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _slip(pdf, slip: IssuedSlip, x: float, y: float, *, community_name: str, address: str,  # type: ignore[no-untyped-def]
          qr: io.BytesIO, issued_on: datetime | None) -> None:
    left = x + PAD
    width = SLIP_W - 2 * PAD
    text_w = width - QR_SIZE - 3
    pdf.set_text_color(0, 0, 0)
    title = _fit(pdf, f"{community_name} · 社区议事厅参与码", width, 12)
    pdf.set_xy(left, y + PAD)
    pdf.cell(width, 6, title)
    pdf.set_text_color(60, 60, 60)
    where = " ".join(p for p in (slip.grid, slip.building, slip.unit) if p)
    if slip.household_ref:
        where += f"（户号 {slip.household_ref}）"
    where = _fit(pdf, where, text_w, 9)
    pdf.set_xy(left, y + PAD + 7)
    pdf.cell(text_w, 5, where)

    pdf.set_text_color(0, 0, 0)
    pdf.set_font("NotoSansSC", size=22)
    pdf.set_xy(left, y + PAD + 14)
    pdf.cell(text_w, 12, slip.code)

    pdf.set_font("NotoSansSC", size=8)
    pdf.set_text_color(40, 40, 40)
    steps = (
        "1. 用手机扫右侧二维码，或用浏览器打开下方网址\n"
        "2. 点“居民登录”，输入上面的参与码\n"
        "3. 即可提意见、投票和留言"
    )
    pdf.set_xy(left, y + PAD + 29)
    pdf.multi_cell(text_w, 4, steps, align="L")
    # the address in full, on the slip's whole width under the QR code: it is typed from here
    shown = _fit(pdf, address, width, 9)
    pdf.set_xy(left, max(pdf.get_y(), y + PAD + 9 + QR_SIZE) + 0.5)
    pdf.cell(width, 4.5, shown)
    pdf.image(qr, x=x + SLIP_W - PAD - QR_SIZE, y=y + PAD + 9, w=QR_SIZE, h=QR_SIZE)
    pdf.set_font("NotoSansSC", size=7)
    pdf.set_text_color(110, 110, 110)
    note = "一人一码，请妥善保管，勿转借他人；遗失请到居委会补领（旧码随即作废）。"
    if slip.expires_at:
        note = f"有效期至{format_date(slip.expires_at)}。" + note
    pdf.set_xy(left, y + SLIP_H - PAD - 8)
    pdf.multi_cell(width, 3.5, note, align="L")
