"""The printable notice (公示) of a published consultation: an A4 PDF for the notice board.

Built from :class:`portal.services.results.ConsultationResults`, so it shows exactly what the
results page shows (redacted, visible content only). The bar chart is drawn with fpdf2's own
vector primitives (sharp when printed, no plotting library); a QR code leads to the results page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from sqlmodel import Session

from portal.services.publishing.accountability import results_page_path
from portal.services.publishing.results import (
    ConsultationResults,
    load_results,
)
from portal.settings import get_settings
from portal.timefmt import OPEN_END, format_date, today_local

RED = (181, 69, 44)
GREY = (90, 90, 90)
LIGHT = (235, 235, 235)
GREEN = (46, 125, 91)
FONT = "noto"
NUMERALS = "一二三四五六七八九十"


class _Notice(FPDF):
    def __init__(self, font_path: Path, community: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.community = community
        self.sections = 0
        self.add_font(FONT, "", str(font_path))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title("结果公示")
        self.set_creator("社区议事厅")
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.community} · 社区议事厅 · 第 {self.page_no()} 页 / 共 {{nb}} 页",
                  align="C")

    def para(self, text: str, size: float = 10.5, h: float = 6, color: tuple[int, int, int] = (0, 0, 0),
             indent: float = 0) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*color)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, h, text, wrapmode=WrapMode.CHAR,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        """A section heading, numbered 一、二、三… in the order printed (a number written in
        ``text`` is replaced), so an optional section leaves no gap in the numbering."""
        self.sections += 1
        text = f"{NUMERALS[self.sections - 1]}、{re.sub(r'^[一二三四五六七八九十]+、', '', text)}"
        if self.will_page_break(22):
            self.add_page()
        self.ln(3)
        self.set_font(FONT, size=13)
        self.set_text_color(*RED)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RED)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.epw, self.get_y())
        self.ln(2)


def _bar_chart(pdf: _Notice, rows: list[tuple[str, int, str]], title: str) -> None:
    """Horizontal bars (label, value, caption) drawn with rectangles and text."""
    if not rows:
        return
    row_h, label_w = 7.0, 42.0
    height = 8 + row_h * len(rows)
    if pdf.will_page_break(height):
        pdf.add_page()
    pdf.set_font(FONT, size=9.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    x0 = pdf.l_margin + label_w
    bar_w = pdf.epw - label_w - 38
    top = max(v for _, v, _ in rows) or 1
    for label, value, caption in rows:
        y = pdf.get_y()
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, size=9.5)
        shown = label if pdf.get_string_width(label) <= label_w - 2 else label[:9] + "…"
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, row_h, shown, align="R")
        pdf.set_fill_color(*LIGHT)
        pdf.rect(x0, y + 1.4, bar_w, row_h - 2.8, style="F")
        pdf.set_fill_color(*RED)
        pdf.rect(x0, y + 1.4, max(0.8, bar_w * value / top), row_h - 2.8, style="F")
        pdf.set_xy(x0 + bar_w + 2, y)
        pdf.set_font(FONT, size=8.5)
        pdf.set_text_color(*GREY)
        pdf.cell(36, row_h, caption)
        pdf.set_y(y + row_h)
    pdf.ln(2)


def _decisions_section(pdf: _Notice, polls: Sequence[Any], owner_votes: Sequence[Any]) -> None:
    """三、问卷与业主表决: each poll's answers per question, each published owners' vote with the
    rule of 《民法典》第二百七十八条, its four figures and the outcome (平方米: the notice font has no ²)."""
    from portal.services.decisions import fmt_m2, percent, rule_text

    pdf.heading("三、问卷与业主表决")
    for r in polls:
        channels = "，".join(f"{k} {v} 份" for k, v in r.by_channel.items())
        pdf.para(f"问卷“{r.title}”：共 {r.respondents} 份答卷" + (f"（{channels}）" if channels else "") + "。")
        for q in r.questions:
            if str(q.kind) == "ranking":
                rows = [(o.label, o.points, f"得分 {o.points} · 排第一 {o.count} 人") for o in q.options]
            else:
                rows = [(o.label, o.count, f"{o.count} 人 · {o.share:.0%}") for o in q.options]
            _bar_chart(pdf, rows, f"{q.text}（{q.kind.label}，{q.respondents} 人回答）")
    for v in owner_votes:
        t = v.tally
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.para(f"业主表决“{v.title}”（范围：{v.scope}）", size=11)
        pdf.para(rule_text(t.matter), size=9.5, color=GREY, indent=5)
        need = "3/4" if t.supermajority else "过半数"
        pdf.para(f"参与：{t.voted_households}/{t.eligible_households} 户（{percent(t.participation_head_share)}），"
                 f"{fmt_m2(t.voted_area)}/{fmt_m2(t.eligible_area)} 平方米（{percent(t.participation_area_share)}），"
                 f"门槛各 2/3：{'达到' if t.participation_met else '未达到'}。", indent=5)
        pdf.para(f"同意：{t.agree_households}/{t.voted_households} 户（{percent(t.agree_head_share)}），"
                 f"{fmt_m2(t.agree_area)}/{fmt_m2(t.voted_area)} 平方米（{percent(t.agree_area_share)}），"
                 f"门槛各{need}：{'达到' if t.agreement_met else '未达到'}。"
                 f"反对 {t.oppose_households} 户，弃权 {t.abstain_households} 户。", indent=5)
        pdf.para(f"表决结果：{'通过' if t.passed else '未通过'}。{t.outcome_text().replace(' m²', ' 平方米')}", indent=5,
                 color=(0, 0, 0) if t.passed else RED)


def _qr_png(url: str) -> io.BytesIO:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=8, border=2)
    buf.seek(0)
    return buf


def render_notice(results: ConsultationResults, *, font_path: Path, results_url: str,
                  printed_on: date | None = None, documents: Sequence[tuple[str, str, str]] = (),
                  n_photos: int = 0, polls: Sequence[Any] = (), owner_votes: Sequence[Any] = ()) -> bytes:
    """The notice as PDF bytes. ``documents``: (title, kind, "PDF · 1.2 MB") of the public
    documents behind the consultation; ``n_photos``: residents' photos staff made public;
    ``polls``: public poll results (``decisions.PollResults``); ``owner_votes``: published
    owners' votes (``decisions.OwnersVoteCard``)."""
    r = results
    community = r.community or "社区"
    pdf = _Notice(font_path, community)
    pdf.set_subject(f"关于“{r.title}”意见征集结果的公示")
    pdf.add_page()

    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*RED)
    pdf.cell(0, 6, f"{community}居民委员会 · 议事结果公示", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(5)
    pdf.set_font(FONT, size=19)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, 10, f"关于“{r.title}”意见征集结果的公示", align="C", wrapmode=WrapMode.CHAR,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.para(f"各位居民：{community}于{format_date(r.opens_at, empty=OPEN_END)}至{format_date(r.closes_at, empty=OPEN_END)}就“{r.question}”"
             f"征求居民意见。感谢大家的参与！现将意见整理结果和居委会的回应公示如下。", size=11, h=6.5)

    pdf.heading("参与情况")
    pdf.para(f"共收到公开意见 {r.n_opinions} 条，来自 {r.n_authors} 位居民；"
             f"共有 {r.n_participants} 位居民参与（提出意见或投票），投票 {r.n_votes} 次。"
             + (f"居民名册共 {r.roster_size} 人。" if r.roster_size else ""))
    if len(r.channels):
        parts = "、".join(f"{ch} {n} 条" for ch, n in zip(r.channels["渠道"], r.channels["意见数"], strict=True))
        pdf.para(f"意见来源：{parts}。")
    if len(r.areas):
        # a building outside any 网格 is named itself, never printed as a bare "； 3/4 人"
        named = r.areas.assign(片区=[str(g).strip() or str(b).strip() or "未分网格"
                                     for g, b in zip(r.areas["网格"], r.areas["楼栋"], strict=True)])
        grids = named.groupby("片区", sort=False)[["参与人数", "名册人数"]].sum()
        parts = "；".join(f"{g} {int(row['参与人数'])}/{int(row['名册人数'])} 人"
                         for g, row in grids.iterrows() if row["名册人数"])
        any_grid = any(str(g).strip() for g in r.areas["网格"])
        if parts:
            pdf.para(f"{'各网格' if any_grid else '各楼栋'}参与人数/名册人数：{parts}。", color=GREY, size=9.5)

    pdf.heading("居民意见的主要主题和居委会的回应")
    _bar_chart(pdf, [(t.label, t.size, f"{t.size} 条 · 同意 {t.support}") for t in r.themes],
               "各主题意见数（条）")
    for t in r.themes:
        if pdf.will_page_break(28):
            pdf.add_page()
        pdf.ln(1.5)
        pdf.set_font(FONT, size=11.5)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(0, 7, f"{t.rank}. {t.label}", wrapmode=WrapMode.CHAR,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.para(f"意见 {t.size} 条，涉及居民 {t.n_residents} 人；同意 {t.support} 票，不同意 {t.opposition} 票。"
                 + (f"关键词：{'、'.join(t.keywords[:6])}。" if t.keywords else ""), size=9.5, color=GREY, indent=5)
        if t.summary:  # only a summary the committee reviewed (see review.summaries)
            pdf.para(f"居民意见摘要：{t.summary}", size=10, indent=5)
        if t.answer is None:
            pdf.para("居委会回应：正在研究，回应后将另行公示。", indent=5)
            continue
        a = t.answer
        pdf.para(f"居委会决定：{a.decision}。{a.reasoning}", indent=5)
        due = f"，完成时限：{format_date(a.due_date)}" if a.due_date else ""
        last = t.timeline[-1] if t.timeline else None
        note = last.note.strip().rstrip("。．.；;，,") if last else ""
        progress = f"（{format_date(last.on)}：{note}）" if last and note else ""
        overdue = "，已超过完成时限" if a.overdue else ""
        pdf.para(f"责任方：{a.responsible_party}{due}。当前进度：{t.status}{progress}{overdue}。",
                 size=9.5, indent=5, color=RED if a.overdue else GREY)

    if polls or owner_votes:
        _decisions_section(pdf, polls, owner_votes)

    if documents or n_photos:
        pdf.heading("议题资料")
        for i, (title, kind, size) in enumerate(documents, 1):
            pdf.para(f"{i}. {title}（{kind}，{size}）", indent=2)
        if documents:
            pdf.para("以上资料可扫描下方二维码，在网上查看和下载。", size=9.5, color=GREY)
        if n_photos:
            pdf.para(f"居民随意见上传的现场照片，经居委会审核后公开 {n_photos} 张，可在网上查看。", size=9.5, color=GREY)

    if pdf.will_page_break(48):
        pdf.add_page()
    pdf.heading("查看完整结果")
    y = pdf.get_y()
    pdf.image(_qr_png(results_url), x=pdf.l_margin + pdf.epw - 34, y=y, w=34, h=34)
    pdf.set_right_margin(18 + 38)
    pdf.para("扫描右侧二维码，可在网上查看全部公开意见、各主题的办理进度和开放数据。"
             "如对公示内容有疑问，请在公示期内到居委会反映。", size=10.5)
    pdf.para(results_url, size=8.5, color=GREY)
    pdf.set_right_margin(18)
    pdf.set_y(max(pdf.get_y(), y + 36))
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(0, 7, f"{community}居民委员会", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 7, f"公示日期：{format_date(r.published_at or printed_on or today_local())}", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def notice_pdf(session: Session, consultation_id: int) -> bytes:
    """The notice of one published consultation, with a QR code to its results page."""
    from portal.services.decisions import owners_votes_of, poll_results, polls_of
    from portal.services.documents import count_public_photos, list_documents

    results = load_results(session, consultation_id)
    s = get_settings()
    shown_polls = [r for p in polls_of(session, consultation_id=consultation_id)
                   if not (r := poll_results(session, poll_id=p.poll_id)).hidden and r.respondents]
    documents = [(d.title, d.kind_label, f"{'图片' if d.is_image else 'PDF'} · {d.size_label}")
                 for d in list_documents(session, consultation_id=consultation_id, actor=None)]
    return render_notice(results, font_path=s.font_path,
                         results_url=results_page_path(consultation_id, s.public_base_url),
                         documents=documents, n_photos=count_public_photos(session, consultation_id=consultation_id),
                         polls=shown_polls, owner_votes=owners_votes_of(session, consultation_id=consultation_id,
                                                                        public=True))
