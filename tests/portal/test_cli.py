"""`consult` as a committee member types it."""

import csv

from typer.testing import CliRunner

from portal.cli import app

OPINIONS = [
    "小区东门的路灯坏了好几个月，晚上老人出门很危险，希望尽快修好",
    "东门路灯不亮，晚上回家看不清台阶，已经有人摔倒了",
    "路灯坏了很久，请物业尽快维修东门附近的照明",
    "电动车在楼道里充电太危险了，希望多装几个充电桩",
    "楼道里飞线充电的电瓶车很多，万一着火后果不堪设想",
    "充电桩太少，大家只好把电瓶车推进楼道充电，建议增加充电棚",
    "垃圾分类的投放点离我们楼太远，老人提着垃圾走很累",
    "垃圾投放时间太短，上班族根本赶不上，能不能延长一点",
    "希望垃圾分类督导员早上多站一会儿，很多人乱扔",
]


def test_consult_themes_writes_a_theme_for_every_row(tmp_path):
    src = tmp_path / "热线.csv"
    with src.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow(["编号", "内容"])
        for i, text in enumerate(OPINIONS * 2):
            w.writerow([i + 1, text])
    out = tmp_path / "结果.csv"
    result = CliRunner().invoke(app, ["themes", str(src), "--text-column", "内容", "--out", str(out), "--k", "3"])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(OPINIONS) * 2
    assert {"编号", "内容", "theme", "theme_label", "duplicate_of"} <= set(rows[0])
    assert all(r["theme_label"] for r in rows)
    # the repeated half is marked as duplicates of the first half
    assert sum(1 for r in rows if r["duplicate_of"]) >= len(OPINIONS)


def test_consult_themes_names_a_missing_column(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("编号,内容\n1,路灯坏了很久\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["themes", str(src), "--text-column", "留言", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "留言" in result.output and "内容" in result.output
    assert "Traceback" not in result.output
