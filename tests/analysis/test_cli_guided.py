"""`consult themes --seed-words FILE --suggest N`: committee themes and the confirm queue."""

import csv

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from portal.cli_themes import themes

from .corpus import OTHER, labelled_corpus

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
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["意见", "分类"])
        for i, (text, topic) in enumerate(
            zip(texts + OTHER, topics + [""] * len(OTHER), strict=True)
        ):
            writer.writerow([text, topic if i % 10 == 0 else ""])
    return path


@pytest.fixture()
def seeds_csv(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_text(
        "theme,keywords\n"
        "加装电梯,电梯、采光、楼层\n"
        "停车,车位 停车费 乱停车\n"
        "垃圾分类,垃圾、投放、清运\n"
        "电动车充电,充电 充电桩 电动车\n"
        "快递柜,快递 驿站\n",
        encoding="utf-8",
    )
    return path


def run(args):
    return runner.invoke(app, ["themes", *args])


def read_out(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_seed_words_and_suggest(opinions_csv, seeds_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = run(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(out),
            "--seed-words",
            str(seeds_csv),
            "--guide-column",
            "分类",
            "--suggest",
            "5",
        ]
    )
    assert result.exit_code == 0, result.output
    df = read_out(out)
    assert list(df.columns)[-1] == "confirm_rank"
    ranked = df[df["confirm_rank"] != ""]
    assert sorted(ranked["confirm_rank"].astype(int)) == [1, 2, 3, 4, 5]
    assert (ranked["分类"] == "").all()  # only unguided rows are proposed
    guided = df[df["分类"] != ""]
    assert (guided["theme_label"] == guided["分类"]).all()
    # every seed theme exists (快递柜 too, with no opinion) and rows in it carry its name
    assert "快递柜" in result.output
    texts, topics = labelled_corpus()
    by_text = dict(zip(df["意见"], df["theme_label"], strict=False))
    right = sum(by_text[t] == topic for t, topic in zip(texts, topics, strict=True))
    assert right >= 0.8 * len(texts)


def test_seed_words_without_guide_column(opinions_csv, seeds_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = run(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(out),
            "--seed-words",
            str(seeds_csv),
        ]
    )
    assert result.exit_code == 0, result.output
    df = read_out(out)
    assert "confirm_rank" not in df.columns
    assert {"加装电梯", "停车", "垃圾分类", "电动车充电"} <= set(df["theme_label"])


def test_suggest_without_guidance_marks_n_rows(opinions_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = run(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(out),
            "--k",
            "4",
            "--suggest",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    assert sorted(x for x in read_out(out)["confirm_rank"] if x) == ["1", "2", "3"]


def bad(args):
    result = run(args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：")
    return lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("theme,keywords\n,车位\n  ,停车\n", "没有列出任何主题"),
        ("主题名,关键词\n停车,车位\n", "缺少列“theme”"),
        ("theme\n停车\n", "缺少列“keywords”"),
        ("", "空"),
    ],
)
def test_bad_seed_words_file(opinions_csv, tmp_path, content, message):
    path = tmp_path / "seeds.csv"
    path.write_text(content, encoding="utf-8")
    line = bad(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(tmp_path / "o.csv"),
            "--seed-words",
            str(path),
        ]
    )
    assert message in line and "种子词文件" in line


def test_suggest_larger_than_unguided_rows(opinions_csv, tmp_path):
    # 44 rows, 4 of them guided: 40 unguided
    line = bad(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(tmp_path / "o.csv"),
            "--guide-column",
            "分类",
            "--suggest",
            "41",
        ]
    )
    assert "--suggest" in line and "40" in line
    assert "--suggest" in bad(
        [
            str(opinions_csv),
            "--text-column",
            "意见",
            "--out",
            str(tmp_path / "o.csv"),
            "--suggest",
            "0",
        ]
    )
