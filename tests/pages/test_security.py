"""Committee pages keep visitors and residents out; nothing anybody writes is ever rendered as
Markdown or HTML on any page (AppTest over every page, for every role)."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from portal.models import CommitteeUser, Resident, Role
from portal.services.actors import has_permission
from portal.services.identity import resident_actor
from portal.ui.widgets import md
from tests.pages.world_app import MARKERS, salted, salted_template  # noqa: F401  (fixtures)
from tests.support import ROOT

APP = str(ROOT / "portal" / "app.py")
PAGES_DIR = ROOT / "portal" / "app_pages"
COMMITTEE_PAGES = sorted(p for p in (PAGES_DIR / "committee").glob("*.py") if p.name != "login.py")
ALL_PAGES = sorted(PAGES_DIR.glob("*/*.py"))


def _rel(page: Path) -> str:
    return str(page.relative_to(ROOT / "portal"))


def _page_permission(page: Path) -> str:
    m = re.search(r'require_committee\(\s*"(\w+)"', page.read_text(encoding="utf-8"))
    return m.group(1) if m else "view_committee"


def _actor(salted, who: str):  # noqa: F811
    world = salted.world
    if who == "visitor":
        return None
    if who == "resident":
        with Session(world.engine) as s:
            return resident_actor(s, s.get(Resident, world.residents[0]))
    return world.committee[Role(who)]


def _app(actor) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if actor is not None:
        at.session_state["auth.actor"] = actor
        at.session_state["auth.since"] = datetime.now(UTC)
    at.run()
    return at


def _registered(at: AppTest, page: Path) -> bool:
    try:
        at.switch_page(_rel(page))
    except ValueError as exc:
        assert "Could not find a navigation page" in str(exc)
        return False
    return True


# ---------------------------------------------------------------- who may open what


@pytest.mark.parametrize("who", ["visitor", "resident", "clerk", "reviewer", "admin"])
def test_committee_pages_open_only_for_roles_with_their_permission(salted, who):  # noqa: F811
    actor = _actor(salted, who)
    assert COMMITTEE_PAGES, "no committee pages found"
    for page in COMMITTEE_PAGES:
        at = _app(actor)
        allowed = has_permission(actor, _page_permission(page))
        assert _registered(at, page) == allowed, f"{who} / {page.name}"
        if allowed:
            at.run()
            assert not at.exception, f"{page.name} crashed for {who}: {at.exception}"


def test_a_member_demoted_while_signed_in_loses_the_page_at_once(salted):  # noqa: F811
    admin = salted.world.committee[Role.ADMIN]
    at = _app(admin)
    at.switch_page("app_pages/committee/audit.py")
    at.run()
    assert [t.value for t in at.title] == ["审计日志"] and at.dataframe
    with Session(salted.world.engine) as s:
        user = s.get(CommitteeUser, admin.user_id)
        user.role = Role.CLERK
        s.add(user)
        s.commit()
    at.run()
    assert not at.exception
    assert "审计日志" not in [t.value for t in at.title] and not at.dataframe


def test_a_deactivated_member_is_signed_out_on_the_next_click(salted):  # noqa: F811
    reviewer = salted.world.committee[Role.REVIEWER]
    at = _app(reviewer)
    at.switch_page("app_pages/committee/dashboard.py")
    at.run()
    assert any(m.label == "待处理事项" for m in at.metric)  # the 工作台 is shown
    with Session(salted.world.engine) as s:
        user = s.get(CommitteeUser, reviewer.user_id)
        user.active = False
        s.add(user)
        s.commit()
    at.run()
    assert not at.exception and not any(m.label == "待处理事项" for m in at.metric)
    assert "auth.actor" not in at.session_state


# ---------------------------------------------------------------- no user text as HTML/Markdown

# Element types that show their text verbatim. Everything else (markdown, caption, title,
# headers, alerts, labels, html ...) interprets Markdown or HTML and may carry user text only
# escaped by portal.ui.widgets.md.
# Charts too: Vega draws labels as SVG text and its tooltips escape HTML; there is no Markdown.
VERBATIM = {"text", "code", "arrow_data_frame", "arrow_table", "dataframe", "table",
            "text_area", "text_input", "vega_lite_chart"}
# Widgets whose options are shown as plain strings (only their label and help are Markdown).
PLAIN_OPTIONS = {"selectbox", "multiselect"}


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _in_proto(text: str) -> str:
    """``text`` as ``str(proto)`` prints it (protobuf text format escapes \\, ' and ")."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')


