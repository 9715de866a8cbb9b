"""Rules with exactly one home (issue 11): checked on the source, so a second copy fails here.

- stored times become local dates and times only in ``portal/timefmt.py``;
- "visible to residents and the public" and vote counts per opinion live only in
  ``portal/services/queries.py``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"


def _sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
            for p in sorted(PORTAL.rglob("*.py")) if "migrations" not in p.parts]


def test_only_timefmt_formats_dates_and_times():
    # audit.py writes its hash chain's canonical UTC stamp; tables.py reads spreadsheet cells.
    allowed = {"portal/timefmt.py", "portal/services/audit.py", "portal/services/tables.py"}
    patterns = [r"\.strftime\(", r"%Y年", r"\.month\}月", r"\bas_local\(", r"timezone\(timedelta"]
    offenders = [(name, pat) for name, text in _sources() if name not in allowed
                 for pat in patterns if re.search(pat, text)]
    assert offenders == []


def test_nobody_asks_the_server_clock_for_a_local_day():
    # date.today() and naive datetime.now() give the server's zone, not China's
    offenders = [name for name, text in _sources()
                 if re.search(r"\bdate\.today\(\)|\bdatetime\.now\(\)", text)]
    assert offenders == []


def _compares_with_visible(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if (isinstance(side, ast.Attribute) and side.attr == "VISIBLE"
                        and isinstance(side.value, ast.Name) and side.value.id == "Visibility"):
                    return True
    return False


def test_visibility_is_decided_only_in_the_query_module():
    offenders = [name for name, text in _sources()
                 if name != "portal/services/queries.py" and _compares_with_visible(ast.parse(text))]
    assert offenders == []


def test_votes_per_opinion_are_counted_only_in_the_query_module():
    offenders = [name for name, text in _sources()
                 if name != "portal/services/queries.py"
                 and re.search(r"group_by\([^)]*Vote\.value|^\s+if value == VoteValue\.", text, re.M)]
    assert offenders == []


CONFIG_PARAMETERS = {"settings", "secret", "font_path", "cache_dir", "data_dir", "base_url", "max_age_seconds"}


def test_services_read_their_configuration_rather_than_being_handed_it():
    # docs/decisions/0010: a function taking a session or an engine reads get_settings() itself
    offenders = []
    for name, text in _sources():
        if not name.startswith("portal/services/"):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = {a.arg for a in [*node.args.args, *node.args.kwonlyargs]}
                if args & {"session", "engine"} and args & CONFIG_PARAMETERS:
                    offenders.append(f"{name}:{node.name}")
    assert offenders == []
