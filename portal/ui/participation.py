"""Participation against the roster, as 参与情况 (staff) and the street's 社区详情 show it: totals,
the under-represented groups, a chart and a table. Counts per group only, never a resident."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal.charts import participation_chart
from portal.services.consultations.participation_check import DIMENSIONS
from portal.ui.widgets import md, show_chart

EXPLAINED = ("参与者指提过意见（含线下录入）或投过票的居民。某一组在参与者中的占比不到其在名册中占比的一半时，"
             "标为“参与偏少”，建议在征集结束前上门走访。")


def dimension_choice(key: str) -> str:
    """楼栋 / 网格 / 年龄段."""
    return st.radio("分组方式", list(DIMENSIONS), format_func=DIMENSIONS.__getitem__, horizontal=True, key=key)


def participation_figures(check, *, empty_roster: str) -> None:  # type: ignore[no-untyped-def]
    """Totals, a note on under-represented groups, the chart and the table of ``check``
    (a ParticipationCheck); ``empty_roster`` is what to say when the roster is empty."""
    c1, c2, c3 = st.columns(3)
    c1.metric("名册人数", check.total_roster)
    c2.metric("参与人数", check.total_participants)
    c3.metric("参与率", f"{check.total_participants / check.total_roster:.0%}" if check.total_roster else "—")
    if check.unmatched:
        st.caption(f"另有 {check.unmatched} 条意见未关联到名册中的居民（如匿名热线），未计入上面的数字。")
    if not check.groups:
        st.info(empty_roster)
        return
    if check.total_participants == 0:
        st.info("还没有居民参与这个议题。")
    elif check.flagged:
        st.warning(md(f"参与偏少的{check.label}：" + "、".join(g.group for g in check.flagged))
                   + "。建议安排上门走访或发放纸质意见表。")
    else:
        st.success(f"各{check.label}的参与比例大体均衡。")
    show_chart(participation_chart(check.groups, group_title=check.label))
    st.dataframe(pd.DataFrame([{
        check.label: g.group, "名册人数": g.roster, "参与人数": g.participants,
        "参与率": f"{g.rate:.0%}", "名册占比": f"{g.roster_share:.1%}", "参与者占比": f"{g.participant_share:.1%}",
        "提示": "参与偏少，建议上门走访" if g.under_represented else "",
    } for g in check.groups]), hide_index=True, width="stretch")
