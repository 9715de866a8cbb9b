import json

import pandas as pd

from portal import charts

THEMES = pd.DataFrame({"主题": ["费用分摊", "低层住户顾虑"], "意见数": [40, 25], "居民数": [38, 20],
                       "同意": [120, 30], "不同意": [10, 45], "支持率": [0.923, 0.4]})


def _spec(chart) -> dict:
    return json.loads(json.dumps(chart.to_dict(), ensure_ascii=False))


def test_theme_chart_keeps_rank_order_and_chinese_labels():
    spec = _spec(charts.themes_by_size(THEMES))
    assert spec["title"] == "各主题意见数与支持率（按热度排序）"
    y = spec["layer"][0]["encoding"]["y"]
    assert y["sort"] == ["费用分摊", "低层住户顾虑"] and y["title"] is None
    assert spec["layer"][0]["encoding"]["x"]["title"] == "意见数（条）"
    assert spec["height"] == {"step": charts.ROW}  # rows keep their height however many themes


def test_disagree_votes_point_left_and_read_as_positive_numbers():
    spec = _spec(charts.agree_disagree(THEMES))
    rows = next(iter(spec["datasets"].values()))
    dis = [r for r in rows if r["态度"] == "不同意"]
    assert [r["位置"] for r in dis] == [-10, -45] and [r["票数"] for r in dis] == [10, 45]
    assert spec["encoding"]["x"]["axis"]["labelExpr"] == "abs(datum.value)"


def test_participation_chart_labels_each_building_with_counts():
    areas = pd.DataFrame({"网格": ["第一网格"], "楼栋": ["1号楼"], "参与人数": [12], "名册人数": [50], "参与率": [0.24]})
    spec = _spec(charts.participation_vs_roster(areas))
    rows = next(iter(spec["datasets"].values()))
    assert rows[0]["标签"] == "12/50"
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == ".0%"


def test_group_scatter_has_no_resident_ids():
    pts = pd.DataFrame({"x": [0.1, -0.2], "y": [0.3, 0.0], "分组": ["第一组", "第二组"]})
    spec = _spec(charts.opinion_groups(pts))
    rows = next(iter(spec["datasets"].values()))
    assert set(rows[0]) == {"x", "y", "分组"}
    assert "意见分组" in spec["title"]


def test_timeline_uses_whole_numbers():
    tl = pd.DataFrame({"日期": pd.to_datetime(["2026-03-01", "2026-03-02"]), "意见数": [3, 0], "累计意见数": [3, 3]})
    spec = _spec(charts.opinions_over_time(tl))
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == "d"
