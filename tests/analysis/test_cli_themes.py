"""The `consult themes` command, registered on a tiny typer app as portal/cli.py does."""

import csv
import re

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from portal.cli_themes import themes

from .corpus import labelled_corpus

app = typer.Typer()
app.command("themes")(themes)


@app.command("version")
def _version() -> None:  # a second command, so "themes" is a real sub-command
    typer.echo("0")


runner = CliRunner()


@pytest.fixture()
def opinions_csv(tmp_path):
    texts, topics = labelled_corpus()
    path = tmp_path / "opinions.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["编号", "意见", "分类"])
        for i, (text, topic) in enumerate(zip(texts, topics, strict=True)):
            writer.writerow([i, text, topic if i % 4 == 0 else ""])
        writer.writerow([len(texts), texts[0], ""])  # a repeated opinion
    return path


def test_themes_writes_csv_and_prints_table(opinions_csv, tmp_path):
    out = tmp_path / "out" / "themes.csv"
    result = runner.invoke(
        app, ["themes", str(opinions_csv), "--text-column", "意见", "--out", str(out), "--k", "4"]
    )
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(df.columns) == ["编号", "意见", "分类", "theme", "theme_label", "duplicate_of"]
    assert len(df) == 41
    assert df["duplicate_of"].iloc[-1] == "0" and df["duplicate_of"].iloc[1] == ""
    assert "主题" in result.output and "代表意见" in result.output
    assert df["theme_label"].iloc[0] in result.output


def test_guide_column_keeps_committee_labels(opinions_csv, tmp_path):
    out = tmp_path / "guided.csv"
    result = runner.invoke(
        app,
        [
            "themes",
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(out),
            "--guide-column",
            "分类",
        ],
    )
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    guided = df[df["分类"] != ""]
    assert (guided["theme_label"] == guided["分类"]).all()
    assert set(df["theme_label"]) >= {"加装电梯", "停车", "垃圾分类", "电动车充电"}


