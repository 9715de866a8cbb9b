"""Altair chart builders: data in, chart out. Pure (no Streamlit, no database).

Every chart has Chinese titles and axis labels, sizes its height to its rows and fills the
container's width, so it stays readable on a 390-px phone screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

FONT = "Noto Sans SC, Noto Sans CJK SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif"
ROW = 30  # px per bar
AGREE = "#2e7d5b"
DISAGREE = "#b5452c"
ACCENT = "#b5452c"
PALETTE = ["#b5452c", "#2e6f9e", "#2e7d5b", "#c28f2c", "#7a4fa0", "#5f6b73"]  # distinct on paper and screen
LABEL_LIMIT = 140  # px: long theme names get an ellipsis (full name in the tooltip)


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=13, titleFontSize=13, labelFont=FONT, titleFont=FONT)
        .configure_legend(labelFontSize=13, titleFontSize=13, orient="bottom", labelFont=FONT, titleFont=FONT)
        .configure_title(fontSize=15, anchor="start", font=FONT)
        .configure_view(strokeWidth=0)
    )


def scaled_text(spec: dict[str, Any], scale: float) -> dict[str, Any]:
    """A copy of a Vega-Lite ``spec`` with every font size multiplied by ``scale`` (大字模式).

    Vega-Lite draws text at fixed pixel sizes, so the page's larger root font does not reach it.
    Sizes we never set (Vega-Lite's defaults: axis labels 10, titles 11, text marks 11) are
    written in first, so they grow too."""
    if scale == 1:
        return spec

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (v * scale if k.lower().endswith("fontsize") and isinstance(v, (int, float))
                        and not isinstance(v, bool) else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    config = dict(spec.get("config", {}))
    for part, defaults in (("axis", {"labelFontSize": 10, "titleFontSize": 11}),
                           ("legend", {"labelFontSize": 10, "titleFontSize": 11}),
                           ("title", {"fontSize": 13}), ("text", {"fontSize": 11})):
        config[part] = {**defaults, **config.get(part, {})}
    return walk({**spec, "config": config})


def _height(n: int) -> alt.Step:
    """Discrete rows get a fixed step: Streamlit sizes charts with autosize "fit", where a
    fixed pixel height would also have to hold the title, axis and legend and squash the bars."""
    return alt.Step(ROW)


def themes_by_size(themes: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: opinions per theme, coloured by the share of 同意 among decided votes.

    ``themes`` has columns 主题, 意见数, 居民数, 同意, 不同意, 支持率 in rank order.
    """
    order = list(themes["主题"])
    base = alt.Chart(themes).encode(
        y=alt.Y("主题:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
    )
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("意见数:Q", title="意见数（条）", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("支持率:Q", title="支持率", scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen"),
                        legend=alt.Legend(format=".0%", gradientLength=160)),
        tooltip=[alt.Tooltip("主题:N"), alt.Tooltip("意见数:Q"), alt.Tooltip("居民数:Q"),
                 alt.Tooltip("同意:Q"), alt.Tooltip("不同意:Q"), alt.Tooltip("支持率:Q", format=".0%")],
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x="意见数:Q", text="意见数:Q")
    return _style((bars + text).properties(title="各主题意见数与支持率（按热度排序）", height=_height(len(themes))))


def agree_disagree(themes: pd.DataFrame) -> alt.Chart:
    """Diverging bars per theme: 同意 to the right, 不同意 to the left."""
    order = list(themes["主题"])
    rows = []
    for _, t in themes.iterrows():
        rows.append({"主题": t["主题"], "态度": "同意", "票数": int(t["同意"]), "位置": int(t["同意"])})
        rows.append({"主题": t["主题"], "态度": "不同意", "票数": int(t["不同意"]), "位置": -int(t["不同意"])})
    data = pd.DataFrame(rows, columns=["主题", "态度", "票数", "位置"])
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("主题:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X("位置:Q", title="← 不同意　票数　同意 →", axis=alt.Axis(labelExpr="abs(datum.value)")),
        color=alt.Color("态度:N", title=None, scale=alt.Scale(domain=["同意", "不同意"], range=[AGREE, DISAGREE])),
        tooltip=[alt.Tooltip("主题:N"), alt.Tooltip("态度:N"), alt.Tooltip("票数:Q")],
    )
    return _style(chart.properties(title="各主题的同意与不同意票", height=_height(len(themes))))


def opinions_over_time(timeline: pd.DataFrame) -> alt.Chart:
    """Opinions received per day (bars) and the running total (line, right axis)."""
    base = alt.Chart(timeline).encode(x=alt.X("日期:T", title=None, axis=alt.Axis(format="%m-%d", labelAngle=0, tickCount=6)))
    bars = base.mark_bar(color=ACCENT, opacity=0.75).encode(
        y=alt.Y("意见数:Q", title="每日意见数", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("日期:T", format="%Y-%m-%d"), alt.Tooltip("意见数:Q"), alt.Tooltip("累计意见数:Q")],
    )
    line = base.mark_line(color="#555", strokeWidth=2).encode(
        y=alt.Y("累计意见数:Q", title="累计意见数", axis=alt.Axis(tickMinStep=1, format="d")))
    layered = alt.layer(bars, line).resolve_scale(y="independent")
    return _style(layered.properties(title="意见征集进度", height=220))


def participation_vs_roster(areas: pd.DataFrame) -> alt.Chart:
    """Per building: share of registered residents who took part, coloured by grid."""
    data = areas.assign(标签=[f"{p}/{r}" for p, r in zip(areas["参与人数"], areas["名册人数"], strict=True)])
    order = list(areas["楼栋"])
    base = alt.Chart(data).encode(y=alt.Y("楼栋:N", sort=order, title=None))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("参与率:Q", title="参与率（参与人数 / 名册人数）", axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, max(1.0, float(areas["参与率"].max() or 0))])),
        color=alt.Color("网格:N", title="网格", sort=list(dict.fromkeys(areas["网格"])),
                        scale=alt.Scale(domain=list(dict.fromkeys(areas["网格"])), range=PALETTE)),
        tooltip=[alt.Tooltip("网格:N"), alt.Tooltip("楼栋:N"), alt.Tooltip("参与人数:Q"),
                 alt.Tooltip("名册人数:Q"), alt.Tooltip("参与率:Q", format=".0%")],
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x="参与率:Q", text="标签:N")
    return _style((bars + text).properties(title="各楼栋参与情况（对照居民名册）", height=_height(len(areas)),
                                           ))


