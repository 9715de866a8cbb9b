import zlib

import pandas as pd
import streamlit as st

from portal import charts
from portal.models import ThemeStatus, Visibility
from portal.services import review
from portal.services.consultations import phases
from portal.services.errors import ServiceError
from portal.services.review.runs import run_analysis
from portal.ui.groups import group_stances
from portal.ui.resources import db_session, engine, run_action, settings
from portal.ui.widgets import (
    flash_and_rerun,
    local_time,
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


def done(message: str) -> None:
    flash_and_rerun(FLASH, message)


with db_session() as session:
    ov = review.theme_overview(session, actor=actor, consultation_id=cid)
c = ov.consultation
editable = phases.can_analyse(c)

# ---------------------------------------------------------------- analysis run
with st.container(border=True):
    if ov.run is None:
        st.write("这个议题还没有分析过。")
    else:
        st.write(f"上次分析：{local_time(ov.run.finished_at or ov.run.started_at)}，分析了 {ov.run.n_opinions} 条意见。")
    if ov.n_unassigned:
        st.warning(f"有 {ov.n_unassigned} 条意见还没有归入主题（上次分析后新收到的），请重新运行分析。")
    if editable:
        if st.button("运行意见分析", type="primary", key="themes.run",
                     help="已整理的主题和人工归类的意见会保留；其余意见重新归类。"):
            bar = st.progress(0.0, text="准备中 …")
            try:
                run = run_analysis(engine(), actor=actor, consultation_id=cid,
                                   progress=lambda f, m: bar.progress(min(max(float(f), 0.0), 1.0), text=m))
            except ServiceError as exc:
                st.error(str(exc))
            except Exception as exc:  # the run is atomic: the previous themes are untouched
                st.error(f"分析没有完成，原有主题保持不变。原因：{type(exc).__name__}: {exc}")
            else:
                done(f"分析完成：{run.n_opinions} 条意见。")
    else:
        st.info(f"议题处于{phases.phase_label(c)}阶段，主题已定稿，只能查看。")

cols = st.columns(3)
cols[0].metric("意见", ov.n_opinions)
cols[1].metric("不重复", ov.n_distinct)
cols[2].metric("主题", len(ov.themes))
st.caption(ov.duplicates_caption)

if not ov.themes:
    st.stop()

tab_themes, tab_dups, tab_groups = st.tabs(["主题", f"重复意见（{len(ov.duplicate_groups)} 组）", "意见分组"])

with tab_themes:
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
    theme_ids = [r.theme.id for r in ov.themes]
    labels = {r.theme.id: f"{r.theme.label}（{r.theme.size} 条）" for r in ov.themes}
    # Widgets whose options are the themes are keyed on the themes and their labels: after a
    # re-run, merge, split or rename they start fresh instead of holding ids of themes that no
    # longer exist or showing old names (a keyed selectbox keeps its old option texts).
    tv = zlib.crc32(repr(list(labels.items())).encode())

    if editable and len(theme_ids) >= 2:
        with st.expander("合并主题", key="themes.merge.box"):
            into = st.selectbox("合并到", theme_ids, format_func=labels.__getitem__, key=f"themes.merge.into.{tv}")
            others = st.multiselect("把这些主题并入", [t for t in theme_ids if t != into],
                                    format_func=labels.__getitem__, key=f"themes.merge.others.{tv}",
                                    placeholder="选择一个或多个主题")
            new_label = st.text_input("合并后的名称（不填则沿用）", max_chars=review.LABEL_MAX,
                                      key=f"themes.merge.label.{tv}")
            if st.button("合并", key="themes.merge.go"):
                try:
                    label = run_action(review.merge_themes, actor=actor, theme_ids=[into, *others], into_id=into,
                                       label=new_label or None).label
                except ServiceError as exc:
                    st.error(str(exc))
                else:
                    done(f"已合并为“{label}”。")

    st.subheader("查看主题", anchor=False)
    wanted = st.session_state.get("themes.open_id")
    tid = st.selectbox("主题", theme_ids, index=theme_ids.index(wanted) if wanted in theme_ids else 0,
                       format_func=labels.__getitem__, key=f"themes.open.{tv}")
    st.session_state["themes.open_id"] = tid
    with db_session() as session:
        detail = review.theme_detail(session, actor=actor, theme_id=tid)
    theme = detail.theme
    st.caption(f"关键词：{'、'.join(theme.keywords) or '无'}　·　{'已整理' if theme.curated else '模型生成'}"
               f"{'　·　重点' if theme.priority else ''}")
    left, right = st.columns([3, 2])
    with right:
        try:
            with db_session() as session:
                png = review.theme_cloud_png(session, theme_id=tid, cache_dir=settings().var_dir / "clouds",
                                             font_path=settings().font_path)
            st.image(png, caption="词云", width="stretch")
        except ServiceError as exc:
            st.caption(str(exc))
        except ImportError:
            st.caption("词云暂不可用（分析组件未安装完整）。")
    with left:
        st.markdown("**代表性意见**")
        for text in ov.representatives.get(tid, [])[:3]:
            plain(f"“{text}”")
    st.markdown(f"**全部 {len(detail.opinions)} 条意见**")
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

    if editable:
        opinion_text = {line.opinion.id: f"#{line.opinion.id} {line.opinion.text_public[:40]}" for line in detail.opinions}
        a, b = st.columns(2)
        with a, st.form("themes.rename"):
            new_name = st.text_input("重命名", value=theme.label, max_chars=review.LABEL_MAX, key=f"themes.rename.{tid}")
            if st.form_submit_button("保存名称"):
                try:
                    run_action(review.rename_theme, actor=actor, theme_id=tid, label=new_name)
                except ServiceError as exc:
                    st.error(str(exc))
                else:
                    done(f"主题已改名为“{new_name.strip()}”。")
        with b, st.form("themes.priority"):
            st.write("重点主题排在最前，公示时突出显示。")
            if st.form_submit_button("取消重点" if theme.priority else "标为重点"):
                run_action(review.set_priority, actor=actor, theme_id=tid, priority=not theme.priority)
                done("已取消重点。" if theme.priority else f"“{theme.label}”已标为重点。")

        with st.expander("拆分：把选中的意见拆成新主题", key=f"themes.split.box.{tid}"):
            with st.form("themes.split"):
                picked = st.multiselect("选择意见", list(opinion_text), format_func=opinion_text.__getitem__,
                                        key=f"themes.split.ops.{tid}", placeholder="选择要拆出的意见")
                split_label = st.text_input("新主题名称", max_chars=review.LABEL_MAX, key=f"themes.split.label.{tid}")
                if st.form_submit_button("拆分"):
                    try:
                        new_label = run_action(review.split_theme, actor=actor, theme_id=tid, opinion_ids=picked,
                                               label=split_label).label
                    except ServiceError as exc:
                        st.error(str(exc))
                    else:
                        done(f"已拆出新主题“{new_label}”（{len(picked)} 条意见）。")

        targets = [t for t in theme_ids if t != tid]
        if targets:
            with st.expander("移动：把选中的意见移到另一个主题", key=f"themes.move.box.{tid}"):
                with st.form("themes.move"):
                    picked = st.multiselect("选择意见", list(opinion_text), format_func=opinion_text.__getitem__,
                                            key=f"themes.move.ops.{tid}", placeholder="选择要移动的意见")
                    target = st.selectbox("移到", targets, format_func=labels.__getitem__, key=f"themes.move.to.{tid}.{tv}")
                    if st.form_submit_button("移动"):
                        try:
                            run_action(review.move_opinions, actor=actor, opinion_ids=picked, to_theme_id=target)
                        except ServiceError as exc:
                            st.error(str(exc))
                        else:
                            done(f"已把 {len(picked)} 条意见移到“{labels[target].rsplit('（', 1)[0]}”。")

with tab_dups:
    st.caption("几乎相同的意见（同一诉求多次提交、复制粘贴）在统计“不重复”时只算一条。")
    if not ov.duplicate_groups:
        st.write("没有发现重复意见。")
    for group in ov.duplicate_groups:
        with st.container(border=True):
            st.write(group.caption)
            plain(group.first_text)

with tab_groups:
    st.caption("根据居民的投票（同意 / 不同意）把看法相近的居民分成几组，找出各组的代表性意见和各组都认同的共识。")
    if not ov.opinion_groups:
        st.write("投票还不够多，暂时分不出意见分组。")
    elif ov.group_points:
        st.altair_chart(charts.opinion_groups(pd.DataFrame(ov.group_points)), width="stretch")
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
