import pandas as pd
import streamlit as st

from portal.models import CHANNEL_LABELS, Channel, OwnerChoice
from portal.services.consultations import list_consultations, phases_where
from portal.services.decisions import (
    area_text,
    ballot_sheet,
    correct_paper_poll_answer,
    enter_paper_owner_ballot,
    enter_paper_poll_answer,
    owners_votes_of,
    paper_answers,
    polls_of,
)
from portal.services.identity.roster import list_areas, list_roster
from portal.timefmt import format_datetime
from portal.ui.actions import save_and_flash
from portal.ui.decisions import answer_widgets
from portal.ui.resources import db_session
from portal.ui.widgets import consultation_picker, require_committee, show_flash

actor = require_committee("enter_offline")
FLASH = "ballots.flash"
st.title("表决票录入")
st.caption("录入居民交来的纸质问卷答卷和业主表决票，渠道和录入人都会记录。同一户或同一位居民已在网上投票的，"
           "纸质票不会重复计入；选同一户（或名册中的同一位居民）重新录入即为更正，更正记入审计日志。")
show_flash(FLASH)

with db_session() as session:
    cards = list_consultations(session, phases=phases_where(lambda r: r.vote is not False), actor=actor)
    areas = list_areas(session, actor=actor)
cid = consultation_picker(cards, key="ballots.consultation")
if cid is None:
    st.stop()
with db_session() as session:
    polls = polls_of(session, consultation_id=cid)
    votes = owners_votes_of(session, consultation_id=cid)
area_label = {a.id: f"{a.grid} {a.name}".strip() for a in areas}

open_polls = [p for p in polls if p.open]
open_votes = [v for v in votes if v.open]
if not open_polls and not open_votes:
    st.info("这个议题没有进行中的问卷或业主表决。")
if open_votes:
    st.subheader("业主表决纸质票", anchor=False)
    vote = st.selectbox("表决", [v.vote_id for v in open_votes], key="ballots.vote",
                        format_func=lambda i: next(v.title for v in open_votes if v.vote_id == i), placeholder="请选择")
    with db_session() as session:
        sheet = ballot_sheet(session, actor=actor, vote_id=vote)
    rows = {r.household_id: r for r in sheet}
    with st.form("ballots.vote_form"):
        household = st.selectbox(
            "户（已投票的户再录入即为更正纸质票）", list(rows), key="ballots.household",
            format_func=lambda h: f"{rows[h].label} · {area_text(rows[h].area_m2)}"
            + (f" · 已投：{rows[h].choice.label}（{rows[h].how}）" if rows[h].choice else ""), placeholder="请选择")
        choice = st.radio("表决意见", list(OwnerChoice), format_func=lambda c: c.label, horizontal=True,
                          key="ballots.choice", index=None)
        channel = st.selectbox("渠道", [Channel.PAPER, Channel.DOOR], format_func=CHANNEL_LABELS.__getitem__,
                               key="ballots.vote_channel", placeholder="请选择")
        entered = st.form_submit_button("保存这张表决票", type="primary")
    if entered:
        save_and_flash(FLASH, lambda r: f"已录入 {rows[household].label} 的表决票（{OwnerChoice(r.ballot.choice).label}）。",
                       enter_paper_owner_ballot, actor=actor, vote_id=vote, household_id=household,
                       choice=choice or "", channel=channel)
if open_polls:
    st.subheader("问卷纸质答卷", anchor=False)
    poll_id = st.selectbox("问卷", [p.poll_id for p in open_polls], key="ballots.poll",
                           format_func=lambda i: next(p.title for p in open_polls if p.poll_id == i), placeholder="请选择")
    card = next(p for p in open_polls if p.poll_id == poll_id)
    area_id = st.selectbox("答卷人所在楼栋", [None, *area_label], key="ballots.area",
                           format_func=lambda a: "不详（不对应名册）" if a is None else area_label[a], placeholder="请选择")
    resident_id = None
    if area_id is not None:
        with db_session() as session:
            roster = list_roster(session, actor=actor, area_ids=[area_id])
        who = {e.resident_id: f"{e.unit} · {e.age_band or '年龄未登记'}"
               + (f" · 户号 {e.household_ref}" if e.household_ref else "") for e in roster}
        resident_id = st.selectbox("名册中的居民", [None, *who], key=f"ballots.resident.{area_id}",
                                   format_func=lambda r: "不指定" if r is None else who[r], placeholder="请选择")
    with st.form("ballots.poll_form"):
        channel = st.selectbox("渠道", [Channel.PAPER, Channel.PHONE, Channel.DOOR],
                               format_func=CHANNEL_LABELS.__getitem__, key="ballots.poll_channel", placeholder="请选择")
        answers, others = answer_widgets(card.questions, key=f"ballots.paper.{poll_id}")
        entered = st.form_submit_button("保存这份答卷", type="primary")
    if entered:
        save_and_flash(FLASH, lambda r: "已更正这位居民的纸质答卷。" if r.changed else "已录入一份纸质答卷。",
                       enter_paper_poll_answer, actor=actor, poll_id=poll_id, answers=answers,
                       other_texts=others, resident_id=resident_id, channel=channel)
    with db_session() as session:
        recent = paper_answers(session, actor=actor, poll_id=poll_id, limit=10)
    if recent:
        st.caption("最近录入的答卷（选名册中的同一位居民重新录入即可更正，更正记入审计日志）")
        st.dataframe(pd.DataFrame([{"编号": f"#{r.response_id}", "答卷人": r.resident, "渠道": r.channel,
                                    "录入时间": format_datetime(r.entered)} for r in recent]),
                     hide_index=True, width="stretch")
        with st.expander("更正一份已录入的答卷（选项录错时用，答卷人未登记的也可以更正）"):
            by_id = {r.response_id: r for r in recent}
            fix = st.selectbox("要更正的答卷", list(by_id), key="ballots.fix",
                               format_func=lambda i: f"#{i} · {by_id[i].resident} · {by_id[i].channel} · "
                               f"{format_datetime(by_id[i].entered)}", placeholder="请选择")
            with st.form(f"ballots.fix_form.{fix}"):
                fixed_answers, fixed_others = answer_widgets(card.questions, key=f"ballots.fix.{fix}",
                                                             existing=by_id[fix].answers)
                fixed = st.form_submit_button("保存更正")
            if fixed:
                save_and_flash(FLASH, lambda r: f"已更正答卷 #{fix}，更正前后的选项记入审计日志。",
                               correct_paper_poll_answer, actor=actor, response_id=fix,
                               answers=fixed_answers, other_texts=fixed_others)
