"""Small shared widgets. User text is always rendered as plain text, never as Markdown/HTML."""

from __future__ import annotations

import re
import string
import zlib
from typing import Any

import streamlit as st

from portal.services.actors import has_permission
from portal.services.consultations import ConsultationCard, deadline_text, results_public
from portal.ui.session import current_committee

LARGE_TEXT_KEY = "ui.large_text"
DECISION_COLORS = {"adopt": "green", "partial": "blue", "decline": "gray", "refer": "violet"}  # st.badge
LARGE_TEXT_PARAM = "big"  # ?big=1 in the address keeps 大字 on across pages and reloads

LARGE_TEXT_SCALE = 1.25  # 大字模式 enlarges everything by this factor: text, numbers, tables, charts
CAPTION_COLOR = "#5c5e66"  # 6.4:1 on white (Streamlit's own #808495-ish grey was 3.9:1, below WCAG AA)

_BASE_CSS = f"""
<style>
button, .stButton button, .stFormSubmitButton button {{ min-height: 2.75rem; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stWidgetLabel"] [data-testid="stCaptionContainer"],
[data-testid="stMetricDelta"], [data-testid="stImageCaption"] {{ color: {CAPTION_COLOR} !important; }}
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}  /* Streamlit fades captions to 0.6 */
.st-key-nav [data-testid="stMarkdownContainer"] p {{ margin: 0.6rem 0 0.1rem; }}
.st-key-home-sign-in [data-testid="stPageLink-NavLink"] {{ border: 1px solid #b5452c; padding: 0.45rem 0.9rem; }}
/* The file box in Chinese: Streamlit writes "Upload" and "20MB per file • CSV, XLSX" in English.
   The button keeps its icon and says 选择文件; the limits are said in Chinese under the box
   (widgets.file_upload). */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "选择文件"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div > span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div > span::after {{
  content: "或把文件拖到这里"; font-size: 0.875rem; }}
/* A selectbox's or multiselect's list with nothing to show (a search that matches nothing, or
   every option already picked) says "No results", which no parameter changes (Streamlit 1.67). */
[data-testid="stSelectboxVirtualDropdown"] [role="listbox"][data-empty="true"] [role="option"] span,
[data-testid="stMultiSelectDropdown"] [role="listbox"][data-empty="true"] [role="option"] span {{ font-size: 0; }}
[data-testid="stSelectboxVirtualDropdown"] [role="listbox"][data-empty="true"] [role="option"] span::after,
[data-testid="stMultiSelectDropdown"] [role="listbox"][data-empty="true"] [role="option"] span::after {{
  content: "没有可选的选项"; font-size: 0.875rem; }}
/* Streamlit's keyboard "Skip to main content" link, shown on focus, in Chinese. */
a[href="#stMain"] {{ font-size: 0 !important; }}
a[href="#stMain"]::after {{ content: "跳到正文"; font-size: 1rem; }}
</style>
"""
# One root size: Streamlit sizes text, headings, metric numbers, tables and spacing in rem, so
# raising the root's size enlarges all of them together (an earlier rule set every element to one
# size, which made the key numbers smaller than their labels). Charts scale their own text
# (charts.scaled_text via show_chart).
_LARGE_CSS = f"""
<style>
html {{ font-size: {16 * LARGE_TEXT_SCALE:.0f}px !important; }}
</style>
"""


def apply_style() -> None:
    st.html(_BASE_CSS)
    if large_text_on():
        st.html(_LARGE_CSS)


def large_text_on() -> bool:
    return bool(st.session_state.get(LARGE_TEXT_KEY))


def text_scale() -> float:
    """How much larger text is drawn now: 1 normally, LARGE_TEXT_SCALE in 大字模式."""
    return LARGE_TEXT_SCALE if large_text_on() else 1.0


def show_chart(chart: Any, *, alt_text: str | None = None) -> None:
    """Show an Altair chart or a Vega-Lite spec (dict) across the width, its text enlarged in 大字模式."""
    from portal.charts import scaled_text

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    spec = scaled_text(spec, text_scale())
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    st.vega_lite_chart(spec, width="stretch", alt=alt_text or str(title or "图表"))


