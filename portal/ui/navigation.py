"""Our own navigation: which pages exist for whom, and the menu that links to them.

Streamlit's built-in sidebar navigation is replaced (``st.navigation(position="hidden")``) by a
menu we render ourselves with ``st.page_link`` inside a container keyed ``nav`` (``.st-key-nav``
in CSS and browser tests). Reasons (decision 0020): Streamlit's sectioned list produced
``list``/``listitem`` accessibility violations, folded long staff menus behind an English
"View more", and left the menu open over the page on a phone.

Every page has an address in every state: a page the visitor may not open yet is registered,
hidden, with a stand-in that sends a signed-out visitor to the right sign-in page (and back
afterwards) or says in Chinese why it is not available, so no address ends in Streamlit's
English "Page not found".

To add a page, add one ``NavPage`` to the table it belongs to; nothing else needs to change.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from portal.services.actors import Actor, CommitteeActor, ResidentActor, has_permission
from portal.ui.layout import page_layout
from portal.ui.session import remember_next


@dataclass(frozen=True)
class NavPage:
    """One page of the portal: its file (relative to portal/), menu title and icon, the staff
    permission it needs (None: every signed-in member of staff) and its address."""

    file: str
    title: str
    icon: str
    permission: str | None = None
    url_path: str | None = None  # None: the file's name ("give" for give.py)

    @property
    def path(self) -> str:
        return self.url_path if self.url_path is not None else Path(self.file).stem


HOME = NavPage("app_pages/public/home.py", "首页", ":material/home:")
RESIDENT_SIGN_IN = NavPage("app_pages/resident/sign_in.py", "居民登录", ":material/key:")
STAFF_LOGIN = NavPage("app_pages/committee/login.py", "工作人员登录", ":material/account_balance:")

PUBLIC_PAGES = [
    HOME,
    NavPage("app_pages/public/consultation.py", "议题详情", ":material/description:"),
    NavPage("app_pages/public/results.py", "结果公示", ":material/bar_chart:"),
    NavPage("app_pages/public/accountability.py", "办理情况", ":material/task_alt:"),
]
RESIDENT_PAGES = [
    NavPage("app_pages/resident/give.py", "提意见", ":material/edit:"),
    NavPage("app_pages/resident/vote.py", "表态投票", ":material/how_to_vote:"),
    NavPage("app_pages/resident/decide.py", "参与表决", ":material/ballot:"),
    NavPage("app_pages/resident/my.py", "我的参与", ":material/person:"),
    NavPage("app_pages/resident/messages.py", "我的消息", ":material/mail:"),
]
STAFF_PAGES = [
    NavPage("app_pages/committee/dashboard.py", "工作台", ":material/dashboard:", "view_committee"),
    NavPage("app_pages/committee/consultations.py", "议题管理", ":material/edit_note:", "manage_consultation"),
    NavPage("app_pages/committee/roster.py", "名册与参与码", ":material/badge:", "issue_codes"),
    NavPage("app_pages/committee/offline.py", "线下意见录入", ":material/edit_document:", "enter_offline"),
    NavPage("app_pages/committee/decisions.py", "决策与表决", ":material/ballot:", "view_committee"),
    NavPage("app_pages/committee/ballots.py", "表决票录入", ":material/inventory:", "enter_offline"),
    NavPage("app_pages/committee/participation.py", "参与情况", ":material/groups:", "view_committee"),
    NavPage("app_pages/committee/export.py", "数据导出", ":material/download:", "export_data"),
    NavPage("app_pages/committee/users.py", "账号管理", ":material/manage_accounts:", "manage_users"),
    NavPage("app_pages/committee/themes.py", "主题研判", ":material/hub:", "curate_themes"),
    NavPage("app_pages/committee/answers.py", "回应与发布", ":material/campaign:", "answer_themes"),
    NavPage("app_pages/committee/moderation.py", "内容审核", ":material/shield:", "moderate"),
    NavPage("app_pages/committee/audit.py", "审计日志", ":material/verified:", "view_audit"),
    NavPage("app_pages/committee/notices.py", "居民通知", ":material/notifications:", "record_consent"),
]

# 街道管理员 (decision 0025): the street's view instead of a community's workbench, and each
# community of the street read-only
STREET_PAGE = NavPage("app_pages/street/overview.py", "街道总览", ":material/location_city:", "view_street")
STREET_PAGES = [
    STREET_PAGE,
    NavPage("app_pages/street/community.py", "社区详情", ":material/apartment:", "view_street"),
]

STAFF_ONLY = "这是居委会工作人员使用的页面。请先退出居民登录，再用工作人员账号登录。"
RESIDENTS_ONLY = "这是居民参与的页面，工作人员账号不能提意见或投票。如需代居民录入，请用“线下意见录入”。"


@dataclass
class Site:
    """What one visitor may see: the menu sections (title, pages) and every registered page."""

    menu: list[tuple[str, list[st.Page]]]
    hidden: list[st.Page]

    @property
    def pages(self) -> list[st.Page]:
        return [p for _, pages in self.menu for p in pages] + self.hidden


@functools.lru_cache(maxsize=256)
def _page_template(file: str, title: str, icon: str, url_path: str, default: bool) -> st.Page:
    return st.Page(file, title=title, icon=icon, url_path=url_path, default=default)


def _page(spec: NavPage, *, default: bool = False, title: str | None = None) -> st.Page:
    # st.Page resolves its file on disk (realpath, is_file) each time it is made: ~25 pages on
    # every run of every visitor cost 8 % of a busy replica's CPU. The page is made once per
    # process and each run gets its own shallow copy (st.navigation and Page.run set flags on
    # the object, so sessions must not share one).
    return copy.copy(_page_template(spec.file, title or spec.title, spec.icon, spec.path, default))


def _stand_in(spec: NavPage, *, sign_in: NavPage | None = None, message: str = "",
              heading: str | None = None) -> st.Page:
    """A hidden page at ``spec``'s address: sign in first (and come back), or a message."""
    path = spec.path

    def page() -> None:
        if sign_in is not None:
            query = st.query_params.to_dict()
            remember_next(f"/{path}" + (f"?{urlencode(query)}" if query else ""))
            st.switch_page(sign_in.file)
        st.title(heading or f"无法打开“{spec.title}”")
        st.info(message)
        st.page_link(HOME.file, label="回到首页", icon=HOME.icon)

    return st.Page(page, title=spec.title, url_path=path, visibility="hidden")


