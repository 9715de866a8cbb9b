import pandas as pd
import streamlit as st

from portal.services import street
from portal.ui.actions import read
from portal.ui.participation import EXPLAINED, dimension_choice, participation_figures
from portal.ui.results_widgets import theme_card
from portal.ui.widgets import md, require_committee

actor = require_committee("view_street")
st.title("社区详情")
st.caption(md(f"{actor.display_name} · {actor.role.label}") + "　本街道一个社区的议题、参与情况和主题回应（只读，只有人数和公开文字，不含居民身份）。")

got = read(street.street_communities, actor=actor)
if not got:
    st.stop()
if not got.value:
    st.info("本街道还没有社区。请系统管理员用 consult community add … --street 街道名称 新建社区。")
    st.stop()
names = {c.slug: c.name for c in got.value}
ids = {c.slug: c.id for c in got.value}
# ?c=<slug> (the links on 街道总览) opens that community; the choice is written back to the address
if "street.community" not in st.session_state and st.query_params.get("c") in names:
    st.session_state["street.community"] = st.query_params["c"]
slug = st.selectbox("社区", list(names), format_func=names.__getitem__, key="street.community", placeholder="请选择")
st.query_params["c"] = slug

got = read(street.community_view, actor=actor, community_id=ids[slug])
if not got:
    st.stop()
view = got.value
st.subheader(md(view.name), anchor=False)
rows = view.consultations
with st.container(horizontal=True, gap="medium"):
    st.metric("名册居民", view.roster, width=120)
    st.metric("议题", len(rows), width=90)
    st.metric("未回应主题", sum(r.n_unanswered for r in rows), width=120)
    st.metric("逾期事项", sum(r.n_overdue for r in rows), width=110)
if not rows:
    st.info("这个社区还没有议题。")
    st.stop()

# the collection period is shown under the chosen consultation: with it the nine columns did
# not fit at 1280 px and the last ones (未回应主题, 逾期事项) were cut off
st.dataframe(pd.DataFrame([{
    "议题": r.title, "阶段": r.phase_label, "意见": r.n_opinions,
    "参与居民": r.n_participants, "表态": r.n_votes, "主题": r.n_themes,
    "未回应主题": r.n_unanswered, "逾期事项": r.n_overdue,
} for r in rows]), hide_index=True, width="stretch", key="street.consultations")

titles = {r.id: f"{r.title} · {r.phase_label}" for r in rows}
cid = st.selectbox("查看议题", list(titles), format_func=titles.__getitem__, key=f"street.consultation.{slug}",
                   placeholder="请选择")
st.caption(f"征集时间 {next(r.period for r in rows if r.id == cid)}")
took_part, themes = st.tabs(["参与情况", "主题与回应"])

with took_part:
    st.caption(EXPLAINED)
    dimension = dimension_choice("street.dimension")
    if got := read(street.community_participation, actor=actor, consultation_id=cid, dimension=dimension):
        participation_figures(got.value, empty_roster="这个社区的名册还是空的。")

with themes:
    if got := read(street.community_themes, actor=actor, consultation_id=cid):
        if not got.value:
            st.info("这个议题还没有分析出主题。")
        for t in got.value:
            theme_card(t)
