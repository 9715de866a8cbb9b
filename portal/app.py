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
<<<<<<< HEAD
staff = isinstance(actor, CommitteeActor)  # staff land on their 工作台, everyone else on 首页
RESIDENT_SIGN_IN = "app_pages/resident/sign_in.py"
STAFF_LOGIN = "app_pages/committee/login.py"

# (file, title, icon, permission needed or None)
STAFF_PAGES = [
    ("app_pages/committee/dashboard.py", "工作台", ":material/dashboard:", "view_committee"),
    ("app_pages/committee/consultations.py", "议题管理", ":material/edit_note:", "manage_consultation"),
    ("app_pages/committee/roster.py", "名册与参与码", ":material/badge:", "issue_codes"),
    ("app_pages/committee/offline.py", "线下意见录入", ":material/edit_document:", "enter_offline"),
    ("app_pages/committee/participation.py", "参与情况", ":material/groups:", "view_committee"),
    ("app_pages/committee/export.py", "数据导出", ":material/download:", "export_data"),
    ("app_pages/committee/users.py", "账号管理", ":material/manage_accounts:", "manage_users"),
    ("app_pages/committee/themes.py", "主题研判", ":material/hub:", "curate_themes"),
    ("app_pages/committee/answers.py", "回应与发布", ":material/campaign:", "answer_themes"),
    ("app_pages/committee/moderation.py", "内容审核", ":material/shield:", "moderate"),
    ("app_pages/committee/audit.py", "审计日志", ":material/verified:", "view_audit"),
]
STREET_PAGE = ("app_pages/street/overview.py", "街道总览", ":material/location_city:", "view_street")
RESIDENT_PAGES = [
    ("app_pages/resident/give.py", "提意见", ":material/edit:"),
    ("app_pages/resident/vote.py", "表态投票", ":material/how_to_vote:"),
    ("app_pages/resident/my.py", "我的参与", ":material/person:"),
]


def _url_path(file: str) -> str:
    return Path(file).stem


def stand_in(file: str, title: str, *, sign_in_page: str | None = None, message: str = "",
             heading: str | None = None) -> st.Page:
    """A hidden page at ``file``'s address: sign in first (and come back), or a message."""
    path = _url_path(file)

    def page() -> None:
        if sign_in_page is not None:
            query = st.query_params.to_dict()
            remember_next(f"/{path}" + (f"?{urlencode(query)}" if query else ""))
            st.switch_page(sign_in_page)
        st.title(heading or f"无法打开“{title}”")
        st.info(message)
        st.page_link("app_pages/public/home.py", label="回到首页", icon=":material/home:")

    return st.Page(page, title=title, url_path=path, visibility="hidden")


public = [
    st.Page("app_pages/public/home.py", title="首页", icon=":material/home:", default=not staff),
    st.Page("app_pages/public/consultation.py", title="议题详情", icon=":material/description:"),
    st.Page("app_pages/public/results.py", title="结果公示", icon=":material/bar_chart:", url_path="results"),
    st.Page("app_pages/public/accountability.py", title="办理情况", icon=":material/task_alt:", url_path="accountability"),
]
sections: dict[str, list] = {"公开": public}
hidden: list = []
STAFF_ONLY = "这是居委会工作人员使用的页面。请先退出居民登录，再用工作人员账号登录。"
RESIDENTS_ONLY = "这是居民参与的页面，工作人员账号不能提意见或投票。如需代居民录入，请用“线下意见录入”。"

if isinstance(actor, ResidentActor):
    sections["我的"] = [st.Page(f, title=t, icon=i) for f, t, i in RESIDENT_PAGES]
    sections["我的"].append(st.Page(RESIDENT_SIGN_IN, title="我的账号", icon=":material/key:"))
    hidden += [stand_in(f, t, message=STAFF_ONLY) for f, t, _, _ in [*STAFF_PAGES, STREET_PAGE]]
    hidden.append(stand_in(STAFF_LOGIN, "工作人员登录", message=STAFF_ONLY))
elif isinstance(actor, CommitteeActor):
    pages: list = []
    street_admin = has_permission(actor, "view_street")  # 街道管理员: lands on 街道总览
    for f, t, i, permission in [*STAFF_PAGES, STREET_PAGE]:
        if permission is None or has_permission(actor, permission):
            pages.append(st.Page(f, title=t, icon=i, url_path=_url_path(f),
                                 default=f.endswith("overview.py" if street_admin else "dashboard.py")))
        else:
            hidden.append(stand_in(f, t, message=f"您的账号（{actor.role.label}）没有打开“{t}”的权限，"
                                                 "如需使用请联系管理员。"))
    sections["街道" if street_admin else "居委会"] = pages
    hidden += [stand_in(f, t, message=RESIDENTS_ONLY) for f, t, _ in RESIDENT_PAGES]
    hidden.append(stand_in(RESIDENT_SIGN_IN, "居民登录", message="您已用工作人员账号登录。居民登录请先退出。"))
    hidden.append(stand_in(STAFF_LOGIN, "工作人员登录", heading="工作人员登录",
                           message=f"您已登录：{actor.display_name}。请从左侧菜单选择要办理的事项。"))
else:
    sections["登录"] = [
        st.Page(RESIDENT_SIGN_IN, title="居民登录", icon=":material/key:"),
        st.Page(STAFF_LOGIN, title="工作人员登录", icon=":material/account_balance:"),
    ]
    hidden += [stand_in(f, t, sign_in_page=RESIDENT_SIGN_IN) for f, t, _ in RESIDENT_PAGES]
    hidden += [stand_in(f, t, sign_in_page=STAFF_LOGIN) for f, t, _, _ in [*STAFF_PAGES, STREET_PAGE]]
if hidden:
    sections["其他"] = hidden  # all hidden: the section never shows

with st.sidebar:
=======


def account_box() -> None:
>>>>>>> main
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