def file_upload(label: str, types: list[str], *, key: str, limit_mb: int | None = None, **options: Any) -> Any:
    """``st.file_uploader`` with its limits said in Chinese (the English ones are hidden by CSS).

    ``limit_mb``: the largest file the service accepts, when smaller than Streamlit's own limit."""
    limit = min(int(st.get_option("server.maxUploadSize")), limit_mb or 10**6)
    upload = st.file_uploader(label, type=types, key=key, **options)
    kinds = "、".join(dict.fromkeys(t.lstrip(".").upper() for t in types))
    st.caption(f"支持 {kinds} 文件，单个文件不超过 {limit} MB。")
    return upload


def large_text_toggle() -> None:
    """The 大字 switch. Its state lives in the session and in the address (``?big=1``), so it
    survives moving between pages, a reload and a bookmark."""
    if LARGE_TEXT_KEY not in st.session_state:
        st.session_state[LARGE_TEXT_KEY] = st.query_params.get(LARGE_TEXT_PARAM) == "1"
    st.toggle("大字模式", key=LARGE_TEXT_KEY, help="放大页面文字，方便阅读")
    if st.session_state[LARGE_TEXT_KEY]:
        if st.query_params.get(LARGE_TEXT_PARAM) != "1":
            st.query_params[LARGE_TEXT_PARAM] = "1"
    elif LARGE_TEXT_PARAM in st.query_params:
        del st.query_params[LARGE_TEXT_PARAM]


# Every ASCII punctuation character may start Markdown in Streamlit: CommonMark (links, images,
# emphasis, headings, lists, tables, HTML), GFM (autolinks, ~~strike~~, tables) and Streamlit's
# own additions (:red[colour], :material/icon: and :emoji: shortcodes, $LaTeX$). CommonMark lets
# any ASCII punctuation be escaped with a backslash, so escaping all of it is both complete and safe.
_MD_ESCAPES = str.maketrans({ch: "\\" + ch for ch in string.punctuation})
# GFM turns bare http://…, www.… and e-mail addresses into links after escapes are resolved, so
# backslashes cannot stop it: an invisible WORD JOINER (U+2060) after the scheme, "www" or "@"
# breaks the pattern without changing what is shown.
_AUTOLINK = re.compile(r"(https?|ftp|www|@)(?=[:.\w])", re.IGNORECASE)


def md(text: object) -> str:
    """``text`` (a name, title or answer that came from people or files) made inert for any
    Markdown element: every Markdown-active character is backslash-escaped and bare addresses
    are kept from becoming links, so it shows exactly as typed. Use it at every interpolation of such a string into st.caption/markdown/write/
    title/subheader/info/warning/expander/metric/tab/button labels; st.text, st.code, dataframes
    and select-box options show text verbatim and need no escaping."""
    text = _AUTOLINK.sub("\\1\u2060", str(text))
    return text.translate(_MD_ESCAPES)


def md_lines(*parts: str) -> str:
    """Markdown parts (people's text already escaped with ``md``) as one block, each part and
    each line inside a part on its own line; empty parts are left out. One element where
    several ``st.text``/``st.caption`` calls would each be a message to the browser."""
    return "  \n".join(p.replace("\n", "  \n") for p in parts if p)


def plain(text: str) -> None:
    """Show user-written text exactly as typed: no Markdown, no HTML."""
    st.text(text)


def consultation_card(card: ConsultationCard) -> None:
    c = card.consultation
    with st.container(border=True):
        st.subheader(md(c.title), anchor=False)
        st.caption(f"{card.phase_label} · 征集时间 {deadline_text(c)}")
        plain(c.question)
        # One line of counts, also on a phone (three metrics in columns took a line each there).
        st.markdown(f"**{card.n_opinions}** 条意见 · **{card.n_participants}** 人参与 · **{card.n_votes}** 次投票")
        st.page_link("app_pages/public/consultation.py", label="查看详情 →",
                     query_params={"id": str(card.id)})
        results_link(card.consultation)


