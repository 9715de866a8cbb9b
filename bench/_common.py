"""Shared helpers for the benchmarks: evaluation data location and synthetic large inputs."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def eval_data_dir() -> Path:
    """``$PORTAL_EVAL_DATA``, else ``<repo>/../shared/data`` (from a git worktree nested one
    level deeper, ``<repo>/../../shared/data`` is tried too)."""
    if "PORTAL_EVAL_DATA" in os.environ:
        return Path(os.environ["PORTAL_EVAL_DATA"])
    for parent in (ROOT.parent, ROOT.parent.parent):
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "data"


def require_data(name: str) -> Path:
    path = eval_data_dir() / "tipdm2020c" / name
    if not path.exists():
        sys.exit(f"evaluation data not found: {path} (set PORTAL_EVAL_DATA)")
    return path


def real_messages() -> list[str]:
    """All real messages of the evaluation set (title + body), read at run time."""
    texts = pd.read_csv(require_data("labeled_dev.csv"))["text"].astype(str).tolist()
    for name in ("hot_messages.csv", "replied_messages.csv"):
        df = pd.read_csv(require_data(name))
        texts += (df["title"].astype(str) + df["detail"].astype(str)).tolist()
    return texts


_FILLERS = ["。", "，", "！", " ", "请尽快处理", "谢谢", "急", "补充一下：", "另外", "\n"]


def synthetic_corpus(n: int, seed: int = 0) -> list[str]:
    """``n`` texts sampled from the real messages with small perturbations (a random cut of the
    end, a filler inserted, a character dropped), so that most texts are distinct."""
    base = real_messages()
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.integers(0, len(base), size=n):
        t = base[i]
        if len(t) > 40 and rng.random() < 0.7:
            t = t[: int(len(t) * rng.uniform(0.6, 1.0))]
        if rng.random() < 0.5:
            pos = int(rng.integers(0, len(t) + 1))
            t = t[:pos] + _FILLERS[int(rng.integers(len(_FILLERS)))] + t[pos:]
        if len(t) > 10 and rng.random() < 0.5:
            pos = int(rng.integers(0, len(t)))
            t = t[:pos] + t[pos + 1 :]
        out.append(t)
    return out


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def short_corpus(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct short opinions (median ~30 characters), built at run time from real text:
    single sentences and titles of the messages, plus the reviews and news titles of
    ``other_domains``;
    about one in five joins two or three sentences (a resident writing a few lines), and a
    filler or a dropped character keeps repeated sentences distinct."""
    pieces: list[str] = []
    for name in ("hot_messages.csv", "replied_messages.csv"):
        df = pd.read_csv(require_data(name))
        pieces += df["title"].astype(str).tolist()
        for detail in df["detail"].astype(str):
            pieces += [s.strip() for s in _SENTENCE_END.split(detail) if len(s.strip()) >= 6]
    for name in ("reviews_dev.csv", "news_titles_dev.csv"):
        path = eval_data_dir() / "other_domains" / name
        if path.exists():
            pieces += pd.read_csv(path)["text"].astype(str).tolist()
    pieces = [p for p in pieces if 6 <= len(p) <= 120]
    rng = np.random.default_rng(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        t = pieces[int(rng.integers(len(pieces)))]
        if len(t) > 30 and rng.random() < 0.5:  # the first clause or two of a long sentence
            clauses = t.split("，")
            t = "，".join(clauses[: int(rng.integers(1, 3))]).rstrip("。") + "。"
        if rng.random() < 0.2:
            t += "".join(pieces[int(j)] for j in rng.integers(0, len(pieces), size=int(rng.integers(1, 3))))
        if rng.random() < 0.5:
            pos = int(rng.integers(0, len(t) + 1))
            t = t[:pos] + _FILLERS[int(rng.integers(len(_FILLERS)))] + t[pos:]
        if len(t) > 10 and rng.random() < 0.5:
            pos = int(rng.integers(0, len(t)))
            t = t[:pos] + t[pos + 1 :]
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out
