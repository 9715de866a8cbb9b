import streamlit as st

from portal.models import OwnerChoice
from portal.services.decisions import (
    answer_poll,
    cast_owner_ballot,
    fmt_m2,
    my_owners_votes,
    my_poll_answer,
    open_polls_for,
    rule_text,
)
from portal.timefmt import format_datetime
from portal.ui.actions import read, save_and_flash
from portal.ui.decisions import answer_widgets
from portal.ui.session import current_resident
from portal.ui.widgets import md, plain, show_flash

FLASH = "decide.flash"
resident = current_resident()
if resident is None:
    st.warning("请先用参与码登录。")
    st.stop()

st.title("参与表决")
st.write("在这里填写居委会发起的问卷；如果您是业主（或业主委托的代理人），也可以在这里参加业主表决。"
         "截止前都可以修改。")
show_flash(FLASH)

found = read(open_polls_for, actor=resident)
polls = found.value if found else []
owner = read(my_owners_votes, actor=resident)
mine = owner.value if owner else []
if not polls and not mine:
    st.info("目前没有需要您填写的问卷或参加的表决。")
    st.stop()
# ?id=N (the link of a "即将截止" reminder): only that consultation's polls and votes
wanted = st.query_params.get("id", "")
if wanted.isdigit():
    cid = int(wanted)
    if any(p.consultation_id == cid for _, p in polls) or any(m.card.consultation_id == cid for m in mine):
        polls, mine = [x for x in polls if x[1].consultation_id == cid], [m for m in mine if m.card.consultation_id == cid]
        if st.button("查看全部问卷和表决", key="decide.show_all", icon=":material/list:"):
            del st.query_params["id"]
            st.rerun()
    else:
        st.info("这个议题目前没有需要您填写的问卷或表决，下面是其他正在进行的。")

for c, p in polls:
    with st.container(border=True):
        st.subheader(md(p.title), anchor=False)
        st.caption(md(f"议题：{c.title} · 截止 {format_datetime(p.closes_at, empty='随议题投票阶段结束')}"))
        if p.intro:
            plain(p.intro)
        before = read(my_poll_answer, actor=resident, poll_id=p.poll_id)
        earlier = before.value if before else None
        if earlier is not None:
            st.caption("您已填写过这份问卷，可以修改后重新提交（只计最后一次）。")
        with st.form(f"decide.poll.{p.poll_id}"):
            answers, others = answer_widgets(p.questions, key=f"decide.poll.{p.poll_id}",
                                             existing=earlier.answers if earlier else None)
            sent = st.form_submit_button("修改答卷" if earlier else "提交答卷", type="primary")
        if sent:
            save_and_flash(FLASH, lambda r: "已修改您的答卷。" if r.changed else "已提交答卷，谢谢参与！",
                           answer_poll, actor=resident, poll_id=p.poll_id, answers=answers, other_texts=others)

for m in mine:
    card = m.card
    with st.container(border=True):
        st.subheader(md(f"业主表决：{card.title}"), anchor=False)
        st.caption(md(f"范围 {card.scope} · 截止 {card.closes_text}"))
        st.caption(rule_text(card.matter))
        st.caption(f"目前已有 {card.tally.voted_households} / {card.tally.eligible_households} 户参与，"
                   f"面积 {fmt_m2(card.tally.voted_area)} / {fmt_m2(card.tally.eligible_area)} m²。")
        for hid, label, proxy, current, note in m.households:
            who = "（您是受托代理人）" if proxy else ""
            st.markdown(md(f"**{label}**{who}"))
            if current is not None:
                st.caption(md(note + f"：{current.label}"))
            cols = st.columns(3)
            for col, choice in zip(cols, OwnerChoice, strict=True):
                if col.button(choice.label, key=f"decide.owner.{card.vote_id}.{hid}.{choice}",
                              type="primary" if current == choice else "secondary", use_container_width=True):
                    save_and_flash(FLASH, f"已为 {label} 投“{choice.label}”。", cast_owner_ballot, actor=resident,
                                   vote_id=card.vote_id, choice=choice, household_id=hid)