def results_link(c) -> None:  # type: ignore[no-untyped-def]
    """A link to the results page once a consultation's results are public."""
    if results_public(c):
        st.page_link("app_pages/public/results.py", label="查看结果、回应与办理进度 →", icon=":material/bar_chart:",
                     query_params={"id": str(c.id)})


def require_committee(permission: str = "view_committee"):
    """Stop the page unless a committee member with ``permission`` is signed in."""
    actor = current_committee()
    if actor is None:
        st.warning("请先以居委会工作人员身份登录。")
        st.page_link("app_pages/committee/login.py", label="去登录")
        st.stop()
    if not has_permission(actor, permission):
        st.error("您的账号没有访问此页面的权限。")
        st.stop()
    return actor


def consultation_picker(cards: list[ConsultationCard], *, key: str, label: str = "议题",
                        remember: bool = False) -> int | None:
    """A select box of consultations; returns the chosen id, or None (with a note) when there is none.

    ``?id=`` in the address preselects a consultation. Without ``remember`` (operations pages) the
    options read "title · phase", the first is the default and the choice is the widget's own state.
    With ``remember`` (review pages) the options read "title（phase）", the default is the first one
    under review, and the choice is kept in ``session_state[key]`` and written back to ``?id=``, so
    a link, a reload or a visit to another page lands on the same consultation.
    """
    if not cards:
        st.info("还没有可以处理的议题。" if remember else "还没有议题。")
        return None
    ids = [card.id for card in cards]
    asked = st.query_params.get("id")
    asked_id = int(asked) if asked and asked.isdigit() and int(asked) in ids else None
    if not remember:
        options = {card.id: f"{card.consultation.title} · {card.phase_label}" for card in cards}
        if key not in st.session_state and asked_id is not None:
            st.session_state[key] = asked_id
        return st.selectbox(label, ids, format_func=options.__getitem__, key=key, placeholder="请选择")

    from portal.models import Phase
    from portal.services.consultations.phases import current_phase

    labels = {card.id: f"{card.consultation.title}（{card.phase_label}）" for card in cards}
    wanted = st.session_state.get(key)
    if wanted not in ids:
        if asked_id is not None:
            wanted = asked_id
        else:  # default: the first one under review
            wanted = next((c.id for c in cards if current_phase(c.consultation) == Phase.REVIEWING), ids[0])
    # The widget key carries the labels, so a phase change shows at once (a keyed selectbox keeps
    # its old option texts); the choice itself lives in session_state[key].
    version = zlib.crc32(repr(sorted(labels.items())).encode())
    chosen = st.selectbox(label, ids, index=ids.index(wanted), format_func=labels.__getitem__,
                          key=f"{key}.{version}", placeholder="请选择")
    st.session_state[key] = chosen
    st.query_params["id"] = str(chosen)
    return chosen


def review_consultation_picker(key: str, phases: tuple | None = None, *, actor=None) -> int | None:  # type: ignore[no-untyped-def]
    """``consultation_picker(remember=True)`` over the consultations in ``phases`` (by default
    every phase but draft), for the review pages."""
    from portal.services.consultations import PUBLIC_PHASES, list_consultations
    from portal.ui.resources import db_session

    phases = phases or PUBLIC_PHASES
    with db_session() as session:
        cards = list_consultations(session, phases=tuple(phases), actor=actor or current_committee())
    return consultation_picker(cards, key=key, remember=True)


def opinion_counts(view) -> str:  # type: ignore[no-untyped-def]
    return f"同意 {view.agree} · 不同意 {view.disagree} · 留言 {view.n_comments}"


def show_flash(key: str) -> None:
    """Show (once) the success message an action left before its rerun.

    The placeholder is always there, so later elements keep their place when it empties.
    """
    slot = st.empty()
    if msg := st.session_state.pop(key, None):
        slot.success(msg)  # pages escape the names they quote (md)


def flash_and_rerun(key: str, message: str) -> None:
    """Leave ``message`` for ``show_flash(key)`` and rerun the page."""
    st.session_state[key] = message
    st.rerun()
