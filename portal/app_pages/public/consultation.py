import streamlit as st

from portal.db import run_with_retry
from portal.models import ReportTarget, VoteValue
from portal.services.consultations import (
    can_submit_opinion,
    can_vote,
    deadline_text,
    get_consultation,
    participation_counts,
    phase_label,
    what_residents_can_do,
)
from portal.services.errors import NotFound, ServiceError
from portal.services.participation import (
    REPORT_REASONS,
    SORTS,
    add_comment,
    cast_vote,
    list_opinions,
    opinion_thread,
    report,
)
from portal.timefmt import format_date
from portal.ui.resources import db_session, engine, warm_up_similarity
from portal.ui.session import current_actor, current_resident
from portal.ui.widgets import opinion_counts, plain, results_link

PAGE_SIZE = 20
resident = current_resident()
if resident is not None:
    warm_up_similarity()  # so that 提意见's first preview is quick

raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():
    st.info("请从首页选择一个议题。")
    st.page_link("app_pages/public/home.py", label="← 返回首页")
    st.stop()

try:
    with db_session() as session:
        c = get_consultation(session, int(raw_id))
        n_opinions, n_people, n_votes = participation_counts(session, [c.id])[c.id]
except NotFound as exc:
    st.error(str(exc))
    st.stop()

raw_opinion = st.query_params.get("opinion", "")
flash = st.session_state.pop("consultation.flash", None)
for key in st.session_state.pop("consultation.clear", []):  # boxes of a comment just posted
    st.session_state[key] = ""  # set, not deleted, so the browser's box is emptied too

# ---------------------------------------------------------------- one opinion and its comments
if raw_opinion.isdigit():
    if st.button("← 返回全部意见", key="consultation.back"):
        del st.query_params["opinion"]
        st.rerun()
    try:
        with db_session() as session:
            thread = opinion_thread(session, opinion_id=int(raw_opinion), viewer=resident)
    except NotFound as exc:
        st.error(str(exc))
        st.stop()
    if thread.consultation.id != c.id:
        st.error("找不到这条意见。")
        st.stop()
    if flash:
        st.success(flash)
    view = thread.opinion
    st.caption(f"{c.title} · {view.author}的意见 · {format_date(view.received_at)}")
    with st.container(border=True):
        plain(view.text)
        st.caption(opinion_counts(view))

    def act(work, message: str) -> None:
        try:
            run_with_retry(engine(), work)
        except ServiceError as exc:
            st.session_state["consultation.error"] = str(exc)
        else:
            st.session_state["consultation.flash"] = message

    if error := st.session_state.pop("consultation.error", None):
        st.error(error)

    if resident is not None and thread.can_vote and not view.is_mine:
        st.caption("您的态度" + (f"（当前：{view.my_vote.label}）" if view.my_vote else ""))
        cols = st.columns(3)
        for col, value in zip(cols, list(VoteValue), strict=True):
            col.button(value.label, key=f"consultation.vote.{value}", use_container_width=True,
                       type="primary" if view.my_vote == value else "secondary",
                       on_click=act, args=(
                           lambda s, v=value: cast_vote(s, actor=resident, opinion_id=view.id, value=v),
                           f"已记录您的态度：{value.label}。"))
    elif view.is_mine:
        st.caption("这是您提出的意见。")

    st.subheader(f"留言（{sum(1 + len(cm.replies) for cm in thread.comments)}）", anchor=False)
    if not thread.comments:
        st.caption("还没有留言。")
    for cm in thread.comments:
        with st.container(border=True):
            st.caption(f"{cm.author} · {format_date(cm.created_at)}")
            plain(cm.text)
            for reply in cm.replies:
                st.caption(f"↳ {reply.author}回复 · {format_date(reply.created_at)}")
                plain(reply.text)
            if resident is not None and thread.can_comment:
                typed = bool(st.session_state.get(f"consultation.reply_text.{cm.id}"))  # keep open on error
                with st.expander("回复", expanded=typed), st.form(f"consultation.reply.{cm.id}"):
                    text = st.text_area("回复内容", key=f"consultation.reply_text.{cm.id}", height=80)
                    if st.form_submit_button("发表回复", use_container_width=True):
                        act(lambda s, t=text, p=cm.id: add_comment(
                            s, actor=resident, opinion_id=view.id, text=t, parent_id=p), "回复已发表。")
                        if "consultation.flash" in st.session_state:
                            st.session_state["consultation.clear"] = [f"consultation.reply_text.{cm.id}"]
                        st.rerun()

    if resident is not None and thread.can_comment:
        with st.form("consultation.comment"):
            text = st.text_area("写留言", key="consultation.comment_text", height=100,
                                placeholder="说说您的看法，请文明发言。")
            if st.form_submit_button("发表留言", type="primary", use_container_width=True):
                act(lambda s: add_comment(s, actor=resident, opinion_id=view.id, text=text),
                    "留言已发表。")
                if "consultation.flash" in st.session_state:
                    st.session_state["consultation.clear"] = ["consultation.comment_text"]
                st.rerun()
    elif current_actor() is None and thread.can_comment:  # committee members have no sign-in link
        st.page_link("app_pages/resident/sign_in.py", label="用参与码登录后可以投票和留言 →",
                     query_params={"next": str(c.id)})

    if resident is not None:
        targets = [(ReportTarget.OPINION, view.id, "这条意见")]
        for cm in thread.comments:
            for item in [cm, *cm.replies]:
                short = item.text if len(item.text) <= 20 else item.text[:20] + "…"
                targets.append((ReportTarget.COMMENT, item.id, f"留言：{short}"))
        with st.expander("举报不当内容"), st.form("consultation.report"):
            st.caption("发现人身攻击、泄露隐私、广告等内容，请告诉居委会，核实后会隐藏。")
            target = st.selectbox("举报哪一条", range(len(targets)), key="consultation.report_target",
                                  format_func=lambda i: targets[i][2])
            reason = st.selectbox("理由", REPORT_REASONS, key="consultation.report_reason")
            detail = st.text_input("补充说明（可不填）", key="consultation.report_detail", max_chars=200)
            if st.form_submit_button("提交举报", use_container_width=True):
                kind, target_id, _ = targets[target]
                full = f"{reason}：{detail.strip()}" if detail.strip() else reason
                try:
                    with db_session() as session:
                        result = report(session, actor=resident, target_type=kind,
                                        target_id=target_id, reason=full)
                except ServiceError as exc:
                    st.session_state["consultation.error"] = str(exc)
                else:
                    st.session_state["consultation.flash"] = (
                        "您已举报过这条内容，居委会正在处理。" if result.already
                        else "举报已提交，居委会会尽快核实处理。谢谢！")
                st.rerun()
    st.stop()

