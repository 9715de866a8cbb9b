"""The committee's own record of a consultation: every table, with the original texts that the
public never sees, as one .xlsx workbook (a sheet per table) or a .zip of CSV files.

Cells that a spreadsheet would run as a formula (starting with = + - @, or a tab / carriage
return) are prefixed with an apostrophe, so a resident who types ``=HYPERLINK(...)`` into an
opinion cannot make the committee's Excel do anything.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from analysis.io import neutralise
from portal.models import (
    Area,
    Channel,
    Comment,
    CommitteeUser,
    Consultation,
    Decision,
    Opinion,
    Phase,
    Response,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    ThemeStatus,
    Visibility,
    Vote,
    VoteValue,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor
from portal.timefmt import format_datetime, iso_date, today_local


def _time(dt: datetime | None) -> str:
    return format_datetime(dt, empty="")  # Beijing time; a data file leaves a missing time empty


def _label(enum_cls: Any, value: Any) -> str:
    try:
        return enum_cls(value).label
    except (ValueError, KeyError, AttributeError):
        return str(value or "")


def export_tables(session: Session, *, actor: Actor, consultation_id: int) -> dict[str, pd.DataFrame]:
    """All of a consultation's data as DataFrames, one per sheet (Chinese column names).

    Records the export in the audit log; the caller commits.
    """
    c = tenancy.consultation_for(session, actor, consultation_id, "export_data", write=False)
    areas = {a.id: a for a in session.exec(select(Area).where(Area.community_id == c.community_id))}
    users = {u.id: u.display_name or u.username for u in session.exec(select(CommitteeUser))}
    opinions = list(session.exec(select(Opinion).where(Opinion.consultation_id == consultation_id)
                                 .order_by(col(Opinion.id))))
    op_ids = [o.id for o in opinions]
    votes = list(session.exec(select(Vote).where(col(Vote.opinion_id).in_(op_ids)).order_by(col(Vote.id))))
    comments = list(session.exec(select(Comment).where(col(Comment.opinion_id).in_(op_ids))
                                 .order_by(col(Comment.id))))
    themes = list(session.exec(select(Theme).where(Theme.consultation_id == consultation_id)
                               .order_by(col(Theme.position), col(Theme.id))))
    theme_ids = [t.id for t in themes]
    theme_label = {t.id: t.label for t in themes}
    assignment = {a.opinion_id: a for a in session.exec(
        select(ThemeAssignment).where(col(ThemeAssignment.opinion_id).in_(op_ids)))}
    responses = list(session.exec(select(Response).where(col(Response.theme_id).in_(theme_ids))))
    updates = list(session.exec(select(StatusUpdate).where(col(StatusUpdate.theme_id).in_(theme_ids))
                                .order_by(col(StatusUpdate.theme_id), col(StatusUpdate.created_at))))
    tally: Counter[tuple[int | None, str]] = Counter((v.opinion_id, str(v.value)) for v in votes)

    def area_name(area_id: int | None) -> str:
        a = areas.get(area_id) if area_id else None
        return a.name if a else ""

    tables: dict[str, pd.DataFrame] = {}
    tables["议题"] = pd.DataFrame([{
        "编号": c.id, "标题": c.title, "问题": c.question, "背景": c.background,
        "阶段": _label(Phase, c.phase), "开始日期": iso_date(c.opens_at) or "",
        "截止日期": iso_date(c.closes_at) or "", "公示时间": _time(c.published_at),
        "导出时间": _time(datetime.now(UTC)),
    }])
    tables["意见"] = pd.DataFrame([{
        "意见编号": o.id, "原文": o.text_original, "公开文本": o.text_public,
        "渠道": _label(Channel, o.channel), "楼栋": area_name(o.area_id),
        "网格": areas[o.area_id].grid if o.area_id in areas else "",
        "居民编号": o.resident_id or "", "匿名": "是" if o.anonymous else "否",
        "收到时间": _time(o.received_at), "录入人": users.get(o.entered_by, "") if o.entered_by else "",
        "状态": _label(Visibility, o.visibility), "审核理由": o.moderation_reason,
        "自动标记": "、".join(o.flags or []), "个人信息类型": "、".join(o.pii_kinds or []),
        "重复于": o.duplicate_of_id or "",
        "主题": theme_label.get(assignment[o.id].theme_id, "") if o.id in assignment else "",
        "同意": tally[(o.id, VoteValue.AGREE.value)], "不同意": tally[(o.id, VoteValue.DISAGREE.value)],
        "跳过": tally[(o.id, VoteValue.PASS.value)],
    } for o in opinions], columns=["意见编号", "原文", "公开文本", "渠道", "楼栋", "网格", "居民编号",
                                   "匿名", "收到时间", "录入人", "状态", "审核理由", "自动标记",
                                   "个人信息类型", "重复于", "主题", "同意", "不同意", "跳过"])
    tables["投票"] = pd.DataFrame([{
        "意见编号": v.opinion_id, "居民编号": v.resident_id, "投票": _label(VoteValue, v.value),
        "投票时间": _time(v.updated_at),
    } for v in votes], columns=["意见编号", "居民编号", "投票", "投票时间"])
    tables["留言"] = pd.DataFrame([{
        "留言编号": m.id, "意见编号": m.opinion_id, "回复于": m.parent_id or "",
        "原文": m.text_original, "公开文本": m.text_public,
        "作者": (f"居委会：{users.get(m.committee_user_id, '')}" if m.committee_user_id
                 else f"居民 {m.resident_id}" if m.resident_id else ""),
        "状态": _label(Visibility, m.visibility), "审核理由": m.moderation_reason,
        "时间": _time(m.created_at),
    } for m in comments], columns=["留言编号", "意见编号", "回复于", "原文", "公开文本", "作者", "状态",
                                   "审核理由", "时间"])
    tables["主题"] = pd.DataFrame([{
        "主题编号": t.id, "主题": t.label, "关键词": "、".join(t.keywords or []), "摘要": t.summary,
        "摘要已审核": "是" if t.summary_reviewed_at else "否（机器草稿，不公开）",
        "意见数": t.size, "去重后": t.n_distinct, "居民数": t.n_residents, "支持": t.support,
        "反对": t.opposition, "热度": round(t.hot_score, 3), "重点": "是" if t.priority else "否",
        "经人工整理": "是" if t.curated else "否", "有效": "是" if t.active else "否（已合并或停用）",
        "办理状态": _label(ThemeStatus, t.status),
    } for t in themes], columns=["主题编号", "主题", "关键词", "摘要", "摘要已审核", "意见数", "去重后", "居民数",
                                 "支持",
                                 "反对", "热度", "重点", "经人工整理", "有效", "办理状态"])
    tables["回应"] = pd.DataFrame([{
        "主题编号": r.theme_id, "主题": theme_label.get(r.theme_id, ""),
        "决定": _label(Decision, r.decision), "理由": r.reasoning, "责任方": r.responsible_party,
        "办结期限": str(r.due_date or ""), "回应人": users.get(r.created_by, "") if r.created_by else "",
        "回应时间": _time(r.created_at),
    } for r in responses], columns=["主题编号", "主题", "决定", "理由", "责任方", "办结期限", "回应人",
                                    "回应时间"])
    tables["办理进度"] = pd.DataFrame([{
        "主题编号": u.theme_id, "主题": theme_label.get(u.theme_id, ""),
        "状态": _label(ThemeStatus, u.status), "说明": u.note, "时间": _time(u.created_at),
    } for u in updates], columns=["主题编号", "主题", "状态", "说明", "时间"])
    from portal.services.consultations.participation_check import check_participation

    for dimension, sheet in (("area", "参与-楼栋"), ("age_band", "参与-年龄段")):
        check = check_participation(session, actor=actor,
                                    consultation_id=consultation_id, dimension=dimension)
        tables[sheet] = pd.DataFrame([{
            check.label: g.group, "名册人数": g.roster, "参与人数": g.participants,
            "参与率": round(g.rate, 3), "名册占比": round(g.roster_share, 3),
            "参与者占比": round(g.participant_share, 3), "参与偏少": "是" if g.under_represented else "",
        } for g in check.groups], columns=[check.label, "名册人数", "参与人数", "参与率", "名册占比",
                                           "参与者占比", "参与偏少"])
    for name, df in tables.items():
        tables[name] = df.map(neutralise) if not df.empty else df
    audit.record(session, actor=actor.audit_name, action="consultation.export",
                 target_type="consultation", target_id=consultation_id,
                 detail={name: len(df) for name, df in tables.items()})
    return tables


def export_summary(tables: dict[str, pd.DataFrame]) -> str:
    """What was exported, in one sentence. The 主题 sheet keeps merged and retired themes (marked
    有效=否) for the record; the sentence counts the themes as the committee sees them, so four
    themes after a merge read "主题 4 个", not "5 行"."""
    parts = []
    for name, df in tables.items():
        if name == "主题" and "有效" in df.columns:
            n_active = int((df["有效"] == "是").sum())
            retired = len(df) - n_active
            parts.append(f"主题 {n_active} 个" + (f"（另有 {retired} 个已合并或停用，表中标为“有效：否”）"
                                                 if retired else ""))
        else:
            parts.append(f"{name} {len(df)} 行")
    return "已生成：" + "，".join(parts) + "。"


def to_xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for idx, column in enumerate(df.columns, start=1):
                longest = max([len(str(column))] + [len(str(v)) for v in df[column].head(200)])
                sheet.column_dimensions[sheet.cell(1, idx).column_letter].width = min(60, 4 + longest * 1.6)
    return buf.getvalue()


def to_csv_zip(tables: dict[str, pd.DataFrame]) -> bytes:
    """One UTF-8 (with BOM, so Excel shows Chinese correctly) CSV per table, zipped."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, df in tables.items():
            zf.writestr(f"{name}.csv", df.to_csv(index=False).encode("utf-8-sig"))
    return buf.getvalue()


def export_filename(c: Consultation, ext: str) -> str:
    safe = "".join(ch for ch in c.title if ch.isalnum())[:30] or "议题"
    return f"{safe}-{today_local():%Y%m%d}.{ext}"
