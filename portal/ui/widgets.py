"""Small shared widgets. User text is always rendered as plain text, never as Markdown/HTML."""

from __future__ import annotations

import streamlit as st

from portal.services.actors import has_permission
from portal.services.consultations import ConsultationCard, deadline_text, results_public
from portal.ui.session import current_committee

LARGE_TEXT_KEY = "ui.large_text"
DECISION_COLORS = {"adopt": "green", "partial": "blue", "decline": "gray", "refer": "violet"}  # st.badge
LARGE_TEXT_PARAM = "big"  # ?big=1 in the address keeps 大字 on across pages and reloads

_BASE_CSS = """
<style>
button, .stButton button, .stFormSubmitButton button { min-height: 2.75rem; }
</style>
"""
_LARGE_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] * { font-size: 1.18rem; }
h1 { font-size: 2.2rem !important; } h2 { font-size: 1.8rem !important; }
</style>
"""


def apply_style() -> None:
    st.html(_BASE_CSS)
    if st.session_state.get(LARGE_TEXT_KEY):
        st.html(_LARGE_CSS)


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


def plain(text: str) -> None:
    """Show user-written text exactly as typed: no Markdown, no HTML."""
    st.text(text)


def consultation_card(card: ConsultationCard) -> None:
    c = card.consultation
    with st.container(border=True):
        st.subheader(c.title, anchor=False)
        st.caption(f"{card.phase_label} · 征集时间 {deadline_text(c)}")
        plain(c.question)
        cols = st.columns(3)
        cols[0].metric("意见", card.n_opinions)
        cols[1].metric("参与人数", card.n_participants)
        cols[2].metric("投票", card.n_votes)
        st.page_link("app_pages/public/consultation.py", label="查看详情 →",
                     query_params={"id": str(card.id)})
        results_link(card.consultation)


def results_link(c) -> None:  # type: ignore[no-untyped-def]
    """A link to the results page once a consultation's results are public."""
    if results_public(c):
        st.page_link("app_pages/public/results.py", label="查看结果、回应与办理进度 →", icon="📊",
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


def when(dt) -> str:  # type: ignore[no-untyped-def]
    """A date as residents write it: 2026年11月3日."""
    return f"{dt.year}年{dt.month}月{dt.day}日" if dt else ""


def opinion_counts(view) -> str:  # type: ignore[no-untyped-def]
    return f"👍 同意 {view.agree} · 👎 不同意 {view.disagree} · 💬 留言 {view.n_comments}"
