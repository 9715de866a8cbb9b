"""Child process for bench_throughput: run one job and print JSON with wall time, CPU time
(user + system, this process and its joined workers; imports included) and peak RSS."""

from __future__ import annotations

import json
import resource
import sys
import time

import _common  # noqa: F401  (puts the repository on sys.path)


def main() -> None:
    job, path = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    if job == "themes":
        import typer
        from typer.testing import CliRunner

        from portal.cli_themes import themes

        app = typer.Typer()
        app.command("themes")(themes)
        app.command("noop")(lambda: None)
        out = sys.argv[3]
        result = CliRunner().invoke(app, ["themes", path, "--text-column", "text", "--out", out])
        if result.exit_code != 0:
            sys.exit(f"themes failed: {result.output}")
    elif job == "jieba":
        import jieba
        import pandas as pd

        texts = pd.read_csv(path, dtype=str, keep_default_na=False)["text"].tolist()
        tk = jieba.Tokenizer()  # same algorithm and speed as jieba.lcut, without global state
        for text in texts:
            tk.lcut(text)
    else:
        sys.exit(f"unknown job {job}")
    secs = time.perf_counter() - t0
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the joined tokenising workers
    cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
    rss_mb = me.ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "cpu_seconds": cpu, "peak_rss_mb": rss_mb}))


if __name__ == "__main__":
    main()
