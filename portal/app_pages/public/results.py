import streamlit as st

from portal.services.errors import NotFound, PhaseClosed
from portal.timefmt import format_date, format_period
from portal.ui import public_cache, results_widgets
from portal.ui import results_cache as cache
from portal.ui.actions import read
from portal.ui.place import chosen_community
from portal.ui.widgets import md, plain, show_chart

raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():
    place = chosen_community()
    st.title(md(f"{place.name} · 结果公示") if place else "结果公示")
    st.write("居委会对每个议题的研判结果、回应和办理进度。")
    items = cache.published(place.id if place else None)
    if not items:
        st.info("目前还没有公示结果的议题。")
    for cid, title, published in items:
        with st.container(border=True):
            st.subheader(md(title), anchor=False)
            st.caption(f"公示日期 {published}")
            st.page_link("app_pages/public/results.py", label="查看结果与回应 →", query_params={"id": str(cid)})
    st.stop()

cid = int(raw_id)
snapshot = public_cache.marker()  # the database's change marker, read once per view
try:
    version = cache.version(cid, snapshot)
    r = cache.load(cid, version)
except (NotFound, PhaseClosed) as exc:
    st.title("结果公示")
    st.info(md(str(exc)))
    st.page_link("app_pages/public/home.py", label="← 返回首页")
    st.stop()
specs = cache.chart_specs(r, version)


def chart(name: str) -> None:
    if name in specs:
        show_chart(specs[name])


def cloud(theme_id: int | None = None) -> bytes | None:
    try:
        return cache.word_cloud(cid, version, theme_id)
    except (ImportError, OSError):  # analysis library or font missing on this server
        st.caption("词云暂时无法生成。")
        return None


# Theme names are written by people: shown with st.text (never Markdown), made to look like headings.
st.html("<style>[class*='st-key-results-theme-title-'] [data-testid='stText']"
        "{font-size:1.45rem;font-weight:650;line-height:1.35;}</style>")
st.title(md(r.title))
st.caption(f"{r.phase} · 征集时间 {format_period(r.opens_at, r.closes_at)} · 公示日期 {format_date(r.published_at)}")
plain(r.question)
st.caption("参与居民：提出意见或参与投票的居民。只统计公开的意见；个人信息已隐去。")

with st.container(horizontal=True, gap="medium"):  # wraps two by two on a phone
    st.metric("公开意见", f"{r.n_opinions} 条", width="content")
    st.metric("提意见的居民", f"{r.n_authors} 人", width="content")
    st.metric("参与居民", f"{r.n_participants} 人", width="content")
    st.metric("投票", f"{r.n_votes} 次", width="content")

decided = read(lambda _session: cache.decisions(cid, snapshot))
polls, owner_votes = decided.value if decided else ([], [])
tab_names = ["主题与回应", "参与情况", "共识与分歧", "下载与公示"] + (["问卷与表决"] if polls or owner_votes else [])
# Only the open tab is built and sent (a visitor who never opens 共识与分歧 does not pay for it);
# the open tab is in the address (…&tab=参与情况), so a tab can be linked to and survives a reload.
tabs = st.tabs(tab_names, key="tab", bind="query-params")
cloud_at: dict = {}  # the word cloud's place and scope, when 主题与回应 is open


def themes_tab() -> None:
    if not r.themes:
        st.info("这个议题还没有整理出主题。")
    chart("themes")
    chart("votes")
    labels = {t.id: f"{t.rank}. {t.label}" for t in r.themes}
    scope = st.selectbox("词云范围", options=[None, *labels], key="results.cloud_theme",
                         format_func=lambda i: "全部意见" if i is None else labels[i], placeholder="请选择")
    cloud_at.update(slot=st.container(), scope=scope)  # filled last: the rest shows while it is drawn
    for t in r.themes:
        results_widgets.theme_card(t)


renderers = (themes_tab, lambda: results_widgets.people_tab(r, chart), lambda: results_widgets.groups_tab(r, chart),
             lambda: results_widgets.data_tab(cid, version, snapshot), lambda: results_widgets.decide_tab(polls, owner_votes))
for tab, render in zip(tabs, renderers, strict=False):
    if tab.open is not False:  # None: a Streamlit that does not track tabs builds them all
        with tab:
            render()

st.page_link("app_pages/public/consultation.py", label="查看全部公开意见 →", query_params={"id": str(cid)})
st.page_link("app_pages/public/accountability.py", label="查看所有议题的办理情况 →")

if r.themes and cloud_at:
    scope = cloud_at["scope"]
    with cloud_at["slot"]:
        image = cloud(scope)
        if image:
            st.image(image, width="stretch", alt="词云图", output_format="PNG",  # as stored: no re-encoding per view
                     caption=("全部意见" if scope is None else "所选主题") + "的词云：字越大，提到这个词的意见越多")
