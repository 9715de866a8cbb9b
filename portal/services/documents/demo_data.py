"""The demo's documents behind a decision: the 加装电梯 consultation carries what a committee
would attach before residents vote — a cost estimate and its split by floor (PDF), the minutes
of the 议事会 meeting (PDF) and a sketch of where the lift shaft goes (PNG).

All three are drawn here (fpdf2, Pillow) and go through ``attach_document`` like any upload, so
the demo also exercises the checks a real file meets.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.db import unit_of_work
from portal.models import DocumentKind
from portal.services.demo_common import SYSTEM, lift_consultation
from portal.services.documents.background import attach_document
from portal.services.documents.checks import Upload
from portal.settings import get_settings

FONT = "NotoSansSC"
HEADINGS = FontFace(emphasis="", fill_color=(230, 230, 230))  # the one font has no bold face

# 5号楼2单元, six floors, two flats per floor: the shares a 业主大会 would typically argue about
# (higher floors pay more, the ground floor nothing).
COSTS = [("电梯设备及安装", 32.0), ("井道土建及基础", 18.5), ("管线迁移", 6.2),
         ("设计、监理、检测", 4.3), ("不可预见费（约 5%）", 3.0)]
SUBSIDY = 20.0  # 万元, the district's subsidy for an old estate
SHARES = [(1, 0.0), (2, 0.06), (3, 0.14), (4, 0.22), (5, 0.27), (6, 0.31)]

MINUTES = [
    "时间：2026 年 10 月 18 日（周六）上午 9:30—11:20",
    "地点：梧桐里社区居委会二楼活动室",
    "参加：5号楼2单元业主 10 户（其中 2 户委托家属）、居委会 2 人、物业 1 人、设计单位 1 人",
    "一、设计单位介绍方案：电梯井道设在单元入口北侧，平层入户，每层停靠，施工期约 4 个月。",
    "二、一楼两户提出采光和通风受影响，设计单位答复井道采用玻璃幕墙，北侧窗户日照时间基本不变。",
    "三、费用按楼层分摊，一楼不出资；区里补贴 20 万元，其余由二至六楼业主按比例承担。",
    "四、维保费用：前五年由电梯厂家免费维保，之后由使用户按月分摊，物业代收代付。",
    "五、会议决定：在议题“老旧小区加装电梯意见征集”中发起业主表决，纸质票由居委会上门收取。",
    "记录人：陈文员　　核对：王主任",
]


def _pdf(title: str, font_path: Path) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2026, 10, 20, 9, 0, tzinfo=UTC))  # the same bytes on every build
    pdf.set_margins(18, 18, 18)
    pdf.add_font(FONT, "", str(font_path))
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
    pdf.set_font(FONT, size=11)
    return pdf


def costs_pdf(font_path: Path) -> bytes:
    pdf = _pdf("5号楼2单元加装电梯费用测算", font_path)
    pdf.cell(0, 8, "单位：万元（测算，以招标结果为准）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    with pdf.table(col_widths=(3, 1), text_align=("LEFT", "RIGHT"), headings_style=HEADINGS) as table:
        table.row(["项目", "金额"])
        for name, amount in COSTS:
            table.row([name, f"{amount:.1f}"])
        total = sum(a for _, a in COSTS)
        table.row(["合计", f"{total:.1f}"])
        table.row(["区级补贴", f"-{SUBSIDY:.1f}"])
        table.row(["业主自筹", f"{total - SUBSIDY:.1f}"])
    pdf.ln(6)
    pdf.cell(0, 8, "自筹部分按楼层分摊（每层两户平均承担）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    own = total - SUBSIDY
    with pdf.table(col_widths=(1, 1, 1), text_align=("CENTER", "RIGHT", "RIGHT"),
                   headings_style=HEADINGS) as table:
        table.row(["楼层", "分摊比例", "每户（万元）"])
        for floor, share in SHARES:
            table.row([f"{floor} 楼", f"{share:.0%}", f"{own * share / 2:.2f}"])
    return bytes(pdf.output())


def minutes_pdf(font_path: Path) -> bytes:
    pdf = _pdf("5号楼2单元加装电梯议事会会议纪要", font_path)
    for line in MINUTES:
        pdf.multi_cell(0, 7, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    return bytes(pdf.output())


def plan_png(font_path: Path) -> bytes:
    """A plan sketch: the unit's staircase, the flats either side and the new shaft to the north."""
    img = Image.new("RGB", (1200, 800), "white")
    d = ImageDraw.Draw(img)
    big = ImageFont.truetype(str(font_path), 34)
    small = ImageFont.truetype(str(font_path), 26)
    d.text((40, 30), "5号楼2单元加装电梯平面示意（北侧）", font=big, fill="black")
    d.rectangle((100, 330, 500, 700), outline="black", width=4)
    d.text((230, 500), "201 户", font=small, fill="black")
    d.rectangle((700, 330, 1100, 700), outline="black", width=4)
    d.text((830, 500), "202 户", font=small, fill="black")
    d.rectangle((500, 330, 700, 700), outline="black", width=4)
    d.text((545, 500), "楼梯间", font=small, fill="black")
    d.rectangle((520, 140, 680, 330), outline="#1f5fa8", width=6, fill="#dbe8f7")
    d.text((545, 215), "新建井道", font=small, fill="#1f5fa8")
    d.text((100, 730), "井道外墙为玻璃幕墙；平层入户，每层停靠。比例示意，非施工图。", font=small, fill="#444444")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def add_demo_documents(engine: Engine) -> str:
    """Attach the three documents to the demo's 加装电梯 consultation; returns a summary line."""
    font_path = get_settings().font_path

    def work(session: Session) -> str:
        lift = lift_consultation(session)
        if lift is None:
            return ""
        files = [
            ("费用测算.pdf", costs_pdf(font_path), "加装电梯费用测算及分摊", DocumentKind.COSTS),
            ("议事会纪要.pdf", minutes_pdf(font_path), "10月18日议事会会议纪要", DocumentKind.MINUTES),
            ("平面示意.png", plan_png(font_path), "井道位置平面示意图", DocumentKind.PLAN),
        ]
        for filename, data, title, kind in files:
            attach_document(session, actor=SYSTEM, consultation_id=int(lift.id or 0),
                            upload=Upload(filename, data), title=title, kind=kind)
        return f"“{lift.title}”附有 {len(files)} 份背景资料（费用测算、会议纪要、平面示意图）。"

    return unit_of_work(engine, work)
