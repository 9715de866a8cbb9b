"""Entry point: page config and navigation by role. Nothing else lives here."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run portal/app.py` puts portal/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from portal.services.actors import CommitteeActor, ResidentActor, has_permission  # noqa: E402
from portal.ui.session import current_actor, sync_cookie  # noqa: E402
from portal.ui.widgets import apply_style, large_text_toggle  # noqa: E402

st.set_page_config(page_title="社区议事厅", page_icon="🏘️", layout="centered")

actor = current_actor()

public = [
    st.Page("app_pages/public/home.py", title="首页", icon="🏠", default=True),
    st.Page("app_pages/public/consultation.py", title="议题详情", icon="📋"),
]
sections: dict[str, list] = {"公开": public}

if isinstance(actor, ResidentActor):
    sections["我的"] = [
        st.Page("app_pages/resident/give.py", title="提意见", icon="✍️"),
        st.Page("app_pages/resident/vote.py", title="表态投票", icon="🗳️"),
        st.Page("app_pages/resident/my.py", title="我的参与", icon="🙋"),
        st.Page("app_pages/resident/sign_in.py", title="我的账号", icon="🔑"),
    ]
elif isinstance(actor, CommitteeActor):
    pages = [st.Page("app_pages/committee/dashboard.py", title="工作台", icon="🗂️")]
    if has_permission(actor, "view_audit"):
        pages.append(st.Page("app_pages/committee/audit.py", title="审计日志", icon="🔏"))
    sections["居委会"] = pages
else:
    sections["登录"] = [
        st.Page("app_pages/resident/sign_in.py", title="居民登录", icon="🔑"),
        st.Page("app_pages/committee/login.py", title="工作人员登录", icon="🏛️"),
    ]

with st.sidebar:
    sync_cookie()  # resident sign-in cookie, when it changes
    large_text_toggle()
    if isinstance(actor, ResidentActor):
        st.caption(f"已登录居民 · {actor.grid} {actor.area_name}")
    elif isinstance(actor, CommitteeActor):
        st.caption(f"已登录 · {actor.display_name}（{actor.role.label}）")
    if actor is not None and st.button("退出登录", key="auth.sign_out"):
        from portal.ui.session import sign_out

        sign_out()
        st.rerun()

apply_style()
st.navigation(sections).run()
