import streamlit as st

from portal.models import VoteValue
from portal.services.participation import cast_vote, my_participation
from portal.timefmt import format_date
from portal.ui.actions import save, show_error
from portal.ui.resources import db_session
from portal.ui.session import current_resident
from portal.ui.widgets import md, plain, show_flash

resident = current_resident()
if resident is None:
    st.warning("请先用参与码登录。")
    st.stop()

st.title("我的参与")
st.caption(md(f"您登记的住址：{resident.grid} · {resident.area_name}"))

FLASH = "my.flash"
show_flash(FLASH)
show_error("my.error")

with db_session() as session:
    mine = my_participation(session, actor=resident)

if mine.is_empty:
    st.info("您还没有参与过议题。可以从首页挑一个议题，提意见或给邻居的意见表态。")
    st.page_link("app_pages/public/home.py", label="去首页看看 →")
    st.stop()


def change_vote(opinion_id: int, value: VoteValue) -> None:
    # In the script flow rather than an on_change callback, so a change that reaches a replica
    # which has just taken over this visitor is still saved (decision 0026).
    # A refusal is shown in place and does not rerun, so it cannot loop.
    if save(cast_vote, actor=resident, opinion_id=opinion_id, value=value):
        st.session_state[FLASH] = f"已改为“{VoteValue(value).label}”。"
        st.rerun()


for c in mine.consultations:
    if not (c.opinions or c.votes or c.n_comments or c.reports):
        continue
    st.subheader(md(c.title), anchor=False)
    st.caption(f"{c.phase_label} · 我的意见 {len(c.opinions)} 条 · 投票 {len(c.votes)} 次 · 留言 {c.n_comments} 条")
    st.page_link("app_pages/public/consultation.py", label="查看议题 →", query_params={"id": str(c.consultation_id)})

    for op in c.opinions:
        with st.container(border=True):
            extra = " · 匿名显示" if op.anonymous else ""
            st.caption(f"{format_date(op.submitted_at)} · {op.channel_label}提交{extra} · 同意 {op.agree} · 不同意 {op.disagree}")
            plain(op.text_public)
            if op.pii_labels:
                st.caption(f"公开时已隐去：{'、'.join(op.pii_labels)}")
            if op.photos:  # public only once the committee approved them
                st.caption(f"照片 {len(op.photos)} 张：" + "、".join(p.review_label for p in op.photos))
                for p in op.photos:
                    if p.reason:
                        plain(f"照片未公开：{p.reason}")
            if op.hidden:
                st.warning("这条意见已被居委会隐藏，不再公开显示。"
                           + (f"原因：{op.moderation_reason}" if op.moderation_reason else ""))
            if not c.results_public:
                st.caption("结果公示后，这里会显示您的意见归入的主题和居委会的回应。")
            elif op.theme_label is None:
                st.caption("这条意见没有归入任何主题。")
            else:
                st.markdown("**归入主题：**")
                plain(f"{op.theme_label}（{op.theme_status_label}）")
                if op.answer is None:
                    st.caption("居委会还没有对这个主题作出回应。")
                else:
                    st.markdown("**居委会的回应：**")
                    plain(f"{op.answer.decision_label}：{op.answer.reasoning}")
                    due = f"，计划 {format_date(op.answer.due_date)} 前完成" if op.answer.due_date else ""
                    plain(f"负责方：{op.answer.responsible_party}{due}")
                if op.timeline:
                    st.markdown("**办理进度：**")
                    for entry in op.timeline:
                        plain(f"{format_date(entry.at)} {entry.status_label}" + (f"：{entry.note}" if entry.note else ""))

    if c.votes:
        with st.expander(f"我的投票（{len(c.votes)}）" + ("：可以修改" if c.can_vote else "：投票已结束")):
            for v in c.votes:
                st.divider()
                plain(v.text if len(v.text) <= 80 else v.text[:80] + "…")
                key = f"my.vote.{v.opinion_id}"
                if v.changeable:
                    st.session_state.setdefault(key, v.value)
                    chosen = st.radio("我的态度", list(VoteValue), key=key, horizontal=True,
                                      format_func=lambda x: VoteValue(x).label, label_visibility="collapsed")
                    if chosen is not None and VoteValue(chosen) != VoteValue(v.value):
                        change_vote(v.opinion_id, VoteValue(chosen))
                else:
                    st.caption(f"我的态度：{v.value_label}")

    if c.reports:
        with st.expander(f"我的举报（{len(c.reports)}）"):
            for r in c.reports:
                plain(f"{r.target_label}：{r.excerpt}")
                st.caption(md(f"{format_date(r.created_at)} · 理由：{r.reason} · {r.state_label}"))

st.divider()
if st.button("退出登录", key="my.sign_out", use_container_width=True):
    from portal.ui.session import sign_out

    sign_out()
    st.rerun()
