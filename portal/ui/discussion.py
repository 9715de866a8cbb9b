"""The discussion under one opinion: votes, comments and replies, reports.

Each widget saves through ``portal.ui.actions.save``; a success leaves a message in
``FLASH`` and a refusal its Chinese error in ``ERROR``, both shown by the page on its next run.
"""

from __future__ import annotations

import streamlit as st

from portal.models import ReportTarget, VoteValue
from portal.services.participation import REPORT_REASONS, add_comment, cast_vote, report
from portal.timefmt import format_date
from portal.ui.actions import save
from portal.ui.drafts import draft_token, end_draft
from portal.ui.widgets import md, plain

FLASH, ERROR, CLEAR = "consultation.flash", "consultation.error", "consultation.clear"


def _act(fn, message: str, **kwargs) -> bool:  # type: ignore[no-untyped-def]
    done = save(fn, error_key=ERROR, **kwargs)
    if done:
        st.session_state[FLASH] = message(done.value) if callable(message) else message
    return bool(done)


def vote_buttons(resident, view) -> None:  # type: ignore[no-untyped-def]
    """同意 / 不同意 / 跳过 on one opinion, the current vote highlighted."""
    st.caption("您的态度" + (f"（当前：{view.my_vote.label}）" if view.my_vote else ""))
    cols = st.columns(3)
    for col, value in zip(cols, list(VoteValue), strict=True):
        # In the script flow, not an on_click callback: a press that reaches a replica which
        # has just taken over this visitor still counts (decision 0026).
        if col.button(value.label, key=f"consultation.vote.{value}.{view.id}", use_container_width=True,
                      type="primary" if view.my_vote == value else "secondary"):
            _act(cast_vote, f"已记录您的态度：{value.label}。", actor=resident, opinion_id=view.id, value=value)
            st.rerun()


def _post(box_key: str, message: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Post a comment or reply; on success empty its box on the next run."""
    if _act(add_comment, message, **kwargs):
        st.session_state[CLEAR] = [box_key]
    st.rerun()


def clear_posted_boxes() -> None:
    """Empty the boxes of a comment just posted and start a new draft (and token) for each."""
    for key in st.session_state.pop(CLEAR, []):
        st.session_state[key] = ""  # set, not deleted, so the browser's box is emptied too
        end_draft(key)


def comments(resident, thread, *, can_comment: bool) -> None:  # type: ignore[no-untyped-def]
    """The comments with their replies, a reply box under each, and the box for a new comment."""
    view = thread.opinion
    st.subheader(f"留言（{sum(1 + len(cm.replies) for cm in thread.comments)}）", anchor=False)
    if not thread.comments:
        st.caption("还没有留言。")
    for cm in thread.comments:
        with st.container(border=True):
            st.caption(md(f"{cm.author} · {format_date(cm.created_at)}"))
            plain(cm.text)
            for reply in cm.replies:
                st.caption(md(f"↳ {reply.author}回复 · {format_date(reply.created_at)}"))
                plain(reply.text)
            if can_comment:
                box = f"consultation.reply_text.{cm.id}"
                typed = bool(st.session_state.get(box))  # keep open on error
                token = draft_token(box)  # one per draft: a repeated 发表 stores it once
                with st.expander("回复", expanded=typed), st.form(f"consultation.reply.{cm.id}"):
                    text = st.text_area("回复内容", key=box, height=80)
                    if st.form_submit_button("发表回复", use_container_width=True):
                        _post(box, "回复已发表。", actor=resident, opinion_id=view.id, text=text,
                              parent_id=cm.id, client_token=token)
    if can_comment:
        token = draft_token("consultation.comment_text")  # one per draft
        with st.form("consultation.comment"):
            text = st.text_area("写留言", key="consultation.comment_text", height=100,
                                placeholder="说说您的看法，请文明发言。")
            if st.form_submit_button("发表留言", type="primary", use_container_width=True):
                _post("consultation.comment_text", "留言已发表。", actor=resident, opinion_id=view.id,
                      text=text, client_token=token)


def report_box(resident, thread) -> None:  # type: ignore[no-untyped-def]
    """举报: pick the opinion or one of its comments and a reason."""
    view = thread.opinion
    targets = [(ReportTarget.OPINION, view.id, "这条意见")]
    for cm in thread.comments:
        for item in [cm, *cm.replies]:
            short = item.text if len(item.text) <= 20 else item.text[:20] + "…"
            targets.append((ReportTarget.COMMENT, item.id, f"留言：{short}"))
    with st.expander("举报不当内容"), st.form("consultation.report"):
        st.caption("发现人身攻击、泄露隐私、广告等内容，请告诉居委会，核实后会隐藏。")
        target = st.selectbox("举报哪一条", range(len(targets)), key="consultation.report_target",
                              format_func=lambda i: targets[i][2], placeholder="请选择")
        reason = st.selectbox("理由", REPORT_REASONS, key="consultation.report_reason", index=None,
                              placeholder="请选择举报理由")
        detail = st.text_input("补充说明（可不填）", key="consultation.report_detail", max_chars=200)
        if st.form_submit_button("提交举报", use_container_width=True):
            kind, target_id, _ = targets[target]
            full = "" if reason is None else f"{reason}：{detail.strip()}" if detail.strip() else reason
            _act(report, lambda result: "您已举报过这条内容，居委会正在处理。" if result.already
                 else "举报已提交，居委会会尽快核实处理。谢谢！",
                 actor=resident, target_type=kind, target_id=target_id, reason=full)
            st.rerun()