def unread_messages(actor: ResidentActor) -> int:
    """The unread count beside 我的消息 in the menu (0 when it cannot be read just now)."""
    from portal.services.notifications import unread_count
    from portal.ui.resources import db_session

    try:
        with db_session() as session:
            return unread_count(session, actor=actor)
    except Exception:  # noqa: BLE001 - a menu badge must never break every page
        return 0


def site_for(actor: Actor | None) -> Site:
    """The pages ``actor`` (None: a visitor) sees in the menu, and the hidden stand-ins."""
    staff = isinstance(actor, CommitteeActor)
    public = [_page(p, default=(p is HOME and not staff)) for p in PUBLIC_PAGES]
    menu: list[tuple[str, list[st.Page]]] = [("公开", public)]
    hidden: list[st.Page] = []
    if isinstance(actor, ResidentActor):
        unread = unread_messages(actor)
        mine = [_page(p, title=f"{p.title}（{unread} 条未读）" if p.path == "messages" and unread else None)
                for p in RESIDENT_PAGES] + [_page(RESIDENT_SIGN_IN, title="我的账号")]
        menu.append(("我的", mine))
        hidden += [_stand_in(p, message=STAFF_ONLY) for p in [*STAFF_PAGES, *STREET_PAGES, STAFF_LOGIN]]
    elif isinstance(actor, CommitteeActor):
        allowed = []
        street_admin = has_permission(actor, "view_street")
        first = STREET_PAGE if street_admin else STAFF_PAGES[0]
        for p in [*STAFF_PAGES, *STREET_PAGES]:
            if p.permission is None or has_permission(actor, p.permission):
                allowed.append(_page(p, default=(p is first)))
            else:
                hidden.append(_stand_in(p, message=f"您的账号（{actor.role.label}）没有打开“{p.title}”的权限，"
                                                   "如需使用请联系管理员。"))
        menu.insert(0, ("街道" if street_admin else "居委会", allowed))
        hidden += [_stand_in(p, message=RESIDENTS_ONLY) for p in RESIDENT_PAGES]
        hidden.append(_stand_in(RESIDENT_SIGN_IN, message="您已用工作人员账号登录。居民登录请先退出。"))
        hidden.append(_stand_in(STAFF_LOGIN, heading="工作人员登录",
                                message=f"您已登录：{actor.display_name}。请从菜单选择要办理的事项。"))
    else:
        menu.append(("登录", [_page(RESIDENT_SIGN_IN), _page(STAFF_LOGIN)]))
        hidden += [_stand_in(p, sign_in=RESIDENT_SIGN_IN) for p in RESIDENT_PAGES]
        hidden += [_stand_in(p, sign_in=STAFF_LOGIN) for p in [*STAFF_PAGES, *STREET_PAGES]]
    return Site(menu=menu, hidden=hidden)


def render_menu(site: Site) -> None:
    """The menu: a heading per section and a link per page, in a container keyed ``nav``.

    Plain links and headings (no list markup) keep the accessibility tree simple; the current
    page is marked by ``st.page_link`` itself (aria-current)."""
    with st.container(key="nav"):
        for title, pages in site.menu:
            st.markdown(f"**{title}**")
            for p in pages:
                st.page_link(p, label=p.title, icon=p.icon)


# On a phone (Streamlit folds the sidebar at widths up to its "md" breakpoint, 768 px) the menu
# covers most of the screen; once a page is chosen it is folded again, as Streamlit's own
# navigation did, also when the page chosen is the one already shown. Streamlit has no Python
# call for this, so a listener (registered once per browser tab) presses the sidebar's own fold
# button after a tap on one of our menu links.
_FOLD_ON_PHONE = """
<script>
(() => {
  if (window.__portalMenuFolds) return;
  window.__portalMenuFolds = true;
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest(".st-key-nav a") : null;
    if (!link || !window.matchMedia("(max-width: 768px)").matches) return;
    setTimeout(() => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (!sidebar || sidebar.dataset.collapsed !== "false") return;
      const fold = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (fold) fold.click();
    }, 0);
  }, true);
})();
</script>
"""


def fold_menu_on_phone() -> None:
    """Make a tap on a menu link fold the menu on a phone (see _FOLD_ON_PHONE)."""
    st.html(_FOLD_ON_PHONE, unsafe_allow_javascript=True)


def run(actor: Actor | None, sidebar_extras=None) -> None:  # type: ignore[no-untyped-def]
    """Register every page, draw our menu (then ``sidebar_extras``) in the sidebar, run the page."""
    site = site_for(actor)
    current = st.navigation(site.pages, position="hidden")
    # tables get the room they need; the default page ("") is staff's 工作台 or everyone's 首页
    default = ("overview" if has_permission(actor, "view_street") else "dashboard") \
        if isinstance(actor, CommitteeActor) else "home"
    st.set_page_config(layout=page_layout(current.url_path or default))
    with st.sidebar:
        render_menu(site)
        if sidebar_extras is not None:
            sidebar_extras()
        fold_menu_on_phone()
    current.run()
