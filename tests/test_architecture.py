"""The import direction of docs/architecture.md, checked on the source."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _files(*parts: str) -> list[Path]:
    return sorted((ROOT.joinpath(*parts)).rglob("*.py"))


def test_only_the_app_pages_and_ui_import_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _files("portal") + _files("analysis")
        if "streamlit" in _imports(p)
        and not (p.name in ("app.py", "server.py") or "app_pages" in p.parts or "ui" in p.parts)
    ]
    assert offenders == []


def test_pages_do_no_sql_and_no_tokenising():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _files("portal", "app_pages")
        if _imports(p) & {"sqlmodel", "sqlalchemy", "jieba", "rjieba"}
    ]
    assert offenders == []
