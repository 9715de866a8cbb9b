"""Open data: a published consultation as CSV and JSON, with a data dictionary.

Only what the results page shows goes out: visible opinions as ``text_public`` (PII redacted),
vote counts per opinion, public themes, assignments, answers and status updates. No resident
ids, no original text, nothing hidden. CSV cells that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) are prefixed with an apostrophe.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from analysis.io import safe_frame
from portal.models import (
    AssignmentSource,
    Channel,
    Decision,
    Opinion,
    Response,
    StatusUpdate,
    ThemeAssignment,
    ThemeStatus,
)
from portal.services.publishing.results import (
    is_overdue,
    public_themes,
    published_consultation,
)
from portal.services.queries import visible_opinions_of, vote_counts
from portal.services.review.summaries import public_summary
from portal.timefmt import iso_date, local_date, today_local

LICENSE = "CC BY 4.0（署名后可自由使用）"

# table -> [(column, type, 说明)]
DICTIONARY: dict[str, list[tuple[str, str, str]]] = {
    "opinions": [
        ("opinion_id", "整数", "意见编号"),
        ("received_on", "日期", "居民提出意见的日期（北京时间）"),
        ("channel", "文本", "提交渠道：网上、纸质、电话、上门走访、12345热线"),
        ("text", "文本", "意见内容；手机号、身份证号、车牌号、门牌号等个人信息已替换为［手机号］等占位符"),
        ("theme_id", "整数", "所属主题编号（见 themes 表），为空表示未归入主题"),
        ("theme", "文本", "所属主题名称"),
        ("agree", "整数", "同意票数"),
        ("disagree", "整数", "不同意票数"),
        ("pass", "整数", "跳过票数"),
        ("duplicate_of", "整数", "与之内容几乎相同的较早意见编号；为空表示不是重复意见"),
        ("theme_decision", "文本", "居委会对所属主题的决定（详见 answers 表）"),
    ],
    "themes": [
        ("theme_id", "整数", "主题编号"),
        ("rank", "整数", "按热度排名，1 为最受关注"),
        ("label", "文本", "主题名称"),
        ("keywords", "文本", "关键词，以顿号分隔"),
        ("summary", "文本", "居委会审核过的主题摘要（意见的摘录和统计）；为空表示摘要未经审核、不公开"),
        ("size", "整数", "该主题下的公开意见数"),
        ("n_distinct", "整数", "合并几乎相同的意见后的条数"),
        ("n_residents", "整数", "提出这些意见的不同居民人数"),
        ("support", "整数", "该主题意见获得的同意票合计"),
        ("opposition", "整数", "该主题意见获得的不同意票合计"),
        ("hot_score", "小数", "热度分：综合意见数、居民数、支持和时间"),
        ("status", "文本", "当前办理状态：待回应、已回应、处理中、已完成、已转交"),
    ],
    "assignments": [
        ("opinion_id", "整数", "意见编号"),
        ("theme_id", "整数", "主题编号"),
        ("source", "文本", "归类来源：模型（自动分析）或居委会（人工调整）"),
    ],
    "answers": [
        ("theme_id", "整数", "主题编号"),
        ("decision", "文本", "居委会的决定：采纳、部分采纳、暂不采纳、转交相关部门"),
        ("reasoning", "文本", "决定的理由"),
        ("responsible_party", "文本", "责任方"),
        ("due_date", "日期", "承诺完成时限"),
        ("answered_on", "日期", "回应日期"),
        ("overdue", "是/否", "已过完成时限但尚未完成或转交"),
    ],
    "status_updates": [
        ("theme_id", "整数", "主题编号"),
        ("on", "日期", "更新日期"),
        ("status", "文本", "更新后的状态"),
        ("note", "文本", "进展说明"),
    ],
    "poll_results": [
        ("poll_id", "整数", "问卷编号"),
        ("poll", "文本", "问卷标题"),
        ("question_id", "整数", "题目编号"),
        ("question", "文本", "题目"),
        ("kind", "文本", "题型：单选、多选、排序"),
        ("option", "文本", "选项（“其他（请说明）”的内容作为意见列在 opinions 表）"),
        ("respondents", "整数", "回答这道题的人数（网上和线下答卷合计，每个参与码一份）"),
        ("count", "整数", "选择该选项的人数；排序题为把它排在第一位的人数"),
        ("share", "小数", "count / respondents"),
        ("points", "整数", "排序题的 Borda 得分（n 个选项中排第一得 n−1 分）；其他题型为空"),
    ],
    "owners_votes": [
        ("vote_id", "整数", "业主表决编号"),
        ("title", "文本", "表决事项"),
        ("matter", "文本", "属于《民法典》第二百七十八条第一款的哪一项"),
        ("scope", "文本", "表决范围（楼栋、单元）"),
        ("rule", "文本", "适用的表决规则"),
        ("eligible_households", "整数", "范围内的业主户数（一个专有部分计一户）"),
        ("eligible_area_m2", "小数", "范围内的专有部分总面积（平方米）"),
        ("voted_households", "整数", "参与表决的户数"),
        ("voted_area_m2", "小数", "参与表决的专有部分面积"),
        ("agree_households", "整数", "同意的户数"),
        ("agree_area_m2", "小数", "同意的专有部分面积"),
        ("oppose_households", "整数", "反对的户数"),
        ("abstain_households", "整数", "弃权的户数"),
        ("participation_met", "是/否", "参与是否达到面积和人数各三分之二以上"),
        ("agreement_met", "是/否", "同意是否达到规定比例（面积和人数都要达到）"),
        ("passed", "是/否", "表决是否通过"),
    ],
}
TABLE_LABELS = {"opinions": "意见", "themes": "主题", "assignments": "意见归类",
                "answers": "居委会回应", "status_updates": "办理进展", "poll_results": "问卷结果",
                "owners_votes": "业主表决"}


@dataclass(frozen=True)
class OpenData:
    consultation: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    def dictionary_frame(self) -> pd.DataFrame:
        return dictionary_frame()


def dictionary_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [{"table": t, "表名": TABLE_LABELS[t], "column": c, "类型": ty, "说明": d}
         for t, cols in DICTIONARY.items() for c, ty, d in cols],
        columns=["table", "表名", "column", "类型", "说明"],
    )


def _frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=[c for c, _, _ in DICTIONARY[table]])
    for column, kind, _ in DICTIONARY[table]:
        if kind == "整数":
            df[column] = df[column].astype("Int64")  # keeps "3", not "3.0", next to blanks
    return df


def collect(session: Session, consultation_id: int, *, today: date | None = None) -> OpenData:
    """All public data of one published consultation as tables (see ``DICTIONARY``)."""
    c = published_consultation(session, consultation_id)
    today = today or today_local()
    themes = public_themes(session, consultation_id)
    theme_by_id = {t.id: t for t in themes}
    opinions = session.exec(
        select(col(Opinion.id), col(Opinion.received_at), col(Opinion.channel),  # type: ignore[call-overload]
               col(Opinion.text_public), col(Opinion.duplicate_of_id))
        .where(visible_opinions_of(consultation_id))
        .order_by(col(Opinion.id))
    ).all()
    visible = {o[0] for o in opinions}
    tally = vote_counts(session, visible)
    assignments = [
        (oid, tid, src) for oid, tid, src in session.exec(
            select(ThemeAssignment.opinion_id, ThemeAssignment.theme_id, ThemeAssignment.source)
            .where(col(ThemeAssignment.theme_id).in_(list(theme_by_id)))
            .order_by(col(ThemeAssignment.opinion_id))
        ).all() if oid in visible
    ]
    theme_of = {oid: tid for oid, tid, _ in assignments}
    responses = list(session.exec(select(Response).where(col(Response.theme_id).in_(list(theme_by_id)))
                                  .order_by(col(Response.theme_id))))
    decision_of = {r.theme_id: Decision(r.decision).label for r in responses}

    op_rows = [{
        "opinion_id": oid, "received_on": local_date(at).isoformat(), "channel": Channel(ch).label,
        "text": text, "theme_id": theme_of.get(oid),
        "theme": theme_by_id[theme_of[oid]].label if oid in theme_of else "",
        "agree": tally[oid].agree, "disagree": tally[oid].disagree, "pass": tally[oid].passes,
        "duplicate_of": dup if dup in visible else None,
        "theme_decision": decision_of.get(theme_of.get(oid, 0), ""),
    } for oid, at, ch, text, dup in opinions]
    theme_rows = [{
        "theme_id": t.id, "rank": rank, "label": t.label, "keywords": "、".join(t.keywords or []),
        "summary": public_summary(t), "size": t.size, "n_distinct": t.n_distinct, "n_residents": t.n_residents,
        "support": t.support, "opposition": t.opposition, "hot_score": round(float(t.hot_score), 4),
        "status": ThemeStatus(t.status).label,
    } for rank, t in enumerate(themes, start=1)]
    assign_rows = [{"opinion_id": oid, "theme_id": tid,
                    "source": "居委会" if src == AssignmentSource.COMMITTEE else "模型"}
                   for oid, tid, src in assignments]
    answer_rows = [{
        "theme_id": r.theme_id, "decision": Decision(r.decision).label, "reasoning": r.reasoning,
        "responsible_party": r.responsible_party,
        "due_date": r.due_date.isoformat() if r.due_date else None,
        "answered_on": local_date(r.created_at).isoformat(),
        "overdue": "是" if is_overdue(r.due_date, theme_by_id[r.theme_id].status, today) else "否",
    } for r in responses]
    status_rows = [{"theme_id": u.theme_id, "on": local_date(u.created_at).isoformat(),
                    "status": ThemeStatus(u.status).label, "note": u.note}
                   for u in session.exec(select(StatusUpdate)
                                         .where(col(StatusUpdate.theme_id).in_(list(theme_by_id)))
                                         .order_by(col(StatusUpdate.theme_id), col(StatusUpdate.created_at),
                                                   col(StatusUpdate.id)))]
    poll_rows, vote_rows = _decision_rows(session, consultation_id)
    meta = {
        "id": c.id, "title": c.title, "question": c.question,
        "opens_at": iso_date(c.opens_at), "closes_at": iso_date(c.closes_at), "published_at": iso_date(c.published_at),
        "license": LICENSE, "exported_on": today.isoformat(),
        "note": "仅包含公开的意见；个人信息已脱敏；不含居民身份信息。",
    }
    return OpenData(meta, {
        "opinions": _frame("opinions", op_rows), "themes": _frame("themes", theme_rows),
        "assignments": _frame("assignments", assign_rows), "answers": _frame("answers", answer_rows),
        "status_updates": _frame("status_updates", status_rows),
        "poll_results": _frame("poll_results", poll_rows), "owners_votes": _frame("owners_votes", vote_rows),
    })


def _decision_rows(session: Session, consultation_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Poll results the public may see (not those hidden until a close) and published owners' votes."""
    from portal.services.decisions import owners_votes_of, poll_results, polls_of, rule_text

    polls = []
    for p in polls_of(session, consultation_id=consultation_id):
        r = poll_results(session, poll_id=p.poll_id)
        if r.hidden:
            continue
        for q in r.questions:
            ranking = str(q.kind) == "ranking"
            polls += [{"poll_id": p.poll_id, "poll": p.title, "question_id": q.question_id, "question": q.text,
                       "kind": q.kind.label, "option": o.label, "respondents": q.respondents, "count": o.count,
                       "share": round(o.share, 4), "points": o.points if ranking else None} for o in q.options]
    votes = []
    for v in owners_votes_of(session, consultation_id=consultation_id, public=True):
        t = v.tally
        votes.append({
            "vote_id": v.vote_id, "title": v.title, "matter": t.matter.label, "scope": v.scope,
            "rule": rule_text(t.matter), "eligible_households": t.eligible_households,
            "eligible_area_m2": float(t.eligible_area), "voted_households": t.voted_households,
            "voted_area_m2": float(t.voted_area), "agree_households": t.agree_households,
            "agree_area_m2": float(t.agree_area), "oppose_households": t.oppose_households,
            "abstain_households": t.abstain_households,
            "participation_met": "是" if t.participation_met else "否",
            "agreement_met": "是" if t.agreement_met else "否", "passed": "是" if t.passed else "否"})
    return polls, votes


