"""大字模式 reaches chart text: every font size in a chart's spec grows by the same factor."""

from __future__ import annotations

import pandas as pd

from portal import charts


def _sizes(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if k.lower().endswith("fontsize"):
                yield f"{path}.{k}", v
            else:
                yield from _sizes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _sizes(v, f"{path}[{i}]")


def _themes():
    return pd.DataFrame({"主题": ["加装电梯费用分摊", "停车位不够", "垃圾分类督导"], "意见数": [42, 17, 9],
                         "同意": [120, 40, 12], "不同意": [30, 11, 3]})


def test_every_text_in_the_chart_grows_by_the_scale():
    spec = charts.themes_by_size(_themes()).to_dict()
    big = charts.scaled_text(spec, 1.25)
    before, after = dict(_sizes(spec)), dict(_sizes(big))
    assert before, "the chart sets its own text sizes"
    for where, size in before.items():
        assert after[where] == size * 1.25, where
    # the bar labels (a text mark) and the axis labels are among them
    assert any("mark" in w for w in before) and ".config.axis.labelFontSize" in before


def test_sizes_left_to_vega_lite_defaults_grow_too():
    bare = {"mark": "bar", "encoding": {}, "config": {}}
    big = charts.scaled_text(bare, 1.25)
    assert big["config"]["axis"]["labelFontSize"] == 12.5  # Vega-Lite's default 10
    assert big["config"]["text"]["fontSize"] == 11 * 1.25


def test_normal_size_leaves_the_chart_alone_and_the_original_is_not_changed():
    spec = charts.participation_vs_roster(pd.DataFrame({
        "网格": ["第一网格"], "楼栋": ["1号楼"], "参与人数": [12], "名册人数": [50], "参与率": [0.24],
        "标签": ["12/50"]})).to_dict()
    copy = repr(spec)
    assert charts.scaled_text(spec, 1.0) is spec
    charts.scaled_text(spec, 1.25)
    assert repr(spec) == copy
