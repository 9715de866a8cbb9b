"""Personal-data redaction: precision and recall per kind on our labelled cases, and throughput.

The cases (``bench/data/redact_cases.txt``) are sentences written for this benchmark, with the
personal data marked ``[[kind:text]]``; lines without marks are hard negatives (dates, prices,
hotlines, counts …). The baseline is the redactor as it was before it learnt typed formats, read
from git at run time (``--baseline``, default the commit before that change), so both are
measured in the same run on the same cases.

Scoring is about what the public sees:
- a marked item is *recalled* when every letter and digit of it is inside some match (a
  partly masked phone number still leaks), whatever kind the match says;
- a match is *correct* when it overlaps a marked item; precision per kind is over the matches
  of that kind.

Throughput: ``find_pii`` + ``redact_pii`` (what storing an opinion calls) over ``--n`` real
messages with small perturbations (``_common.synthetic_corpus``, read at run time from the
evaluation data; skipped when it is absent).

    .venv/bin/python bench/bench_redact.py [--baseline REV] [--n 100000]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from _common import ROOT, eval_data_dir, real_messages, synthetic_corpus

CASE_SETS = {
    # written while the rules were developed (they were tuned until these passed)
    "development": ROOT / "bench" / "data" / "redact_cases.txt",
    # written after the rules were settled, scored as they came
    "held-out": ROOT / "bench" / "data" / "redact_cases_heldout.txt",
}
BASELINE = "83a275c"  # analysis/redact.py before the typed-formats change
_MARK_RE = re.compile(r"\[\[([a-z_]+):(.+?)\]\]")
_SIGNIFICANT_RE = re.compile(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a〇○零一二三四五六七八九壹贰叁肆伍陆柒捌玖幺两]")


@dataclass(frozen=True)
class Case:
    text: str
    gold: list[tuple[str, int, int]]  # (kind, start, end)
    line: int


def load_cases(path: Path) -> list[Case]:
    """Parse the labelled cases: marks are removed from the text and kept as spans."""
    cases = []
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        text, gold, pos = [], [], 0
        for m in _MARK_RE.finditer(raw):
            text.append(raw[pos : m.start()])
            start = sum(map(len, text))
            text.append(m.group(2))
            gold.append((m.group(1), start, start + len(m.group(2))))
            pos = m.end()
        text.append(raw[pos:])
        cases.append(Case("".join(text), gold, no))
    return cases


def load_baseline(rev: str) -> ModuleType | None:
    """The redactor module as it was at ``rev`` (from git), or None when git cannot show it."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:analysis/redact.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"baseline {rev} not available ({exc}); only the current redactor is measured")
        return None
    path = Path(tempfile.mkdtemp()) / "redact_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("redact_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["redact_baseline"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Score:
    gold: Counter[str]
    recalled: Counter[str]
    predicted: Counter[str]
    correct: Counter[str]
    negatives: int
    negatives_intact: int
    misses: list[str]
    false_alarms: list[str]


def evaluate(find_pii, cases: list[Case]) -> Score:
    s = Score(Counter(), Counter(), Counter(), Counter(), 0, 0, [], [])
    for case in cases:
        found = find_pii(case.text)
        masked = set()
        for m in found:
            masked.update(range(m.start, m.end))
            s.predicted[m.kind] += 1
            if any(m.start < e and b < m.end for _, b, e in case.gold):
                s.correct[m.kind] += 1
            else:
                s.false_alarms.append(f"{case.line}: {m.kind} {m.text!r} in {case.text}")
        for kind, b, e in case.gold:
            s.gold[kind] += 1
            needed = {i for i in range(b, e) if _SIGNIFICANT_RE.match(case.text[i])}
            if needed <= masked:
                s.recalled[kind] += 1
            else:
                s.misses.append(f"{case.line}: {kind} {case.text[b:e]!r} in {case.text}")
        if not case.gold:
            s.negatives += 1
            s.negatives_intact += not found
    return s


def _ratio(a: int, b: int) -> str:
    return f"{a / b:6.3f}" if b else "     -"


def report(name: str, s: Score, verbose: bool) -> None:
    kinds = sorted(set(s.gold) | set(s.predicted))
    print(f"\n{name}")
    print(f"{'kind':10} {'items':>5} {'recall':>6} {'matches':>7} {'precision':>9}")
    for k in kinds:
        print(f"{k:10} {s.gold[k]:5d} {_ratio(s.recalled[k], s.gold[k])} {s.predicted[k]:7d} "
              f"{_ratio(s.correct[k], s.predicted[k]):>9}")
    g, r = sum(s.gold.values()), sum(s.recalled.values())
    p, c = sum(s.predicted.values()), sum(s.correct.values())
    print(f"{'overall':10} {g:5d} {_ratio(r, g)} {p:7d} {_ratio(c, p):>9}")
    print(f"hard negatives left intact: {s.negatives_intact}/{s.negatives}")
    if verbose:
        for line in s.misses:
            print("  missed  ", line)
        for line in s.false_alarms:
            print("  wrongly ", line)


def throughput(modules: dict[str, ModuleType], n: int) -> None:
    if not (eval_data_dir() / "tipdm2020c").is_dir():
        print(f"\nthroughput skipped: evaluation data not found under {eval_data_dir()}")
        return
    texts = synthetic_corpus(n)
    chars = sum(map(len, texts))
    print(f"\nthroughput: {n} real messages with perturbations, {chars / n:.0f} characters on average")
    times = {}
    for name, mod in modules.items():
        started = time.perf_counter()
        changed = 0
        kinds: Counter[str] = Counter()
        for t in texts:
            found = mod.find_pii(t)  # what portal.services.text.public_text calls
            public = mod.redact_pii(t)
            changed += public != t
            kinds.update(m.kind for m in found)
        times[name] = time.perf_counter() - started
        print(f"{name:9} {times[name]:6.2f} s  {n / times[name]:8.0f} texts/s  "
              f"{times[name] / n * 1e6:6.1f} µs/text  texts changed {changed}  {dict(sorted(kinds.items()))}")
    if len(times) == 2:
        base, new = times.values()
        print(f"new / baseline time: {new / base:.2f}")


def compare_on_real(baseline: ModuleType, new: ModuleType) -> None:
    """On the distinct real messages: what the new redactor masks more, and any baseline match
    it leaves (partly) unmasked. Only counts are printed; the texts stay where they are."""
    if not (eval_data_dir() / "tipdm2020c").is_dir():
        return
    texts = list(dict.fromkeys(real_messages()))
    more: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for t in texts:
        old_spans = {(m.start, m.end) for m in baseline.find_pii(t)}
        masked: set[int] = set()
        for m in new.find_pii(t):
            masked.update(range(m.start, m.end))
            if (m.start, m.end) not in old_spans:
                more[m.kind] += 1
        for a, b in old_spans:
            if not set(range(a, b)) <= masked:
                lost[next(m.kind for m in baseline.find_pii(t) if (m.start, m.end) == (a, b))] += 1
    print(f"\nreal messages ({len(texts)} distinct): new matches not in the baseline "
          f"{dict(sorted(more.items()))}; baseline matches left unmasked {dict(sorted(lost.items())) or 0}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the baseline redactor")
    parser.add_argument("--n", type=int, default=100_000, help="texts for the throughput run (0: skip)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args()

    from analysis import redact

    modules: dict[str, ModuleType] = {}
    baseline = load_baseline(args.baseline)
    if baseline is not None:
        modules["baseline"] = baseline
    modules["new"] = redact
    for set_name, path in CASE_SETS.items():
        cases = load_cases(path)
        print(f"\n=== {set_name} cases: {len(cases)} sentences, {sum(len(c.gold) for c in cases)} marked "
              f"items, {sum(not c.gold for c in cases)} hard negatives ({path.relative_to(ROOT)})")
        for name, mod in modules.items():
            label = f"baseline (git {args.baseline})" if name == "baseline" else "new (analysis/redact.py)"
            report(label, evaluate(mod.find_pii, cases), args.verbose)
    if baseline is not None:
        compare_on_real(baseline, redact)
    if args.n:
        throughput(modules, args.n)


if __name__ == "__main__":
    main()
