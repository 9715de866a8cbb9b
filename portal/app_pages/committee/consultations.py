from datetime import timedelta

import streamlit as st

from portal.models import PHASE_ORDER
from portal.services.consultations import (
    ConsultationDraft,
    create_consultation,
    draft_of,
    get_consultation,
    list_consultations,
    phases,
    update_consultation,
)
from portal.services.identity.roster import list_areas
from portal.timefmt import today_local
from portal.ui import actions
from portal.ui.attachments import document_manager
from portal.ui.phase_controls import phase_controls
from portal.ui.resources import db_session
from portal.ui.widgets import flash_and_rerun, md, require_committee, show_flash

actor = require_committee("manage_consultation")
st.title("议题管理")

FLASH = "cons.flash"
show_flash(FLASH)

NEW = 0
with db_session() as session:
    cards = list_consultations(session, phases=tuple(PHASE_ORDER), actor=actor)
    areas = list_areas(session, actor=actor)
if (nxt_id := st.session_state.pop("cons.select_next", None)) is not None:
    st.session_state["cons.selected"] = nxt_id  # before the select box exists in this run
options = {NEW: "＋ 新建议题"} | {c.id: f"{c.consultation.title} · {c.phase_label}" for c in cards}
chosen = st.selectbox("选择议题", list(options), format_func=options.__getitem__, key="cons.selected", placeholder="请选择")
area_names = {a.id: f"{a.grid} {a.name}".strip() for a in areas}

today = today_local()
if chosen == NEW:
    current = ConsultationDraft("", "", "", today, today + timedelta(days=14) if today else None)
    consultation = None
else:
    with db_session() as session:
        consultation = get_consultation(session, chosen, public=False)
        current = draft_of(session, consultation)

editable = consultation is None or phases.can_edit(consultation)
k = f"cons.{chosen}"  # one set of widget keys per consultation, so switching does not mix them
with st.form(f"{k}.form"):
    st.subheader("新建议题" if consultation is None else "编辑议题", anchor=False)
    title = st.text_input("标题", value=current.title, max_chars=100, key=f"{k}.title")
    question = st.text_area("征求意见的问题", value=current.question, max_chars=500, key=f"{k}.question",
                            help="居民看到的核心问题，例如：您对加装电梯的费用分摊有什么建议？")
    background = st.text_area("背景介绍", value=current.background, max_chars=5000, height=160,
                              key=f"{k}.background")
    c1, c2 = st.columns(2)
    opens_on = c1.date_input("开始征集", value=current.opens_on, key=f"{k}.opens", format="YYYY-MM-DD")
    closes_on = c2.date_input("截止日期", value=current.closes_on, key=f"{k}.closes", format="YYYY-MM-DD")
    area_ids = st.multiselect("涉及楼栋（不选表示全社区）", list(area_names), default=list(current.area_ids),
                              format_func=area_names.__getitem__, key=f"{k}.areas",
                              placeholder="全社区")
    votes_in_review = st.checkbox("研判阶段仍允许居民投票", value=current.votes_during_review,
                                  key=f"{k}.votes")
    save = st.form_submit_button("保存" if consultation else "创建议题（草稿）", type="primary",
                                 disabled=not editable)
if not editable:
    st.caption("议题已结束征集，内容不能再修改。")

if save:
    draft = ConsultationDraft(title, question, background, opens_on or None, closes_on or None,
                              tuple(area_ids), votes_in_review)
    if consultation is None:
        stored = actions.save(create_consultation, actor=actor, draft=draft)
    else:
        stored = actions.save(update_consultation, actor=actor, consultation_id=chosen, draft=draft)
    if stored:
        st.session_state["cons.select_next"] = stored.value.id
        flash_and_rerun(FLASH, f"已保存“{md(stored.value.title)}”。")

if consultation is not None:
    phase_controls(actor, consultation, flash_key=FLASH)
    document_manager(actor, consultation, flash_key=FLASH)
