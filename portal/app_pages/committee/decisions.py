import pandas as pd
import streamlit as st

from portal.models import (
    VOTE_MATTER_LABELS,
    VoteMatter,
)
from portal.services.actors import has_permission
from portal.services.consultations import list_consultations, phases_where
from portal.services.decisions import (
    BREAKDOWNS,
    area_text,
    ballot_sheet,
    close_owners_vote,
    close_poll,
    create_owners_vote,
    create_poll,
    owners_votes_of,
    poll_results,
    polls_of,
    publish_owners_vote,
    register_proxy,
)
from portal.services.identity.roster import list_areas, list_roster
from portal.timefmt import format_datetime
from portal.ui.actions import read, save_and_flash
from portal.ui.decisions import poll_builder, poll_results_panel, tally_panel
from portal.ui.resources import db_session
from portal.ui.widgets import consultation_picker, md, require_committee, show_flash

actor = require_committee()
can_manage = has_permission(actor, "manage_decisions")
can_enter = has_permission(actor, "enter_offline")
can_publish = has_permission(actor, "publish_results")
FLASH = "decide.flash"

st.title("决策与表决")
st.caption("问卷：单选、多选、排序，可加“其他（请说明）”（内容作为意见进入主题分析）。"
           "业主表决：按《民法典》第二百七十八条同时计算专有部分面积和户数。纸质票在“表决票录入”页录入。")
show_flash(FLASH)

with db_session() as session:
    cards = list_consultations(session, phases=phases_where(lambda r: True), actor=actor)
    areas = list_areas(session, actor=actor)
cid = consultation_picker(cards, key="decide.consultation")
if cid is None:
    st.stop()
with db_session() as session:
    polls = polls_of(session, consultation_id=cid)
    votes = owners_votes_of(session, consultation_id=cid)
area_label = {a.id: f"{a.grid} {a.name}".strip() for a in areas}

tab_polls, tab_votes = st.tabs(["问卷", "业主表决"])

with tab_polls:
    if not polls:
        st.info("这个议题还没有问卷。")
    for p in polls:
        with st.container(border=True):
            state = "进行中" if p.open else "已结束"
            st.subheader(md(p.title), anchor=False)
            st.caption(f"{state} · 截止 {format_datetime(p.closes_at, empty='随议题投票阶段结束')} · "
                       f"{p.n_responses} 份答卷" + (" · 截止前不公开结果" if p.hide_results_until_close else ""))
            by = st.selectbox("分组查看", ["", *BREAKDOWNS], format_func=lambda b: BREAKDOWNS.get(b, "不分组"),
                              key=f"decide.by.{p.poll_id}", placeholder="请选择")
            shown = read(poll_results, poll_id=p.poll_id, staff=True, by=by)
            if shown:
                poll_results_panel(shown.value, key=f"decide.poll.{p.poll_id}")
            if can_manage and p.open and st.button("结束这份问卷", key=f"decide.close_poll.{p.poll_id}"):
                save_and_flash(FLASH, f"问卷“{p.title}”已结束。", close_poll, actor=actor, poll_id=p.poll_id)
    if can_manage:
        with st.expander("新建问卷", expanded=not polls):
            title, intro, drafts, hide, created = poll_builder("decide")
            if created:
                save_and_flash(FLASH, lambda p: f"已创建问卷“{p.title}”。", create_poll, actor=actor,
                               consultation_id=cid, title=title, questions=drafts, intro=intro,
                               hide_results_until_close=hide)

with tab_votes:
    if not votes:
        st.info("这个议题还没有业主表决。")
    for v in votes:
        with st.container(border=True):
            state = "进行中" if v.open else ("已公布" if v.published else "已结束")
            st.subheader(md(v.title), anchor=False)
            st.caption(md(f"{state} · 范围 {v.scope} · 截止 {v.closes_text}"))
            tally_panel(v)
            with db_session() as session:
                sheet = ballot_sheet(session, actor=actor, vote_id=v.vote_id)
            with st.expander(f"逐户投票情况（{len(sheet)} 户）"):
                st.dataframe(pd.DataFrame([{
                    "户": r.label, "专有部分面积": area_text(r.area_m2),
                    "投票": r.choice.label if r.choice else "未投", "方式": r.how or "—"} for r in sheet]),
                    hide_index=True, width="stretch")
            cols = st.columns(3)
            if can_manage and v.open and cols[0].button("结束表决", key=f"decide.close_vote.{v.vote_id}"):
                save_and_flash(FLASH, lambda t: f"表决已结束。{t.outcome_text()}", close_owners_vote,
                               actor=actor, vote_id=v.vote_id)
            if can_publish and not v.open and not v.published:
                label = "公布为“通过”" if v.tally.passed else "公布为“未通过”"
                if cols[1].button(label, key=f"decide.publish_vote.{v.vote_id}", type="primary"):
                    save_and_flash(FLASH, "表决结果已公布。", publish_owners_vote, actor=actor,
                                   vote_id=v.vote_id, as_passed=v.tally.passed)
    if can_manage:
        with st.expander("发起业主表决", expanded=not votes), st.form("decide.new_vote"):
            title = st.text_input("表决事项", key="decide.vote_title", max_chars=100,
                                  placeholder="例如：5号楼2单元加装电梯")
            matter = st.selectbox("属于《民法典》第二百七十八条的哪一项", list(VoteMatter),
                                  index=list(VoteMatter).index(VoteMatter.REBUILD),
                                  format_func=VOTE_MATTER_LABELS.__getitem__, key="decide.vote_matter", placeholder="请选择")
            area_id = st.selectbox("楼栋", list(area_label), format_func=area_label.__getitem__, key="decide.vote_area", placeholder="请选择")
            unit = st.text_input("单元（不填 = 整栋楼）", key="decide.vote_unit", max_chars=20, placeholder="例如：2单元")
            started = st.form_submit_button("发起表决", type="primary")
        if started:
            save_and_flash(FLASH, "已发起业主表决，范围内的业主和面积已固定。", create_owners_vote, actor=actor,
                           consultation_id=cid, title=title, matter=matter, area_id=area_id, unit=unit)
    if has_permission(actor, "import_roster") and votes:
        with st.expander("登记受托代理人"):
            vote = st.selectbox("表决", [v.vote_id for v in votes], key="decide.proxy_vote",
                                format_func=lambda i: next(v.title for v in votes if v.vote_id == i), placeholder="请选择")
            with db_session() as session:
                sheet = ballot_sheet(session, actor=actor, vote_id=vote)
            household = st.selectbox("业主户", [r.household_id for r in sheet], key="decide.proxy_household",
                                     format_func=lambda h: next(r.label for r in sheet if r.household_id == h), placeholder="请选择")
            with db_session() as session:
                people = list_roster(session, actor=actor)
            who = {e.resident_id: f"{e.building} {e.unit} · {e.age_band or '年龄未登记'}"
                   + (f" · 户号 {e.household_ref}" if e.household_ref else "") for e in people}
            proxy = st.selectbox("代理人（名册中的居民，凭自己的参与码投票）", [None, *who], key="decide.proxy_who",
                                 format_func=lambda r: "取消代理人" if r is None else who[r], placeholder="请选择")
            if st.button("保存代理人", key="decide.proxy_save"):
                save_and_flash(FLASH, "已登记代理人。" if proxy else "已取消代理人。", register_proxy, actor=actor,
                               household_id=household, resident_id=proxy)
