import streamlit as st

from portal.services.actors import has_permission
from portal.services.consultations.dashboard import committee_dashboard
from portal.services.notifications import outbox_status
from portal.ui.actions import read
from portal.ui.resources import db_session
from portal.ui.widgets import md, plain, require_committee

actor = require_committee()
st.title("工作台")
st.caption(md(f"{actor.display_name} · {actor.role.label}") + "　今天要处理的事项按议题列在下面。")

with db_session() as session:
    rows = committee_dashboard(session, actor=actor)

if not rows:
    st.info("还没有议题。" + ("请到“议题管理”新建第一个议题。" if has_permission(actor, "manage_consultation")
                          else "请联系管理员新建议题。"))
    if has_permission(actor, "manage_consultation"):
        st.page_link("app_pages/committee/consultations.py", label="去新建议题", icon=":material/add:")
    st.stop()

n_todo = sum(len(r.todo) for r in rows)
st.metric("待处理事项", n_todo)

if (sending := read(outbox_status, actor=actor, show="caption")) and sending.value.failures:
    failed = sending.value.count("email", "failed") + sending.value.count("sms", "failed")
    st.warning(f"有 {failed} 条居民通知（邮件或短信）多次发送失败，已停止重试。", icon=":material/mail:")
    if has_permission(actor, "record_consent"):
        st.page_link("app_pages/committee/notices.py", label="去“居民通知”查看原因", icon=":material/arrow_forward:")

for r in rows:
    with st.container(border=True):
        st.subheader(md(r.title), anchor=False)
        st.caption(f"{r.phase_label} · 征集时间 {r.period}")
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("意见", r.n_opinions)
        c2.metric("参与人数", r.n_participants)
        c3.metric("表态", r.n_votes)
        c4.metric("主题", r.n_themes)
        if not r.todo:
            st.success("暂时没有需要处理的事项。", icon=":material/check_circle:")
        for item in r.todo:
            if has_permission(actor, item.permission):
                st.page_link(item.page, label=item.text, icon=":material/arrow_forward:",
                             query_params={"id": str(r.id)})
            else:
                plain(f"· {item.text}（需由有权限的同事处理）")