# ---------------------------------------------------------------- formats


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark so Excel shows Chinese; formulas neutralised."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def opinions_csv(data: OpenData) -> bytes:
    """The one-file download: every public opinion with its theme and the theme's decision."""
    return to_csv_bytes(data.tables["opinions"])


def to_json_bytes(data: OpenData) -> bytes:
    def records(df: pd.DataFrame) -> list[dict[str, Any]]:
        return json.loads(df.to_json(orient="records", force_ascii=False))

    doc = {
        "consultation": data.consultation,
        "data_dictionary": {t: [{"column": c, "type": ty, "description": d} for c, ty, d in cols]
                            for t, cols in DICTIONARY.items()},
        **{name: records(df) for name, df in data.tables.items()},
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def to_zip_bytes(data: OpenData) -> bytes:
    """Every table as its own CSV plus 数据说明.csv, in one ZIP."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, df in data.tables.items():
            z.writestr(f"{name}.csv", to_csv_bytes(df))
        z.writestr("data_dictionary.csv", to_csv_bytes(dictionary_frame()))
        z.writestr("README.txt", readme_text(data).encode("utf-8"))
    return buf.getvalue()


def readme_text(data: OpenData) -> str:
    c = data.consultation
    lines = [f"{c['title']} — 开放数据", "", f"问题：{c['question']}",
             f"征集时间：{c['opens_at']} 至 {c['closes_at']}；公示日期：{c['published_at']}",
             f"导出日期：{c['exported_on']}；许可：{c['license']}", c["note"], "",
             "以 = + - @ 开头的文本前加了单引号，防止电子表格把它当作公式执行。", ""]
    for t, cols in DICTIONARY.items():
        lines.append(f"{t}.csv（{TABLE_LABELS[t]}）")
        lines += [f"  {col_}（{ty}）：{d}" for col_, ty, d in cols]
    return "\n".join(lines) + "\n"


def file_stem(data: OpenData) -> str:
    return f"consultation-{data.consultation['id']}"
