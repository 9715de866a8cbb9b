"""Entry point: page config, our own navigation by role (portal/ui/navigation.py). Nothing else.

Served by portal/server.py (``streamlit run portal/server.py``), which adds the sign-in routes.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run portal/server.py` puts portal/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from portal.services.actors import CommitteeActor, ResidentActor  # noqa: E402
from portal.ui import navigation  # noqa: E402
from portal.ui.session import current_actor, follow_redirect  # noqa: E402
from portal.ui.widgets import apply_style, large_text_toggle, md  # noqa: E402

# "auto": the menu is open on a computer and folded on a phone, where it folds again after a
# page is chosen (decision 0020).
st.set_page_config(page_title="社区议事厅", page_icon="🏘️", layout="centered", initial_sidebar_state="auto")

actor = current_actor()


def account_box() -> None:
    follow_redirect()  # to the sign-in routes that set or clear the session cookie
    large_text_toggle()
    if isinstance(actor, ResidentActor):
        st.caption(md(f"已登录居民 · {actor.grid} {actor.area_name}"))
    elif isinstance(actor, CommitteeActor):
        st.caption(md(f"已登录 · {actor.display_name}（{actor.role.label}）"))
    if actor is not None and st.button("退出登录", key="auth.sign_out"):
        from portal.ui.session import sign_out_and_leave

        sign_out_and_leave()
    apply_style()  # after the 大字 switch has read ?big=1


navigation.run(actor, account_box)
