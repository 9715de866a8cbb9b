"""The summary box of the 主题研判 page: the machine draft, the committee's edit and its review."""

from __future__ import annotations

import zlib

import streamlit as st

from portal.services import review
from portal.ui.actions import save_and_flash
from portal.ui.widgets import plain


def summary_box(actor, theme, *, editable: bool, flash: str) -> None:  # type: ignore[no-untyped-def]
    """Show a theme's summary with its review state; while curation is open, edit and review it.

    Residents only ever see a reviewed summary (see ``review.summaries``)."""
    state = review.summary_state(theme)
    st.markdown("**主题摘要**")
    if state.reviewed:
        st.badge("已审核，发布后居民可见", color="green")
    else:
        st.badge("机器草稿，未审核：居民看不到", color="orange")
    if state.draft_changed:
        st.warning("重新分析后，这个主题的机器草稿有了变化（意见有增减）。请对照下面的最新草稿核对摘要，再重新审核。")
    if not editable:
        plain(state.text or "（没有摘要）")
        return
    # keyed on the text shown: after a re-run or a save the box starts from the stored summary
    version = zlib.crc32(state.text.encode())
    with st.form(f"themes.summary.{theme.id}"):
        text = st.text_area("摘要（只摘录居民原话和统计，审核后随结果公开）", value=state.text,
                            max_chars=review.SUMMARY_MAX, height=170,
                            key=f"themes.summary.text.{theme.id}.{version}",
                            placeholder="运行意见分析后，这里会出现机器草稿。")
        left, right = st.columns(2)
        approve = left.form_submit_button("保存并标为已审核", type="primary")
        keep = right.form_submit_button("撤销审核（保存为草稿）" if state.reviewed else "只保存，稍后审核")
    if approve:
        save_and_flash(flash, f"“{theme.label}”的摘要已审核，发布后居民可以看到。", review.save_summary,
                       actor=actor, theme_id=theme.id, text=text, reviewed=True)
    elif keep:
        save_and_flash(flash, f"已保存“{theme.label}”的摘要（未审核，居民看不到）。", review.save_summary,
                       actor=actor, theme_id=theme.id, text=text, reviewed=False)
    if state.draft and (state.edited or state.draft_changed):
        with st.expander("最新机器草稿"):
            plain(state.draft)
