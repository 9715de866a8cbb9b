"""Shared views of polls and owners' votes (committee, resident and public pages)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal.charts import owners_vote_chart, poll_question_chart
from portal.services.decisions import OwnersVoteCard, PollResults, fmt_m2, percent, rule_text
from portal.ui.widgets import md, show_chart


def tally_panel(card: OwnersVoteCard, *, chart: bool = True) -> None:
    """The rule that applies, the four figures, whether each threshold holds and what is missing."""
    t = card.tally
    st.caption(md(rule_text(t.matter)))
    yes, no = "✅ 达到", "❌ 未达到"
    rows = [
        {"门槛": "参与 · 户数（≥ 2/3）", "数字": f"{t.voted_households} / {t.eligible_households} 户",
         "占比": percent(t.participation_head_share), "结果": yes if t.participation_heads_met else no},
        {"门槛": "参与 · 面积（≥ 2/3）", "数字": f"{fmt_m2(t.voted_area)} / {fmt_m2(t.eligible_area)} m²",
         "占比": percent(t.participation_area_share), "结果": yes if t.participation_area_met else no},
        {"门槛": f"同意 · 户数（{'≥ 3/4' if t.supermajority else '过半数'}）",
         "数字": f"{t.agree_households} / {t.voted_households} 户",
         "占比": percent(t.agree_head_share), "结果": yes if t.agreement_heads_met else no},
        {"门槛": f"同意 · 面积（{'≥ 3/4' if t.supermajority else '过半数'}）",
         "数字": f"{fmt_m2(t.agree_area)} / {fmt_m2(t.voted_area)} m²",
         "占比": percent(t.agree_area_share), "结果": yes if t.agreement_area_met else no},
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(f"反对 {t.oppose_households} 户（{fmt_m2(t.oppose_area)} m²），"
               f"弃权 {t.abstain_households} 户（{fmt_m2(t.abstain_area)} m²）。")
    if t.passed:
        st.success(t.outcome_text())
    else:
        st.warning(t.outcome_text())
    if chart:
        show_chart(owners_vote_chart(t))


def poll_results_panel(results: PollResults, *, key: str) -> None:
    """A poll's results: per question a chart and, when grouped, a table against the roster."""
    if results.hidden:
        st.info("居委会设置了问卷截止后再公布结果。")
        return
    channels = "，".join(f"{k} {v} 份" for k, v in results.by_channel.items())
    st.write(f"共 {results.respondents} 份答卷" + (f"（{channels}）" if channels else "") + "。")
    if not results.respondents:
        return
    for q in results.questions:
        show_chart(poll_question_chart(q))
        if q.groups:
            table = []
            for g in q.groups:
                row: dict[str, object] = {"分组": g.group, "答卷": g.respondents,
                                          "名册人数": g.roster or "—"}
                row.update({label: g.counts.get(label, 0) for label in (o.label for o in q.options)})
                table.append(row)
            st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")


def answer_widgets(questions: list, *, key: str, existing: dict | None = None) -> tuple[dict, dict]:
    """Widgets for answering a poll (inside a form); returns (answers, other texts) by question id.

    Single choice: radio; multiple: multiselect capped at the maximum; ranking: a multiselect in
    which the order of picking is the ranking (first picked = first place).
    """
    from portal.models import PollKind
    from portal.services.decisions import OTHER_LABEL

    existing = existing or {}
    answers: dict[int, list[int]] = {}
    others: dict[int, str] = {}
    for n, q in enumerate(questions, start=1):
        labels = list(q.options) + ([OTHER_LABEL] if q.allow_other else [])
        before = [i for i in existing.get(str(q.id), []) if 0 <= i < len(labels)]
        kind = PollKind(q.kind)
        title = f"{n}. {q.text}"
        if kind == PollKind.SINGLE:
            picked = st.radio(title, range(len(labels)), format_func=labels.__getitem__,
                              index=before[0] if before else None, key=f"{key}.q{q.id}")
            answers[q.id] = [] if picked is None else [picked]
        elif kind == PollKind.MULTIPLE:
            answers[q.id] = st.multiselect(
                title + (f"（最多选 {q.max_choices} 项）" if q.max_choices else ""), range(len(labels)),
                default=before, format_func=labels.__getitem__, max_selections=q.max_choices,
                placeholder="请选择", key=f"{key}.q{q.id}")
        else:
            answers[q.id] = st.multiselect(
                title + "（按顺序点选全部选项：先选的排在前面）", range(len(labels)), default=before,
                format_func=labels.__getitem__, placeholder="请依次点选", key=f"{key}.q{q.id}")
        if q.allow_other:
            others[q.id] = st.text_input(f"选“{OTHER_LABEL}”时请写下具体内容", key=f"{key}.o{q.id}",
                                         max_chars=1000)
    return answers, others


def poll_builder(key: str) -> tuple[str, str, list, bool, bool]:
    """The 新建问卷 form: (title, intro, question drafts, hide results until close, submitted)."""
    from portal.models import PollKind
    from portal.services.decisions import QuestionDraft

    n = int(st.number_input("题目数量", min_value=1, max_value=10, value=1, key=f"{key}.nq"))
    with st.form(f"{key}.new_poll"):
        title = st.text_input("问卷标题", key=f"{key}.poll_title", max_chars=100)
        intro = st.text_area("说明（可不填）", key=f"{key}.poll_intro", max_chars=1000)
        drafts = []
        for i in range(n):
            st.markdown(f"**第 {i + 1} 题**")
            text = st.text_input("题目", key=f"{key}.q{i}.text", max_chars=200)
            kind = st.selectbox("题型", list(PollKind), format_func=lambda k: k.label, key=f"{key}.q{i}.kind", placeholder="请选择")
            options = st.text_area("选项（每行一个）", key=f"{key}.q{i}.options", height=110)
            max_choices = st.number_input("多选题最多可选几项（0 = 不限）", min_value=0, max_value=12,
                                          value=0, key=f"{key}.q{i}.max")
            other = st.checkbox("允许填写“其他（请说明）”（排序题不适用）", key=f"{key}.q{i}.other")
            drafts.append(QuestionDraft(text, kind, options.splitlines(), int(max_choices) or None, other))
        hide = st.checkbox("问卷截止前不公开结果", key=f"{key}.poll_hide")
        created = st.form_submit_button("创建问卷", type="primary")
    return title, intro, drafts, hide, created
