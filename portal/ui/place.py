"""Which community a public page is about: ``?c=<slug>`` in the address, remembered for the
visit so the other public pages (结果公示, 办理情况, 居民登录) stay in that community."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from portal.services.errors import NotFound
from portal.services.tenancy import community_by_slug
from portal.ui.resources import db_session
from portal.ui.widgets import md

KEY = "place.community"


@dataclass(frozen=True)
class Place:
    id: int
    slug: str
    name: str


def chosen_community(*, remembered: bool = True) -> Place | None:
    """The community named by ``?c=``; else the one chosen earlier in this visit (unless
    ``remembered`` is False); None when none was chosen. An unknown slug stops the page with a
    Chinese message and a way back."""
    slug = st.query_params.get("c", "").strip()
    if slug:
        try:
            with db_session() as session:
                c = community_by_slug(session, slug)
        except NotFound as exc:
            st.title("找不到这个社区")
            st.error(md(str(exc).replace("请用 consult community list 查看已有的社区。", "请检查网址，或从首页选择社区。")))
            st.page_link("app_pages/public/home.py", label="回到首页", icon=":material/home:")
            st.stop()
        assert c.id is not None
        place = Place(c.id, c.slug, c.name)
        st.session_state[KEY] = place
        return place
    return st.session_state.get(KEY) if remembered else None


def forget() -> None:
    st.session_state.pop(KEY, None)