def _escaped(text: str) -> str:
    """``text`` with every ASCII punctuation backslash-escaped: inert in CommonMark, GFM and
    Streamlit's extensions. Written out here, not taken from md(), so the check stands alone."""
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def test_md_escapes_every_markdown_active_character():
    hostile = "![](http://127.0.0.1:8652/t.png) [a](javascript:x) :red[b] :material/home: $x$ <i> ~~s~~ \\ `c`"
    assert md(hostile).replace("\u2060", "") == _escaped(hostile)
    # GFM autolinks bare addresses whatever the escapes: a word joiner (invisible) breaks them.
    assert "http\u2060" in md(hostile) and "www\u2060" in md("www.evil.example")
    assert md("3号楼 第一网格") == "3号楼 第一网格"  # Chinese text is untouched


def _raw_markers(blob: str) -> list[str]:
    """Markers present in ``blob`` other than inside their escaped form (inert text)."""
    for m in MARKERS:
        blob = blob.replace(_in_proto(_escaped(m)), "")
    return [m for m in MARKERS if _in_proto(m) in blob]


def _leaks(at: AppTest) -> tuple[list[str], int]:
    """(element types that carry a payload marker as live markup, verbatim or escaped hits)"""
    bad, verbatim = [], 0
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = getattr(node, "type", type(node).__name__)
        blob = str(proto)
        hits = [m for m in MARKERS if _in_proto(m) in blob or _in_proto(_escaped(m)) in blob]
        if not hits:
            continue
        if kind in PLAIN_OPTIONS:
            markup = f"{proto.label}\n{proto.help}\n{getattr(proto, 'placeholder', '')}"
            if live := _raw_markers(markup):
                bad.append(f"{kind} label: {live}")
            else:
                verbatim += 1
        elif kind in VERBATIM:
            verbatim += 1
        elif kind not in {"block", "main", "sidebar", "event"}:
            if live := _raw_markers(blob):
                bad.append(f"{kind}: {live}")
            else:
                verbatim += 1  # escaped with md(): shown as typed
    return bad, verbatim


def _visits(salted):  # noqa: F811
    """(page, query) pairs that show the salted text."""
    out = []
    for page in ALL_PAGES:
        if page.name in {"login.py", "sign_in.py"}:
            continue
        out.append((page, {}))
        out.append((page, {"id": str(salted.collecting_id)}))
        out.append((page, {"id": str(salted.published_id)}))
    cpage = PAGES_DIR / "public" / "consultation.py"
    out.append((cpage, {"id": str(salted.collecting_id), "opinion": str(salted.payload_opinions[0])}))
    out.append((cpage, {"id": str(salted.published_id), "opinion": str(salted.published_opinion)}))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("who", ["visitor", "resident", "admin"])
def test_hostile_text_is_shown_only_as_plain_text_everywhere(salted, who):  # noqa: F811
    actor = _actor(salted, who)
    shown_somewhere = 0
    problems = []
    for page, query in _visits(salted):
        at = _app(actor)
        for k, v in query.items():
            at.query_params[k] = v
        if not _registered(at, page):
            continue
        at.run()
        assert not at.exception, f"{page.name} {query} crashed for {who}: {at.exception}"
        bad, verbatim = _leaks(at)
        problems += [f"{page.name} {query}: {b}" for b in bad]
        shown_somewhere += verbatim
    assert not problems, "user text rendered as Markdown/HTML:\n" + "\n".join(problems)
    assert shown_somewhere > 0, "the hostile text was not shown at all: the check checked nothing"
