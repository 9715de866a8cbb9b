"""Altair chart builders: plain data in, chart out (no database, no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd


def channel_mix_chart(rows: Sequence[Any]) -> alt.Chart:
    """Opinions per channel: ``rows`` have ``label``, ``count`` and ``share`` (0–1)."""
    df = pd.DataFrame([{"渠道": r.label, "意见数": r.count, "占比": r.share} for r in rows])
    return (
        alt.Chart(df, title="意见来源渠道")
        .mark_bar()
        .encode(
            x=alt.X("意见数:Q", title="意见数"),
            y=alt.Y("渠道:N", sort=list(df["渠道"]) if not df.empty else None, title=None),
            color=alt.Color("渠道:N", legend=None),
            tooltip=["渠道", "意见数", alt.Tooltip("占比:Q", format=".0%")],
        )
        .properties(height=max(120, 34 * len(df)))
    )


def participation_chart(groups: Sequence[Any], *, group_title: str) -> alt.Chart:
    """Roster share vs. participant share per group; under-represented groups in red."""
    records = []
    for g in groups:
        flag = "参与偏少" if g.under_represented else "正常"
        records.append({"分组": g.group, "类别": "名册占比", "占比": g.roster_share, "状态": flag})
        records.append({"分组": g.group, "类别": "参与者占比", "占比": g.participant_share, "状态": flag})
    df = pd.DataFrame(records, columns=["分组", "类别", "占比", "状态"])
    order = list(dict.fromkeys(df["分组"]))
    return (
        alt.Chart(df, title=f"按{group_title}：参与者占比与名册占比")
        .mark_bar()
        .encode(
            y=alt.Y("分组:N", sort=order, title=group_title),
            yOffset=alt.YOffset("类别:N", sort=["名册占比", "参与者占比"]),
            x=alt.X("占比:Q", axis=alt.Axis(format="%"), title="占比"),
            color=alt.Color(
                "类别:N", sort=["名册占比", "参与者占比"], title=None,
                scale=alt.Scale(domain=["名册占比", "参与者占比"], range=["#b0bec5", "#1e88e5"]),
            ),
            stroke=alt.condition(alt.datum.状态 == "参与偏少", alt.value("#d32f2f"), alt.value(None)),
            strokeWidth=alt.condition(alt.datum.状态 == "参与偏少", alt.value(2), alt.value(0)),
            tooltip=["分组", "类别", alt.Tooltip("占比:Q", format=".1%"), "状态"],
        )
        .properties(height=max(160, 44 * len(order)))
    )
