"""The 确认归类 tab of the 主题研判 page: name themes with keywords, then confirm one opinion at a
time (属于 / 不属于 / 改到… / 跳过), chosen by the guided learner (see ``review.confirm``)."""

from __future__ import annotations

import streamlit as st

from portal.services import review
from portal.ui.actions import read, save_and_flash
from portal.ui.widgets import plain


def queue_panel(actor, ov, *, editable: bool, flash: str) -> None:  # type: ignore[no-untyped-def]
    """Naming forms and the queue for the consultation of ``ov`` (a ``ReviewOverview``)."""
    st.caption("给主题起名并输入关键词，系统每次挑出一条它最拿不准的意见请您确认。每个回答都会保存，"
               "下次运行意见分析时按主题名称、关键词和这些回答归类。")
    if not editable:
        st.info("主题已定稿，不能再确认归类。")
        return
    _naming(actor, ov, flash)
    cid = ov.consultation.id
    skipped: list[int] = st.session_state.setdefault(f"confirm.skipped.{cid}", [])
    # the first call after a start reads (tokenises) every opinion; later answers only refit
    with st.spinner("系统正在挑选下一条要确认的意见 …"):
        got = read(review.confirm_queue, actor=actor, consultation_id=cid, skip=list(skipped), show="caption")
    if not got:
        return
    item = got.value
    if item is None:
        st.success("没有需要确认的意见了。" + (f"（跳过了 {len(skipped)} 条）" if skipped else ""))
        if skipped and st.button("重新显示跳过的意见", key="confirm.unskip"):
            skipped.clear()
            st.rerun()
        return
    _item(actor, item, skipped, flash)


def _naming(actor, ov, flash: str) -> None:  # type: ignore[no-untyped-def]
    named = [r.theme for r in ov.themes if r.theme.seed_words]
    with st.expander("命名一个新主题", expanded=not named):
        with st.form("confirm.name"):
            label = st.text_input("主题名称", max_chars=review.LABEL_MAX, key="confirm.name.label",
                                  placeholder="例如：门禁管理")
            words = st.text_input("关键词（用顿号或空格分开）", key="confirm.name.words",
                                  placeholder="例如：门卫、外来车辆、门禁卡")
            if st.form_submit_button("保存主题"):
                save_and_flash(flash, f"已新建主题“{label.strip()}”，可以开始确认归类。", review.name_theme,
                               actor=actor, consultation_id=ov.consultation.id, label=label, keywords=words)
    themes = {r.theme.id: r.theme for r in ov.themes if not r.theme.is_other}
    if not themes:
        return
    with st.expander("修改主题的关键词"):
        tid = st.selectbox("主题", list(themes), format_func=lambda i: themes[i].label, key="confirm.words.theme", placeholder="请选择")
        words = st.text_input("关键词（用顿号或空格分开）", value="、".join(themes[tid].seed_words or []),
                              key=f"confirm.words.{tid}")
        if st.button("保存关键词", key="confirm.words.save"):
            save_and_flash(flash, f"已保存“{themes[tid].label}”的关键词。", review.set_seed_words, actor=actor,
                           theme_id=tid, keywords=words)


def _item(actor, item, skipped: list[int], flash: str) -> None:  # type: ignore[no-untyped-def]
    oid, label = item.opinion_id, item.theme_label
    st.caption(f"已确认 {item.n_answered} 条 · 还有 {item.n_left} 条待确认（系统最拿不准的排在前面）")
    with st.container(border=True, key="confirm-item"):
        st.caption(f"意见 #{oid}")
        plain(item.text)
        st.caption(f"系统建议：「{label}」（把握 {item.confidence:.0%}）")
    yes, no, skip = st.columns(3)

    def answer(message: str, **kw) -> None:  # type: ignore[no-untyped-def]
        # buttons are keyed on the opinion, and the service stores a repeated answer once
        save_and_flash(flash, message, review.answer_opinion, actor=actor, opinion_id=oid, **kw)

    if yes.button(f"属于「{label}」", type="primary", key=f"confirm.yes.{oid}"):
        answer(f"已记录：意见 #{oid} 属于「{label}」。", theme_id=item.theme_id, belongs=True)
    if no.button(f"不属于「{label}」", key=f"confirm.no.{oid}"):
        answer(f"已记录：意见 #{oid} 不属于「{label}」。", theme_id=item.theme_id, belongs=False)
    if skip.button("跳过", key=f"confirm.skip.{oid}"):
        skipped.append(oid)
        st.rerun()
    others = {i: name for i, name in item.themes if i != item.theme_id}
    if others:
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        to = pick.selectbox("改到…", list(others), format_func=others.__getitem__, key=f"confirm.to.{oid}", placeholder="请选择")
        if go.button("改到这个主题", key=f"confirm.move.{oid}"):
            answer(f"已记录：意见 #{oid} 改到「{others[to]}」。", theme_id=item.theme_id, belongs=False,
                   to_theme_id=to)
