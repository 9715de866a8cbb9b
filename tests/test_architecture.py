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


# ---------------------------------------------------------------- one way to save a change
# Pages save through portal/ui/actions.py; services do their work on the session they are given
# and portal.db.unit_of_work commits it once. These services commit in steps on purpose:
COMMITS_IN_STEPS = {
    # the run is visible as "running" while it works, and a failure is recorded after the
    # analysis transaction rolled back (docs/decisions: analysis runs commit their steps)
    ("portal/services/review/runs.py", "_run_locked"),
    # the consultation's advisory lock lives on its own connection, outside every transaction,
    # for the whole run (decision 0025: one analysis per consultation across machines)
    ("portal/services/review/locks.py", "consultation_lock"),
    # a refused sign-in is counted towards the lockout although the sign-in itself fails:
    # a wrong password, and every participation-code attempt (counted before it is checked)
    ("portal/services/identity/accounts.py", "_count_failure"),
    ("portal/services/identity/throttle.py", "count_attempt"),
}
PAGE_LIMIT = 150
SERVICE_LIMIT = 500


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            out.append((name, node))
    return out


def _imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def page_save_offences(source: str) -> list[str]:
    """Why a page's source breaks the one way of saving (empty when it does not)."""
    tree = ast.parse(source)
    found = [f"calls {name}()" for name, _ in _calls(tree)
             if name in {"commit", "Session", "session_scope", "unit_of_work", "run_with_retry", "begin"}]
    imported = _imported_names(tree)
    found += [f"imports {name}" for name in sorted(imported)
              if name.startswith(("portal.db", "sqlmodel", "sqlalchemy"))
              or name == "portal.services.errors.ServiceError"]
    return found


def test_pages_save_only_through_the_ui_helper():
    offenders = {
        str(p.relative_to(ROOT)): why
        for p in _files("portal", "app_pages")
        if (why := page_save_offences(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_page_check_catches_a_page_that_commits():
    committing = (
        "from portal.ui.resources import db_session\n"
        "with db_session() as session:\n"
        "    create_user(session, actor=actor, username='wangfang')\n"
        "    session.commit()\n"
    )
    own_session = "from sqlmodel import Session\nwith Session(engine) as s:\n    pass\n"
    own_catch = "from portal.services.errors import ServiceError\ntry:\n    x()\nexcept ServiceError:\n    pass\n"
    assert page_save_offences(committing) == ["calls commit()"]
    assert page_save_offences(own_session) == ["calls Session()", "imports sqlmodel.Session"]
    assert page_save_offences(own_catch) == ["imports portal.services.errors.ServiceError"]
    assert page_save_offences("from portal.ui.actions import save\nsave(create_user, actor=actor)\n") == []


def service_commits(path: Path) -> list[tuple[str, str]]:
    """(file, enclosing function) of every ``.commit()`` call in a service module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(ROOT))
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for name, _ in _calls(fn):
                if name == "commit":
                    found.append((rel, fn.name))
    return sorted(set(found))


def test_services_commit_only_through_the_unit_of_work():
    commits = {c for p in _files("portal", "services") for c in service_commits(p)}
    assert commits - COMMITS_IN_STEPS == set()
    assert COMMITS_IN_STEPS <= commits  # an exception that is no longer needed is removed from the list


def _too_long(paths: list[Path], limit: int) -> dict[str, int]:
    return {str(p.relative_to(ROOT)): n for p in paths
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit}


def test_no_page_is_over_150_lines():
    assert _too_long(_files("portal", "app_pages"), PAGE_LIMIT) == {}


def test_no_service_module_is_over_500_lines():
    assert _too_long(_files("portal", "services"), SERVICE_LIMIT) == {}


# ---------------------------------------------------------------- pickers speak Chinese
# Without ``placeholder=`` Streamlit writes "Choose an option" / "Choose options" in the box (and
# "No options to select" when the list is empty). The dropdown's "No results" after a search that
# matches nothing has no parameter in Streamlit 1.67; portal.ui.widgets covers it with CSS
# (checked in tests/browser/test_people_first.py).
PICKERS = {"selectbox", "multiselect"}


def _chinese_placeholder(call: ast.Call) -> bool:
    for k in call.keywords:
        if k.arg is None:  # **options: the caller's job
            return True
        if k.arg == "placeholder":
            if isinstance(k.value, ast.Constant):
                return isinstance(k.value.value, str) and any("\u4e00" <= ch <= "\u9fff" for ch in k.value.value)
            return True  # a variable: checked where it is written
    return False


def _pickers_without_placeholder(source: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in PICKERS and not _chinese_placeholder(node)]


def test_every_selectbox_and_multiselect_has_a_chinese_placeholder():
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in _files("portal")
                 for line in _pickers_without_placeholder(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_picker_check_catches_a_missing_placeholder():
    page = ('import streamlit as st\nc1, c2 = st.columns(2)\n'
            'a = c1.selectbox("楼栋", ["1号楼"], key="x")\n'
            'b = st.multiselect("主题", [], placeholder="请选择")\n'
            'c = st.multiselect("主题", [], placeholder="Choose")\n')
    assert _pickers_without_placeholder(page) == [3, 5]
