"""Read-only views of a consultation's analysis for the committee's review pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import charts
from portal.models import Phase, ThemeStatus, Visibility
from portal.services import review
from portal.timefmt import format_datetime
from portal.ui.actions import read, save_in_steps
from portal.ui.groups import group_stances
from portal.ui.widgets import flash_and_rerun, plain, show_chart


def analysis_run(actor, ov, *, editable: bool, flash: str) -> None:  # type: ignore[no-untyped-def]
    """When the opinions were last analysed, and (while curation is open) the button to run it."""
    from portal.services.review.runs import run_analysis

    c = ov.consultation
    with st.container(border=True):
        if ov.run is None:
            st.write("这个议题还没有分析过。")
        else:
            st.write(f"上次分析：{format_datetime(ov.run.finished_at or ov.run.started_at)}，分析了 {ov.run.n_opinions} 条意见。")
        if ov.n_unassigned and ov.run is not None:  # never analysed: said once, above
            st.warning(f"有 {ov.n_unassigned} 条意见还没有归入主题（上次分析后新收到的），请重新运行分析。")
        elif ov.n_unassigned:
            st.caption(f"共有 {ov.n_unassigned} 条意见等待分析。")
        if not editable:
            st.info(f"议题处于{Phase(c.phase).label}阶段，主题已定稿，只能查看。")
        elif st.button("运行意见分析", type="primary", key="themes.run",
                       help="已整理的主题和人工归类的意见会保留；其余意见重新归类。"):
            bar = st.progress(0.0, text="准备中 …")
            # the run is atomic: when it fails the previous themes are untouched
            ran = save_in_steps(run_analysis, unfinished="分析没有完成，原有主题保持不变。", actor=actor,
                                consultation_id=c.id,
                                progress=lambda f, m: bar.progress(min(max(float(f), 0.0), 1.0), text=m))
            if ran:
                flash_and_rerun(flash, f"分析完成：{ran.value.n_opinions} 条意见。")


def themes_table(ov) -> None:  # type: ignore[no-untyped-def]
    """One row per theme: size, support, response status, keywords."""
    st.dataframe(
        pd.DataFrame([
            {
                "主题": ("★ " if r.theme.priority else "") + r.theme.label,
                "意见": r.theme.size,
                "不重复": r.theme.n_distinct,
                "居民": r.theme.n_residents,
                "支持": r.theme.support,
                "反对": r.theme.opposition,
                "热度": round(r.theme.hot_score, 2),
                "回应": ThemeStatus(r.theme.status).label,
                "已整理": "是" if r.theme.curated else "",
                "关键词": "、".join(r.theme.keywords[:6]),
            }
            for r in ov.themes
        ]),
        hide_index=True, width="stretch",
        column_config={"主题": st.column_config.TextColumn(width="medium"),
                       "关键词": st.column_config.TextColumn(width="medium")},
    )


def theme_cloud(theme_id: int) -> None:
    """The theme's word cloud, or a quiet note why it cannot be drawn."""
    try:
        drawn = read(review.theme_cloud_png, show="caption", theme_id=theme_id)
    except ImportError:
        st.caption("词云暂不可用（分析组件未安装完整）。")
        return
    if drawn:
        st.image(drawn.value, caption="词云", width="stretch")


def opinions_table(detail) -> None:  # type: ignore[no-untyped-def]
    """Every opinion of a theme with its votes, duplicate mark and who filed it there."""
    st.dataframe(
        pd.DataFrame([
            {
                "编号": line.opinion.id,
                "意见": line.opinion.text_public,
                "同意": line.agree,
                "不同意": line.disagree,
                "重复": f"同 #{line.duplicate_of_id}" if line.duplicate_of_id else "",
                "归类": "人工" if line.source == "committee" else "模型",
                "状态": "已隐藏" if line.opinion.visibility == Visibility.HIDDEN else "",
            }
            for line in detail.opinions
        ]),
        hide_index=True, width="stretch",
    )


def duplicates(ov) -> None:  # type: ignore[no-untyped-def]
    st.caption("几乎相同的意见（同一诉求多次提交、复制粘贴）在统计“不重复”时只算一条。")
    if not ov.duplicate_groups:
        st.write("没有发现重复意见。")
    for group in ov.duplicate_groups:
        with st.container(border=True):
            st.write(group.caption)
            plain(group.first_text)


def opinion_groups(ov) -> None:  # type: ignore[no-untyped-def]
    """Residents grouped by their votes, each group's statements, consensus and division."""
    st.caption("根据居民的投票（同意 / 不同意）把看法相近的居民分成几组，找出各组的代表性意见和各组都认同的共识。")
    if not ov.opinion_groups:
        st.write("投票还不够多，暂时分不出意见分组。")
    elif ov.group_points:
        show_chart(charts.opinion_groups(pd.DataFrame(ov.group_points)))
    if ov.group_note:
        st.info(ov.group_note, icon=":material/groups:")
    for g in ov.opinion_groups:
        with st.container(border=True):
            st.markdown(f"**第 {g.number} 组 · {g.size} 人**")
            group_stances(g.representative, g.opposed)
    if ov.consensus:
        st.subheader("共识意见", anchor=False)
        for text in ov.consensus:
            plain(f"✔ {text}")
    if ov.divisive:
        st.subheader("分歧较大的意见", anchor=False)
        for text in ov.divisive:
            plain(f"⚖ {text}")