def opinion_groups(points: pd.DataFrame) -> alt.Chart:
    """Each dot is one voter, placed by how they voted (PCA of the vote matrix), coloured by group."""
    chart = alt.Chart(points).mark_circle(size=70, opacity=0.75).encode(
        x=alt.X("x:Q", title="左右离得越远，投票越不一样", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title="上下离得远，也说明投票有差别", axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("分组:N", title="意见分组", scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip("分组:N")],
    )
    return _style(chart.properties(title="意见分组：投票相近的居民靠在一起", height=280))


def channels(channel_counts: pd.DataFrame) -> alt.Chart:
    """Opinions per channel (网上/纸质/电话/上门走访/热线)."""
    order = list(channel_counts["渠道"])
    base = alt.Chart(channel_counts).encode(y=alt.Y("渠道:N", sort=order, title=None))
    bars = base.mark_bar(color=ACCENT, cornerRadiusEnd=3).encode(
        x=alt.X("意见数:Q", title="意见数（条）", axis=alt.Axis(tickMinStep=1, format="d")), tooltip=["渠道:N", "意见数:Q"])
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x="意见数:Q", text="意见数:Q")
    return _style((bars + text).properties(title="意见来源渠道", height=_height(len(channel_counts))))


def results_chart_specs(results: Any) -> dict[str, dict[str, Any]]:
    """The results page's charts as Vega-Lite specs, by name (themes, votes, timeline, areas,
    channels, groups; a chart with no data is left out), for one ``ConsultationResults``.

    Building and validating a chart costs ~50 ms, so publishing.snapshot stores these with the
    snapshot and the page only draws them; the page calls this itself only for a snapshot
    stored before specs were."""
    themes = results.theme_frame
    specs: dict[str, dict[str, Any]] = {}
    if len(themes):
        specs["themes"] = themes_by_size(themes).to_dict()
        specs["votes"] = agree_disagree(themes).to_dict()
    if len(results.timeline):
        specs["timeline"] = opinions_over_time(results.timeline).to_dict()
    if len(results.areas):
        specs["areas"] = participation_vs_roster(results.areas).to_dict()
    if len(results.channels):
        specs["channels"] = channels(results.channels).to_dict()
    if len(results.group_points):
        specs["groups"] = opinion_groups(results.group_points).to_dict()
    return specs


def channel_mix_chart(rows: Sequence[Any]) -> alt.Chart:
    """Opinions per channel, every channel listed: ``rows`` have ``label``, ``count``, ``share``."""
    df = pd.DataFrame([{"渠道": r.label, "意见数": r.count, "占比": r.share} for r in rows],
                      columns=["渠道", "意见数", "占比"])
    order = list(df["渠道"])
    base = alt.Chart(df).encode(y=alt.Y("渠道:N", sort=order, title=None))
    bars = base.mark_bar(color=ACCENT, cornerRadiusEnd=3).encode(
        x=alt.X("意见数:Q", title="意见数（条）", axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=["渠道:N", "意见数:Q", alt.Tooltip("占比:Q", format=".0%", title="占比")])
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x="意见数:Q", text="意见数:Q")
    # a Step height: a fixed pixel height was squeezed to ~60 px by Streamlit's autosize=fit
    return _style((bars + text).properties(title="意见来源渠道", height=alt.Step(ROW)))


