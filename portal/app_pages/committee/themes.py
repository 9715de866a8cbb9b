import zlib

import streamlit as st

from portal.services import review
from portal.services.consultations import phases
from portal.ui import confirm_queue, review_widgets, theme_summary
from portal.ui.actions import save_and_flash
from portal.ui.resources import db_session
from portal.ui.widgets import (
    md,
    plain,
    require_committee,
    review_consultation_picker,
    show_flash,
)

actor = require_committee("curate_themes")
st.title("主题研判")
st.caption("运行意见分析，检查和整理主题：重命名、合并、拆分、移动意见、标为重点。整理过的主题在重新分析时保留。")

FLASH = "themes.flash"
show_flash(FLASH)

cid = review_consultation_picker("themes.consultation")
if cid is None:
    st.stop()


with db_session() as session:
    ov = review.theme_overview(session, actor=actor, consultation_id=cid)
c = ov.consultation
editable = phases.can_analyse(c)

review_widgets.analysis_run(actor, ov, editable=editable, flash=FLASH)

cols = st.columns(3)
cols[0].metric("意见", ov.n_opinions)
cols[1].metric("不重复", ov.n_distinct)
cols[2].metric("主题", len(ov.themes))
st.caption(ov.duplicates_caption)

if not ov.themes:
    st.stop()

tab_themes, tab_confirm, tab_dups, tab_groups = st.tabs(
    ["主题", "确认归类", f"重复意见（{len(ov.duplicate_groups)} 组）", "意见分组"])

with tab_themes:
    review_widgets.themes_table(ov)
    theme_ids = [r.theme.id for r in ov.themes]
    labels = {r.theme.id: f"{r.theme.label}（{r.theme.size} 条）" for r in ov.themes}
    # Widgets whose options are the themes are keyed on the themes and their labels: after a
    # re-run, merge, split or rename they start fresh instead of holding ids of themes that no
    # longer exist or showing old names (a keyed selectbox keeps its old option texts).
    tv = zlib.crc32(repr(list(labels.items())).encode())

    if editable and len(theme_ids) >= 2:
        with st.expander("合并主题", key="themes.merge.box"):
            into = st.selectbox("合并到", theme_ids, format_func=labels.__getitem__, key=f"themes.merge.into.{tv}", placeholder="请选择")
            others = st.multiselect("把这些主题并入", [t for t in theme_ids if t != into],
                                    format_func=labels.__getitem__, key=f"themes.merge.others.{tv}",
                                    placeholder="选择一个或多个主题")
            new_label = st.text_input("合并后的名称（不填则沿用）", max_chars=review.LABEL_MAX,
                                      key=f"themes.merge.label.{tv}")
            if st.button("合并", key="themes.merge.go"):
                save_and_flash(FLASH, lambda merged: f"已合并为“{md(merged.label)}”。", review.merge_themes, actor=actor,
                               theme_ids=[into, *others], into_id=into, label=new_label or None)

    st.subheader("查看主题", anchor=False)
    wanted = st.session_state.get("themes.open_id")
    tid = st.selectbox("主题", theme_ids, index=theme_ids.index(wanted) if wanted in theme_ids else 0,
                       format_func=labels.__getitem__, key=f"themes.open.{tv}", placeholder="请选择")
    st.session_state["themes.open_id"] = tid
    with db_session() as session:
        detail = review.theme_detail(session, actor=actor, theme_id=tid)
    theme = detail.theme
    st.caption(md(f"关键词：{'、'.join(theme.keywords) or '无'}　·　{'已整理' if theme.curated else '模型生成'}"
               f"{'　·　重点' if theme.priority else ''}"))
    left, right = st.columns([3, 2])
    with right:
        review_widgets.theme_cloud(tid)
    with left:
        st.markdown("**代表性意见**")
        for text in ov.representatives.get(tid, [])[:3]:
            plain(f"“{text}”")
    theme_summary.summary_box(actor, theme, editable=editable, flash=FLASH)
    st.markdown(f"**全部 {len(detail.opinions)} 条意见**")
    review_widgets.opinions_table(detail)

    if editable:
        opinion_text = {line.opinion.id: f"#{line.opinion.id} {line.opinion.text_public[:40]}" for line in detail.opinions}
        a, b = st.columns(2)
        with a, st.form("themes.rename"):
            new_name = st.text_input("重命名", value=theme.label, max_chars=review.LABEL_MAX, key=f"themes.rename.{tid}")
            if st.form_submit_button("保存名称"):
                save_and_flash(FLASH, f"主题已改名为“{md(new_name.strip())}”。", review.rename_theme, actor=actor,
                               theme_id=tid, label=new_name)
        with b, st.form("themes.priority"):
            st.write("重点主题排在最前，公示时突出显示。")
            if st.form_submit_button("取消重点" if theme.priority else "标为重点"):
                save_and_flash(FLASH, "已取消重点。" if theme.priority else f"“{md(theme.label)}”已标为重点。",
                               review.set_priority, actor=actor, theme_id=tid, priority=not theme.priority)

        with st.expander("拆分：把选中的意见拆成新主题", key=f"themes.split.box.{tid}"):
            with st.form("themes.split"):
                picked = st.multiselect("选择意见", list(opinion_text), format_func=opinion_text.__getitem__,
                                        key=f"themes.split.ops.{tid}", placeholder="选择要拆出的意见")
                split_label = st.text_input("新主题名称", max_chars=review.LABEL_MAX, key=f"themes.split.label.{tid}")
                if st.form_submit_button("拆分"):
                    save_and_flash(FLASH, lambda new: f"已拆出新主题“{md(new.label)}”（{len(picked)} 条意见）。",
                                   review.split_theme, actor=actor, theme_id=tid, opinion_ids=picked,
                                   label=split_label)

        targets = [t for t in theme_ids if t != tid]
        if targets:
            with st.expander("移动：把选中的意见移到另一个主题", key=f"themes.move.box.{tid}"):
                with st.form("themes.move"):
                    picked = st.multiselect("选择意见", list(opinion_text), format_func=opinion_text.__getitem__,
                                            key=f"themes.move.ops.{tid}", placeholder="选择要移动的意见")
                    target = st.selectbox("移到", targets, format_func=labels.__getitem__, key=f"themes.move.to.{tid}.{tv}", placeholder="请选择")
                    if st.form_submit_button("移动"):
                        save_and_flash(FLASH, f"已把 {len(picked)} 条意见移到“{md(labels[target].rsplit('（', 1)[0])}”。",
                                       review.move_opinions, actor=actor, opinion_ids=picked, to_theme_id=target)

with tab_confirm:
    confirm_queue.queue_panel(actor, ov, editable=editable, flash=FLASH)

with tab_dups:
    review_widgets.duplicates(ov)

with tab_groups:
    review_widgets.opinion_groups(ov)