# ---------------------------------------------------------------- the consultation
st.title(c.title)
st.caption(f"{phase_label(c)} · 征集时间 {deadline_text(c)}")
# One line, not three metrics: columns stack on a phone and would fill the first screen.
st.markdown(f"**{n_opinions}** 条意见 · **{n_people}** 人参与 · **{n_votes}** 次投票")
st.subheader("议题", anchor=False)
plain(c.question)
if c.background:
    with st.expander("背景介绍", expanded=False):
        plain(c.background)
st.info(what_residents_can_do(c))
results_link(c)

if resident is not None:
    if can_submit_opinion(c):
        st.page_link("app_pages/resident/give.py", label="我要提意见", icon=":material/edit:", query_params={"id": str(c.id)})
    if can_vote(c):
        st.page_link("app_pages/resident/vote.py", label="给大家的意见表态", icon=":material/how_to_vote:", query_params={"id": str(c.id)})
elif current_actor() is None and (can_submit_opinion(c) or can_vote(c)):
    st.page_link("app_pages/resident/sign_in.py", label="用参与码登录后参与", icon=":material/key:",
                 query_params={"next": str(c.id)})

st.subheader("大家的意见", anchor=False)
sort = st.radio("排序", list(SORTS), format_func=SORTS.get, horizontal=True, key="consultation.sort",
                label_visibility="collapsed")
limit_key = f"consultation.limit.{c.id}"
limit = st.session_state.get(limit_key, PAGE_SIZE)
with db_session() as session:
    page = list_opinions(session, consultation_id=c.id, viewer=resident, sort=sort, limit=limit)
if not page.items:
    st.caption("还没有公开的意见。")
for view in page.items:
    with st.container(border=True):
        meta = f"{view.author} · {format_date(view.received_at)}"
        if view.is_mine:
            meta += " · 我的意见"
        elif view.my_vote:
            meta += f" · 我已表态：{view.my_vote.label}"
        st.caption(meta)
        plain(view.text)
        st.caption(opinion_counts(view))
        if st.button("查看留言、参与讨论", key=f"consultation.open.{view.id}", use_container_width=True):
            st.query_params["opinion"] = str(view.id)
            st.rerun()
if page.total > len(page.items):
    st.caption(f"已显示 {len(page.items)} / {page.total} 条")
    if st.button("显示更多意见", key="consultation.more", use_container_width=True):
        st.session_state[limit_key] = limit + PAGE_SIZE
        st.rerun()
