import streamlit as st

from portal.models import DECISION_LABELS, THEME_STATUS_LABELS
from portal.services.publishing.accountability import accountability_frame, filter_items
from portal.timefmt import format_date
from portal.ui import results_cache as cache
from portal.ui.place import chosen_community
from portal.ui.widgets import DECISION_COLORS, md, plain

st.html("<style>[class*='st-key-acct-item-title-'] [data-testid='stText']"
        "{font-size:1.2rem;font-weight:650;}</style>")
place = chosen_community()
st.title(md(f"{place.name} · 办理情况公开") if place else "办理情况公开")
st.write("居委会对每个已公示主题的决定、责任方、完成时限和当前进度。逾期未完成的事项会特别标出。")

items = cache.accountability(cache.accountability_version(), place.id if place else None)
if not items:
    st.info("目前还没有已公示的回应。")
    st.stop()

titles = {i.consultation_id: i.consultation for i in items}
with st.container(border=True):
    c1, c2 = st.columns(2)
    picked = c1.multiselect("议题", options=list(titles), format_func=titles.get, key="acct.consultations",
                            placeholder="全部议题")
    decisions = c2.multiselect("居委会决定", options=[d.value for d in DECISION_LABELS],
                               format_func=lambda v: DECISION_LABELS[v], key="acct.decisions", placeholder="全部决定")
    statuses = st.multiselect("当前状态", options=[s.value for s in THEME_STATUS_LABELS],
                              format_func=lambda v: THEME_STATUS_LABELS[v], key="acct.statuses", placeholder="全部状态")
    t1, t2 = st.columns(2)
    unfinished = t1.toggle("只看尚未完成的", key="acct.unfinished")
    overdue = t2.toggle("只看已逾期的", key="acct.overdue")

shown = filter_items(items, consultation_ids=picked, decisions=decisions, statuses=statuses,
                     overdue_only=overdue, unfinished_only=unfinished)
with st.container(horizontal=True, gap="medium"):  # wraps two by two on a phone
    st.metric("回应事项", len(shown), width=120)
    st.metric("已完成", sum(1 for i in shown if i.status_code == "done"), width=120)
    st.metric("处理中", sum(1 for i in shown if i.status_code == "in_progress"), width=120)
    st.metric("已逾期", sum(1 for i in shown if i.overdue), width=120)

if not shown:
    st.info("没有符合筛选条件的事项。")
else:
    with st.expander("表格视图（可排序）"):
        st.dataframe(
            accountability_frame(shown), hide_index=True, width="stretch",
            column_config={
                "完成时限": st.column_config.DateColumn("完成时限", format="YYYY-MM-DD"),
                "更新日期": st.column_config.DateColumn("更新日期", format="YYYY-MM-DD"),
                "最近进展": st.column_config.TextColumn("最近进展", width="large"),
            },
        )
    for i in shown:
        with st.container(border=True):
            with st.container(key=f"acct-item-title-{i.theme_id}"):  # a heading, shown verbatim
                plain(i.theme)
            plain(f"议题：{i.consultation}")
            with st.container(horizontal=True, gap="small"):
                st.badge(md(i.decision), color=DECISION_COLORS.get(i.decision_code, "gray"))
                st.badge(md(i.status), color="green" if i.status_code == "done" else "blue")
                if i.overdue:
                    st.badge("已逾期", color="red", icon=":material/warning:")
            due = f" · 完成时限 {format_date(i.due_date)}" if i.due_date else ""
            plain(f"责任方：{i.responsible_party}{due}")
            if i.last_note:
                plain(f"{format_date(i.last_update)}：{i.last_note}")

st.subheader("各议题的完整结果", anchor=False)
for cid, title in titles.items():
    st.page_link("app_pages/public/results.py", label=md(f"{title} →"), query_params={"id": str(cid)})