def participation_chart(groups: Sequence[Any], *, group_title: str) -> alt.Chart:
    """Roster share vs. participant share per group; under-represented groups outlined in red."""
    records = []
    for g in groups:
        flag = "参与偏少" if g.under_represented else "正常"
        records.append({"分组": g.group, "类别": "名册占比", "占比": g.roster_share, "状态": flag})
        records.append({"分组": g.group, "类别": "参与者占比", "占比": g.participant_share, "状态": flag})
    df = pd.DataFrame(records, columns=["分组", "类别", "占比", "状态"])
    order = list(dict.fromkeys(df["分组"]))
    kinds = ["名册占比", "参与者占比"]
    chart = alt.Chart(df).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("分组:N", sort=order, title=group_title, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        yOffset=alt.YOffset("类别:N", sort=kinds),
        x=alt.X("占比:Q", axis=alt.Axis(format="%"), title="占比"),
        color=alt.Color("类别:N", sort=kinds, title=None,
                        scale=alt.Scale(domain=kinds, range=["#b0bec5", "#1e6fb5"])),
        stroke=alt.condition(alt.datum.状态 == "参与偏少", alt.value("#d32f2f"), alt.value(None)),
        strokeWidth=alt.condition(alt.datum.状态 == "参与偏少", alt.value(2), alt.value(0)),
        tooltip=["分组", "类别", alt.Tooltip("占比:Q", format=".1%"), "状态"],
    )
    return _style(chart.properties(title=f"按{group_title}：参与者占比与名册占比",
                                   height=alt.Step(ROW // 2 + 2)))


def poll_question_chart(question: Any) -> alt.Chart:
    """One poll question's options: respondents per option (ranking: Borda points), with shares.
    ``question`` has ``text``, ``kind`` and ``options`` (``label``, ``count``, ``share``, ``points``)."""
    ranking = str(question.kind) == "ranking"
    value = "得分" if ranking else "人数"
    df = pd.DataFrame([{"选项": o.label, value: o.points if ranking else o.count, "占比": o.share,
                        "排第一": o.count} for o in question.options], columns=["选项", value, "占比", "排第一"])
    order = list(df["选项"])
    base = alt.Chart(df).encode(y=alt.Y("选项:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)))
    tooltip = ["选项:N", f"{value}:Q"] + (["排第一:Q"] if ranking else [alt.Tooltip("占比:Q", format=".0%")])
    bars = base.mark_bar(color=PALETTE[1], cornerRadiusEnd=3).encode(
        x=alt.X(f"{value}:Q", title="排序得分（排第一得最高分）" if ranking else "选择人数",
                axis=alt.Axis(format="d", tickMinStep=1)), tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x=f"{value}:Q", text=f"{value}:Q")
    return _style((bars + text).properties(title=question.text, height=alt.Step(ROW)))


def owners_vote_chart(tally: Any) -> alt.Chart:
    """The four figures of an owners' vote as shares, each beside its threshold (a tick)."""
    need = 0.75 if tally.supermajority else 0.5
    rows = [
        ("参与 · 面积", float(tally.participation_area_share), 2 / 3, tally.participation_area_met),
        ("参与 · 户数", float(tally.participation_head_share), 2 / 3, tally.participation_heads_met),
        ("同意 · 面积", float(tally.agree_area_share), need, tally.agreement_area_met),
        ("同意 · 户数", float(tally.agree_head_share), need, tally.agreement_heads_met),
    ]
    df = pd.DataFrame([{"指标": n, "占比": s, "门槛": t, "结果": "达到" if ok else "未达到"} for n, s, t, ok in rows],
                      columns=["指标", "占比", "门槛", "结果"])
    order = [r[0] for r in rows]
    base = alt.Chart(df).encode(y=alt.Y("指标:N", sort=order, title=None))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("占比:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]), title="占比"),
        color=alt.Color("结果:N", scale=alt.Scale(domain=["达到", "未达到"], range=[AGREE, DISAGREE]), title=None),
        tooltip=["指标:N", alt.Tooltip("占比:Q", format=".1%"), alt.Tooltip("门槛:Q", format=".1%"), "结果:N"])
    ticks = base.mark_tick(color="#333333", thickness=2, size=ROW - 6).encode(x="门槛:Q")
    return _style((bars + ticks).properties(title="参与与同意（竖线为法定门槛）", height=alt.Step(ROW)))
