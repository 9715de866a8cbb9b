import pandas as pd
import streamlit as st

from portal.services.street import street_overview
from portal.ui.actions import read
from portal.ui.widgets import md, require_committee

actor = require_committee("view_street")
st.title("街道总览")
st.caption(md(f"{actor.display_name} · {actor.role.label}") + "　各社区的议题、参与和回应情况（只读，只有人数，不含居民身份）。")

got = read(street_overview, actor=actor)
if not got:
    st.stop()
overview = got.value
if not overview.rows:
    st.info("本街道还没有社区。请系统管理员用 consult community add … --street 街道名称 新建社区。")
    st.stop()

st.subheader(md(overview.street), anchor=False)
totals = overview.totals
with st.container(horizontal=True, gap="medium"):
    st.metric("社区", len(overview.rows), width=110)
    st.metric("正在征集的议题", totals["n_open"], width=140)
    st.metric("名册居民", totals["roster"], width=120)
    st.metric("未回应主题", totals["n_unanswered"], width=120)
    st.metric("逾期事项", totals["n_overdue"], width=110)

table = pd.DataFrame([{
    "社区": r.name,
    "正在征集": r.n_open,
    "名册居民": r.roster,
    "参与居民（征集中议题）": r.participants_open,
    "参与率（征集中）": r.rate_open,
    "参与率（全部公开议题）": r.rate_all,
    "未回应主题": r.n_unanswered,
    "逾期事项": r.n_overdue,
} for r in overview.rows])
st.dataframe(table, hide_index=True, width="stretch", key="street.table", column_config={
    "参与率（征集中）": st.column_config.ProgressColumn("参与率（征集中）", format="percent", min_value=0, max_value=1),
    "参与率（全部公开议题）": st.column_config.ProgressColumn("参与率（全部公开议题）", format="percent",
                                                     min_value=0, max_value=1),
})
st.caption("参与居民：在议题中提过意见或投过票的名册居民，按人计一次。未回应主题：已分析出但居委会尚未公开回应的主题。"
           "逾期事项：已过计划完成日期、仍未完成的回应。")

for r in overview.rows:
    with st.expander(md(f"{r.name}：{r.n_open} 个议题正在征集"), expanded=False):
        if not r.open_consultations:
            st.caption("目前没有正在征集意见的议题。")
        for c in r.open_consultations:
            st.text(f"{c.title} —— {c.n_opinions} 条意见，{c.n_participants} 位居民参与")
        st.page_link("app_pages/street/community.py", label=f"查看{md(r.name)}的议题、参与和回应",
                     icon=":material/apartment:", query_params={"c": r.slug})
        st.page_link("app_pages/public/home.py", label=f"打开{md(r.name)}的公开首页", query_params={"c": r.slug})
