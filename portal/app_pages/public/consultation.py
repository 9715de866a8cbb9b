import streamlit as st

from portal.models import Phase
from portal.services.consultations import deadline_text, get_consultation, what_residents_can_do
from portal.services.errors import NotFound
from portal.ui.resources import db_session
from portal.ui.widgets import plain, results_link

raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():
    st.info("请从首页选择一个议题。")
    st.page_link("app_pages/public/home.py", label="← 返回首页")
    st.stop()

try:
    with db_session() as session:
        c = get_consultation(session, int(raw_id))
except NotFound as exc:
    st.error(str(exc))
    st.stop()

st.title(c.title)
st.caption(f"{Phase(c.phase).label} · 征集时间 {deadline_text(c)}")
st.subheader("议题", anchor=False)
plain(c.question)
if c.background:
    st.subheader("背景", anchor=False)
    plain(c.background)
st.info(what_residents_can_do(c))
results_link(c)
