"""Throughput and memory of `consult themes` at 1k / 10k / 100k opinions, in two shapes.

Inputs are built at run time from the real messages (see _common.py): ``long`` samples whole
messages with small perturbations (median ~200 characters); ``short`` is what residents mostly
type, single sentences, titles and short reviews (median ~30 characters, all distinct).
Each measurement runs in a fresh process (wall time includes start-up and dictionary loading;
peak RSS is that process's; peak PSS adds its forked tokenising workers, counting shared pages
once). The baseline is naive single-process jieba ``lcut`` over the same
texts (tokenisation only), measured in the same run. CPU seconds (user + system, workers
included) are printed too: on a machine shared with other jobs they move far less than wall
time, but they count the two tokenising workers' time twice where wall time does not.

    .venv/bin/python bench/bench_throughput.py [--sizes 1000 10000 100000] [--shapes short long]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pandas as pd
from _common import ROOT, short_corpus, synthetic_corpus

OUT = ROOT / "bench" / "out"


def _pss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int | str) -> list[str]:
    """``pid`` and all its descendants (the forked tokenising workers)."""
    out, todo = [], [str(pid)]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    todo += fh.read().split()
        except OSError:
            pass
    return out


def run(job: str, *args: str) -> dict:
    """Run one job in a fresh process; add the peak PSS of it and its workers, polled from
    here every 0.5 s (shared copy-on-write pages counted once, unlike summed RSS)."""
    cmd = [sys.executable, str(ROOT / "bench" / "_run_cli.py"), job, *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_kb = 0
    while True:
        try:  # communicate() keeps draining the pipes, so a chatty child cannot block on them
            out, err = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            peak_kb = max(peak_kb, sum(_pss_kb(p) for p in _tree(proc.pid)))
    if proc.returncode != 0:
        raise SystemExit(err[-2000:])
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_pss_total_mb"] = peak_kb / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=None,
        help="time naive jieba on at most this many texts and extrapolate by characters",
    )
    parser.add_argument("--shapes", nargs="+", choices=["short", "long"], default=["short", "long"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for shape, n in ((shape, n) for shape in args.shapes for n in args.sizes):
        corpus = short_corpus if shape == "short" else synthetic_corpus
        texts = corpus(n, seed=n)
        path = OUT / f"opinions_{shape}_{n}.csv"
        pd.DataFrame({"id": range(n), "text": texts}).to_csv(path, index=False)
        chars = sum(map(len, texts))
        ours = run("themes", str(path), str(OUT / f"themes_{shape}_{n}.csv"))
        base_path, scale, note = path, 1.0, ""
        if args.baseline_max and n > args.baseline_max:
            base_path = OUT / f"opinions_{shape}_{n}_first{args.baseline_max}.csv"
            pd.DataFrame({"text": texts[: args.baseline_max]}).to_csv(base_path, index=False)
            scale = chars / sum(map(len, texts[: args.baseline_max]))
            note = f" (extrapolated from {args.baseline_max:,d} texts)"
        base = run("jieba", str(base_path))
        base["seconds"] *= scale
        base["cpu_seconds"] *= scale
        base["note"] = note
        rows.append((shape, n, chars, ours, base))
        print(
            f"{shape:5s} n={n:>7,d} chars={chars:>11,d}  consult themes {ours['seconds']:7.1f} s "
            f"{ours['peak_rss_mb']:7.0f} MB (with workers {ours['peak_pss_total_mb']:.0f} MB PSS)"
            f" | jieba.lcut {base['seconds']:7.1f} s "
            f"{base['peak_rss_mb']:5.0f} MB | ratio {ours['seconds'] / base['seconds']:.2f}"
            f" (CPU {ours['cpu_seconds']:.1f} s / {base['cpu_seconds']:.1f} s ="
            f" {ours['cpu_seconds'] / base['cpu_seconds']:.2f}){base['note']}",
            flush=True,
        )
    print(
        "\n| shape | opinions | characters | consult themes (s) | peak RSS (MB) | peak PSS with workers (MB) "
        "| naive jieba.lcut (s) | ratio | CPU s ours / naive | CPU ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape, n, chars, ours, base in rows:
        print(
            f"| {shape} | {n:,d} | {chars:,d} | {ours['seconds']:.1f} | {ours['peak_rss_mb']:.0f} | "
            f"{ours['peak_pss_total_mb']:.0f} | "
            f"{base['seconds']:.1f}{base['note']} | {ours['seconds'] / base['seconds']:.2f} | "
            f"{ours['cpu_seconds']:.1f} / {base['cpu_seconds']:.1f} | "
            f"{ours['cpu_seconds'] / base['cpu_seconds']:.2f} |"
        )


if __name__ == "__main__":
    main()
