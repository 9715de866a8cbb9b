"""Child process for bench_throughput: run one job and print JSON with wall time and peak RSS."""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time

import _common  # noqa: F401  (puts the repository on sys.path)


def _pss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[str]:
    out: list[str] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += fh.read().split()
        except OSError:
            pass
    return out


class PeakMemory(threading.Thread):
    """Peak of the proportional set size of this process plus its children (forked workers),
    sampled every 200 ms: shared copy-on-write pages are counted once, unlike summed RSS."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.2):
            total = _pss_kb(me) + sum(_pss_kb(c) for c in _children(me))
            self.peak_kb = max(self.peak_kb, total)


def main() -> None:
    job, path = sys.argv[1], sys.argv[2]
    memory = PeakMemory()
    memory.start()
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
    memory.stop.set()
    memory.join()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"seconds": secs, "peak_rss_mb": rss_mb, "peak_pss_total_mb": memory.peak_kb / 1024}
        )
    )


if __name__ == "__main__":
    main()
