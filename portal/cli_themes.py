"""``consult themes``: themes for a committee's spreadsheet (hotline or message-board export).

Registered in ``portal/cli.py`` with ``app.command("themes")(themes)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PROGRESS_MIN_ROWS = 500  # show a progress bar from this many rows on
# A command-line run owns the machine's cores: tokenise in one forked worker per CPU (used from
# 20,000 distinct texts on; 100k opinions on 2 cores: tokenising 14.4 s -> 9.5 s).
N_JOBS = -1


def _fail(message: str) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=2)


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``b`` names the file ``a`` (same path, a link to it, or another spelling)."""
    import os

    try:
        if os.path.samefile(a, b):
            return True
    except OSError:  # one of them does not exist (yet)
        pass
    return Path(os.path.abspath(a)).resolve() == Path(os.path.abspath(b)).resolve()


def themes(
    input: Annotated[
        Path,
        typer.Argument(help="输入文件：.csv（UTF-8 或 GBK，自动识别）或 .xlsx", show_default=False),
    ],
    text_column: Annotated[
        str, typer.Option("--text-column", help="意见文本所在的列名", show_default=False)
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="输出 CSV 文件（原有各列 + theme、theme_label、duplicate_of，"
            "用 --suggest 时另加 confirm_rank）",
            show_default=False,
        ),
    ],
    k: Annotated[str, typer.Option("--k", help="主题数：auto（自动选择）或正整数")] = "auto",
    guide_column: Annotated[
        str | None,
        typer.Option(
            "--guide-column",
            help="已由委员会人工归类的主题列：有值的行保留该主题，其余行归入这些主题或新主题",
        ),
    ] = None,
    themes_out: Annotated[
        Path | None,
        typer.Option(
            "--themes-out",
            help="另写一份主题表 CSV（theme、label、size、keywords、summary；关键词以“、”分隔）",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        str, typer.Option("--seed", help="随机种子（非负整数）：同样的输入和种子得到同样的结果")
    ] = "0",
    seed_words: Annotated[
        Path | None,
        typer.Option(
            "--seed-words",
            help="委员会命名的主题及关键词（CSV：theme、keywords 两列，关键词以 、 或空格分隔）；"
            "这些主题即使没有人工归类的行也会出现",
            show_default=False,
        ),
    ] = None,
    suggest: Annotated[
        int | None,
        typer.Option(
            "--suggest",
            help="在输出中增加 confirm_rank 列（1…N），标出委员会最该先确认归类的 N 条未归类意见",
            show_default=False,
        ),
    ] = None,
) -> None:
    """从意见表格中归纳主题，标注重复意见，输出带主题列的 CSV 并打印主题表。"""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from analysis import InputError, read_table, redact_pii
    from analysis.guided import read_seed_words
    from analysis.io import write_csv_atomic
    from analysis.pipeline import parse_k, theme_table

    if _same_file(input, out):
        _fail(f"输出文件不能是输入文件本身（{out}）：请用 --out 指定另一个文件名。")
    seed_text = str(seed).strip()
    if not seed_text.isdigit():
        _fail(f"--seed 必须是非负整数，收到“{seed}”")
    random_state = int(seed_text)
    if suggest is not None and suggest < 1:
        _fail(f"--suggest 必须是正整数，收到“{suggest}”")
    try:
        k_value = parse_k(k)
        seeds = read_seed_words(seed_words) if seed_words is not None else None
        df = read_table(input)
    except InputError as exc:
        _fail(str(exc))
        return
    n_suggest = suggest or 0
    if text_column not in df.columns or (guide_column and guide_column not in df.columns):
        missing = text_column if text_column not in df.columns else guide_column
        _fail(f"找不到列“{missing}”。可用的列：{'、'.join(map(str, df.columns))}")

    console = Console(stderr=True)
    try:
        if len(df) >= PROGRESS_MIN_ROWS:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("分析中", total=1.0)

                def progress(fraction: float, message: str) -> None:
                    bar.update(task, completed=fraction, description=message)

                result, model = theme_table(
                    df,
                    text_column,
                    k=k_value,
                    guide_column=guide_column,
                    random_state=random_state,
                    progress=progress,
                    n_jobs=N_JOBS,
                    seed_words=seeds,
                    suggest=n_suggest,
                )
        else:
            result, model = theme_table(
                df,
                text_column,
                k=k_value,
                guide_column=guide_column,
                seed_words=seeds,
                suggest=n_suggest,
                random_state=random_state,
            )
    except InputError as exc:
        _fail(str(exc))
        return

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # Temporary file + rename: a run killed while writing never leaves a truncated CSV
        # under the final name; cells are formula-safe as in the open data.
        write_csv_atomic(result, out)
    except OSError as exc:
        _fail(f"无法写入输出文件 {out}：{exc.strerror or exc}")

    if themes_out is not None:
        _write_themes(themes_out, model, result[text_column].tolist())

    table = Table(title=f"主题（共 {len(model.themes_)} 个，{len(df)} 条意见）")
    table.add_column("编号", justify="right")
    table.add_column("主题")
    table.add_column("条数", justify="right")
    table.add_column("关键词")
    table.add_column("代表意见")
    texts = result[text_column].astype(str).tolist()
    for i, theme in enumerate(model.themes_):
        rep = texts[theme.representatives[0]] if theme.representatives else ""
        rep = redact_pii(rep.replace("\n", " "))
        if len(rep) > 40:
            rep = rep[:40] + "…"
        table.add_row(str(i), theme.label, str(theme.size), "、".join(theme.keywords[:5]), rep)
    Console().print(table)
    n_dup = sum(d is not None for d in model.duplicate_of_)
    Console().print(f"已写入 {out}（{len(df)} 行；近似重复 {n_dup} 条）")


def _write_themes(path: Path, model, texts: list) -> None:  # type: ignore[no-untyped-def]
    """The theme table: one row per theme with its extractive summary (quotes redacted)."""
    import pandas as pd

    from analysis.summary import render_summary

    texts = ["" if pd.isna(t) else str(t) for t in texts]
    summaries = model.summaries(texts, redact=True)
    table = pd.DataFrame(
        {
            "theme": list(range(len(model.themes_))),
            "label": [t.label for t in model.themes_],
            "size": [t.size for t in model.themes_],
            "keywords": ["、".join(t.keywords) for t in model.themes_],
            "summary": [render_summary(s) for s in summaries],
        }
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"无法写入主题表 {path}：{exc.strerror or exc}")