def invoke_bad(args):
    result = runner.invoke(app, ["themes", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_missing_column_lists_available_ones(opinions_csv, tmp_path):
    output = invoke_bad(
        [str(opinions_csv), "--text-column", "内容", "--out", str(tmp_path / "o.csv")]
    )
    assert "找不到列“内容”" in output and "编号、意见、分类" in output


def test_missing_guide_column(opinions_csv, tmp_path):
    output = invoke_bad(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--guide-column",
            "人工分类",
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    assert "人工分类" in output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "空"),
        ("header.csv", "意见\n".encode(), "没有数据行"),
        ("garbled.csv", bytes(range(128, 256)) * 8, "编码"),
        ("opinions.docx", b"PK", "只支持 CSV 或 Excel"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    output = invoke_bad([str(path), "--text-column", "意见", "--out", str(tmp_path / "o.csv")])
    assert message in output


def test_missing_file_and_bad_k(opinions_csv, tmp_path):
    assert "找不到文件" in invoke_bad(
        [str(tmp_path / "nope.csv"), "--text-column", "意见", "--out", "o.csv"]
    )
    assert "--k" in invoke_bad(
        [str(opinions_csv), "--text-column", "意见", "--out", "o.csv", "--k", "many"]
    )
    assert "--k" in invoke_bad(
        [str(opinions_csv), "--text-column", "意见", "--out", "o.csv", "--k", "0"]
    )


# -- output safety (issue 12, item 6) ---------------------------------------------------------


@pytest.mark.parametrize("spelling", ["same", "dotted", "hard-link"])
def test_output_that_is_the_input_is_refused_and_the_input_kept(opinions_csv, tmp_path, spelling):
    before = opinions_csv.read_bytes()
    if spelling == "same":
        out = opinions_csv
    elif spelling == "dotted":
        out = tmp_path / "sub" / ".." / opinions_csv.name
        (tmp_path / "sub").mkdir()
    else:
        out = tmp_path / "link.csv"
        out.hardlink_to(opinions_csv)
    output = invoke_bad([str(opinions_csv), "--text-column", "意见", "--out", str(out)])
    assert "输出文件不能是输入文件本身" in output
    assert len(output.strip().splitlines()) == 1
    assert opinions_csv.read_bytes() == before


def test_interrupted_write_leaves_no_truncated_file(opinions_csv, tmp_path, monkeypatch):
    """The disk fills up half-way through the rows: the previous result stays whole under the
    final name and no partial file is left beside it."""
    out = tmp_path / "themes.csv"
    out.write_text("上一次的结果\n", encoding="utf-8")
    real_to_csv = pd.DataFrame.to_csv

    def disk_full(self, path_or_buf=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_to_csv(self.head(len(self) // 2), path_or_buf, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    output = invoke_bad([str(opinions_csv), "--text-column", "意见", "--out", str(out)])
    assert "无法写入输出文件" in output
    assert out.read_text(encoding="utf-8") == "上一次的结果\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opinions.csv", "themes.csv"]


def test_output_cells_are_formula_safe(tmp_path):
    path = tmp_path / "in.csv"
    rows = [
        "=HYPERLINK(\"http://example.com\",\"点此查看物业收费明细\")",
        "@SUM(1+1) 楼道灯坏了好几天，晚上下楼很危险",
        "+86 的号码打不通物业电话，电梯坏了没人修",
        "小区东门的路灯坏了，晚上回家很黑，希望尽快修好",
        "电梯经常停运，老人上下楼很不方便",
        "垃圾分类点的味道太大，夏天尤其明显",
    ]
    pd.DataFrame({"意见": rows, "=备注": ["-1"] * len(rows)}).to_csv(path, index=False)
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["themes", str(path), "--text-column", "意见", "--out", str(out), "--k", "2"]
    )
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(df.columns)[:2] == ["意见", "'=备注"]
    assert df["意见"].tolist()[:3] == ["'" + r for r in rows[:3]]
    assert df["意见"].tolist()[3:] == rows[3:]
    assert set(df["'=备注"]) == {"'-1"}
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in df.to_numpy().ravel())
def test_themes_out_writes_one_row_per_theme_with_summary(opinions_csv, tmp_path):
    out, themes_out = tmp_path / "rows.csv", tmp_path / "sub" / "themes.csv"
    args = ["themes", str(opinions_csv), "--text-column", "意见", "--out", str(out)]
    result = runner.invoke(app, [*args, "--themes-out", str(themes_out), "--seed", "2"])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table = pd.read_csv(themes_out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(table.columns) == ["theme", "label", "size", "keywords", "summary"]
    assert table["theme"].tolist() == [str(i) for i in range(len(table))]
    assert sum(map(int, table["size"])) == len(rows)
    assert table["label"].is_unique
    for _, theme in table.iterrows():
        members = rows[rows["theme"] == theme["theme"]]
        assert len(members) == int(theme["size"])
        assert set(members["theme_label"]) == {theme["label"]}
        assert theme["summary"].startswith(f"共 {theme['size']} 条意见")
        if theme["keywords"]:
            assert " " not in theme["keywords"] and "," not in theme["keywords"]
            assert all(w for w in theme["keywords"].split("、"))
        for quote in re.findall(r"“([^”]+)”", theme["summary"]):
            assert any(quote in text for text in members["意见"])  # verbatim from the theme

    # the same seed gives the same files, the default seed is 0
    again = tmp_path / "again.csv"
    result = runner.invoke(app, [*args, "--themes-out", str(again), "--seed", "2"])
    assert result.exit_code == 0 and again.read_bytes() == themes_out.read_bytes()


def test_themes_out_quotes_are_redacted(tmp_path):
    path = tmp_path / "phones.csv"
    texts = [
        f"充电桩坏了没人修，请回电{13812345670 + i}"
        if i % 2
        else f"充电桩太少不够用，我住{i}号楼2单元50{i}室"
        for i in range(8)
    ] + [f"楼道堆放杂物挡住消防通道，第{i}次反映了" for i in range(8)]
    pd.DataFrame({"意见": texts}).to_csv(path, index=False)
    themes_out = tmp_path / "themes.csv"
    result = runner.invoke(
        app,
        [
            "themes",
            str(path),
            "--text-column",
            "意见",
            "--out",
            str(tmp_path / "o.csv"),
            "--themes-out",
            str(themes_out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(themes_out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    summaries = " ".join(table["summary"])
    assert "“" in summaries and not re.search(r"1[3-9]\d{9}", summaries)
    assert "手机号" not in " ".join(table["keywords"] + table["label"])


@pytest.mark.parametrize("seed", ["-1", "abc", "1.5"])
def test_bad_seed(opinions_csv, tmp_path, seed):
    output = invoke_bad(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(tmp_path / "o.csv"),
            "--seed",
            seed,
        ]
    )
    assert "--seed 必须是非负整数" in output and len(output.strip().splitlines()) == 1


def test_unwritable_themes_out(opinions_csv, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    output = invoke_bad(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(tmp_path / "o.csv"),
            "--themes-out",
            str(blocker / "themes.csv"),
        ]
    )
    assert "无法写入主题表" in output
