"""Entry point: page config and navigation by role. Nothing else lives here."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run portal/app.py` puts portal/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from portal.services.actors import CommitteeActor, ResidentActor, has_permission  # noqa: E402
from portal.ui.session import current_actor, sync_cookie  # noqa: E402
from portal.ui.widgets import apply_style, large_text_toggle, md  # noqa: E402

st.set_page_config(page_title="社区议事厅", page_icon="🏘️", layout="centered")

actor = current_actor()
staff = isinstance(actor, CommitteeActor)  # staff land on their 工作台, everyone else on 首页

public = [
    st.Page("app_pages/public/home.py", title="首页", icon=":material/home:", default=not staff),
    st.Page("app_pages/public/consultation.py", title="议题详情", icon=":material/description:"),
    st.Page("app_pages/public/results.py", title="结果公示", icon=":material/bar_chart:", url_path="results"),
    st.Page("app_pages/public/accountability.py", title="办理情况", icon=":material/task_alt:", url_path="accountability"),
]
sections: dict[str, list] = {"公开": public}

if isinstance(actor, ResidentActor):
    sections["我的"] = [
        st.Page("app_pages/resident/give.py", title="提意见", icon=":material/edit:"),
        st.Page("app_pages/resident/vote.py", title="表态投票", icon=":material/how_to_vote:"),
        st.Page("app_pages/resident/my.py", title="我的参与", icon=":material/person:"),
        st.Page("app_pages/resident/sign_in.py", title="我的账号", icon=":material/key:"),
    ]
elif isinstance(actor, CommitteeActor):
    pages = [st.Page("app_pages/committee/dashboard.py", title="工作台", icon=":material/dashboard:",
                     default=True)]
    if has_permission(actor, "manage_consultation"):
        pages.append(st.Page("app_pages/committee/consultations.py", title="议题管理", icon=":material/edit_note:"))
    if has_permission(actor, "issue_codes"):
        pages.append(st.Page("app_pages/committee/roster.py", title="名册与参与码", icon=":material/badge:"))
    if has_permission(actor, "enter_offline"):
        pages.append(st.Page("app_pages/committee/offline.py", title="线下意见录入", icon=":material/edit_document:"))
    pages.append(st.Page("app_pages/committee/participation.py", title="参与情况", icon=":material/groups:"))
    if has_permission(actor, "export_data"):
        pages.append(st.Page("app_pages/committee/export.py", title="数据导出", icon=":material/download:"))
    if has_permission(actor, "manage_users"):
        pages.append(st.Page("app_pages/committee/users.py", title="账号管理", icon=":material/manage_accounts:"))
    if has_permission(actor, "curate_themes"):
        pages.append(st.Page("app_pages/committee/themes.py", title="主题研判", icon=":material/hub:"))
    if has_permission(actor, "answer_themes"):
        pages.append(st.Page("app_pages/committee/answers.py", title="回应与发布", icon=":material/campaign:"))
    if has_permission(actor, "moderate"):
        pages.append(st.Page("app_pages/committee/moderation.py", title="内容审核", icon=":material/shield:"))
    if has_permission(actor, "view_audit"):
        pages.append(st.Page("app_pages/committee/audit.py", title="审计日志", icon=":material/verified:"))
    sections["居委会"] = pages
else:
    sections["登录"] = [
        st.Page("app_pages/resident/sign_in.py", title="居民登录", icon=":material/key:"),
        st.Page("app_pages/committee/login.py", title="工作人员登录", icon=":material/account_balance:"),
    ]

with st.sidebar:
    sync_cookie()  # resident sign-in cookie, when it changes
    large_text_toggle()
    if isinstance(actor, ResidentActor):
        st.caption(md(f"已登录居民 · {actor.grid} {actor.area_name}"))
    elif isinstance(actor, CommitteeActor):
        st.caption(md(f"已登录 · {actor.display_name}（{actor.role.label}）"))
    if actor is not None and st.button("退出登录", key="auth.sign_out"):
        from portal.ui.session import sign_out

        sign_out()
        st.rerun()

apply_style()
st.navigation(sections, expanded=True).run()
