"""Fault injection: run a portal job in a child process and let the parent SIGKILL it.

``python -m tests.support_faults analysis URL CONSULTATION_ID --pause-at store``
runs ``services.analysis_runs.run_analysis``; at the pause point it prints ``PAUSED`` and
sleeps, so the parent can kill it exactly there. With ``--pause-at none`` it runs to the end
(the parent may kill it at a random moment instead).

``--model keyword`` swaps in :class:`KeywordThemeModel`, a small deterministic model with the
ThemeModel contract: these tests are about the portal's transaction, not theme quality, and
must run before and independently of the analysis library. ``--model real`` uses
``analysis.ThemeModel``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

KEYWORDS = ["电梯", "停车", "充电", "食堂", "绿化", "噪音"]


@dataclass
class KeywordTheme:
    label: str
    keywords: list[str]
    representatives: list[int] = field(default_factory=list)
    guided: bool = False
    is_other: bool = False


class KeywordThemeModel:
    """Groups texts by the first known keyword they contain; the rest go to 其他."""

    def __init__(self, k="auto", random_state=0, tokenizer=None, keep_features=False):
        self.k = k
        self.random_state = random_state
        self.tokenizer = tokenizer
        self.keep_features = keep_features
        self.features_ = None  # no TF-IDF/LSA features to hand to the 确认归类 queue

    def fit(self, texts, guide=None, progress=None):
        found = []
        for text in texts:
            found.append(next((w for w in KEYWORDS if w in text), None))
        labels_in_order = [w for w in KEYWORDS if w in found]
        self.themes_ = [KeywordTheme(label=f"{w}相关", keywords=[w]) for w in labels_in_order]
        if None in found:
            self.themes_.append(KeywordTheme(label="其他", keywords=[], is_other=True))
        index = {w: i for i, w in enumerate(labels_in_order)}
        self.labels_ = [index[w] if w is not None else len(labels_in_order) for w in found]
        for i, label in enumerate(self.labels_):
            if len(self.themes_[label].representatives) < 3:
                self.themes_[label].representatives.append(i)
        self.duplicate_of_ = [None] * len(texts)
        self.scores_ = [1.0] * len(texts)
        return self


class NoOpinionGroups:
    """Opinion groups are out of scope here: behave like 'too few voters to group'."""

    def __init__(self, random_state=0):
        self.random_state = random_state

    def fit(self, matrix):
        raise ValueError("not enough voters")


def keyword_hot_score(*, n_distinct, n_residents, support, opposition, days_since_last):
    return float(n_distinct + n_residents + support - opposition) / (1.0 + days_since_last)


def use_keyword_model(monkeypatch) -> None:
    """Use KeywordThemeModel (and a plain tokenizer) for one test, undone afterwards: the same
    swap as ``install_keyword_model``, through pytest's ``monkeypatch``."""
    import analysis
    from portal.services.review import runs as analysis_runs

    monkeypatch.setitem(vars(analysis), "ThemeModel", KeywordThemeModel)
    monkeypatch.setitem(vars(analysis), "hot_score", keyword_hot_score)
    monkeypatch.setitem(vars(analysis), "OpinionGroups", NoOpinionGroups)
    monkeypatch.setattr(analysis_runs, "_tokenizer", lambda: None)


def install_keyword_model() -> None:
    """Use KeywordThemeModel (and a plain tokenizer) in this process."""
    import analysis
    from portal.services.review import runs as analysis_runs

    analysis.ThemeModel = KeywordThemeModel
    analysis.hot_score = keyword_hot_score
    analysis.OpinionGroups = NoOpinionGroups
    analysis_runs._tokenizer = lambda: None


def _pause(label: str) -> None:
    print("PAUSED", label, flush=True)
    time.sleep(120)  # the parent kills us long before this ends
    sys.exit(3)


def run_analysis_job(url: str, consultation_id: int, pause_at: str, model: str) -> None:
    from portal.db import make_engine
    from portal.services.actors import SystemActor
    from portal.services.review import runs as analysis_runs

    if model == "keyword":
        install_keyword_model()
    if pause_at == "store":
        # After the new theme set has been written (flushed) inside the run's transaction,
        # before the commit: the worst moment to die.
        original = analysis_runs.refresh_theme_stats

        def paused_refresh(session, consultation_id):
            original(session, consultation_id)
            session.flush()
            _pause("store")

        analysis_runs.refresh_theme_stats = paused_refresh
    elif pause_at == "fit":
        import analysis

        model_cls = analysis.ThemeModel

        class PausedModel(model_cls):  # type: ignore[misc, valid-type]
            def fit(self, *args, **kwargs):
                _pause("fit")

        analysis.ThemeModel = PausedModel
    engine = make_engine(url)
    run = analysis_runs.run_analysis(engine, actor=SystemActor("faults"),
                                     consultation_id=consultation_id, random_state=7)
    print("DONE", run.id, flush=True)


def roster_csv(n_rows: int, offset: int = 0) -> bytes:
    lines = ["楼栋,单元,年龄段,户号"]
    for i in range(offset, offset + n_rows):
        lines.append(f"{i % 12 + 1}号楼,{i % 6 + 1}单元,{['30-44', '45-59', '60-69', '70-79'][i % 4]},"
                     f"{i % 12 + 1}-{i + 101}")
    return ("\n".join(lines) + "\n").encode()


def run_roster_job(url: str, n_rows: int, pause_at: str, offset: int = 0) -> None:
    """Import a roster of ``n_rows`` the way the page does: one session, one commit."""
    from sqlmodel import Session

    from portal.db import make_engine
    from portal.services.actors import SystemActor
    from portal.services.identity import roster

    engine = make_engine(url)
    with Session(engine) as s:
        result = roster.import_roster(s, actor=SystemActor("faults"), data=roster_csv(n_rows, offset),
                                      filename="名册.csv")
        if pause_at == "commit":
            s.flush()
            _pause("commit")  # every row written, not yet committed
        s.commit()
    print("DONE", result.n_residents, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="job", required=True)
    a = sub.add_parser("analysis")
    a.add_argument("url")
    a.add_argument("consultation_id", type=int)
    a.add_argument("--pause-at", choices=["none", "fit", "store"], default="none")
    a.add_argument("--model", choices=["keyword", "real"], default="keyword")
    r = sub.add_parser("roster")
    r.add_argument("url")
    r.add_argument("rows", type=int)
    r.add_argument("--pause-at", choices=["none", "commit"], default="none")
    r.add_argument("--offset", type=int, default=0, help="first household number (distinct files)")
    args = parser.parse_args()
    if args.job == "analysis":
        run_analysis_job(args.url, args.consultation_id, args.pause_at, args.model)
    elif args.job == "roster":
        run_roster_job(args.url, args.rows, args.pause_at, args.offset)


if __name__ == "__main__":
    main()
