import streamlit as st

from portal.services.consultations import community_name, list_consultations
from portal.ui.resources import db_session
from portal.ui.session import current_actor
from portal.ui.widgets import consultation_card, md

with db_session() as session:
    name = community_name(session)
    cards = list_consultations(session)

st.title(md(f"{name} · 社区议事厅"))
st.write("居民的事居民议。在这里提出意见、给别人的意见投票，并查看居委会对每个问题的回应和办理进度。")

if current_actor() is None:
    # The ways in, in the page itself: on a phone the menu is folded behind a small arrow.
    with st.container(horizontal=True, key="home-sign-in"):
        st.page_link("app_pages/resident/sign_in.py", label="居民登录（用参与码）", icon=":material/key:")
        st.page_link("app_pages/committee/login.py", label="工作人员登录", icon=":material/account_balance:")

if not cards:
    st.info("目前还没有公开的议题。")
for card in cards:
    consultation_card(card)
