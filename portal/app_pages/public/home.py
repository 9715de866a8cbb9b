import streamlit as st

from portal.ui import public_cache
from portal.ui.session import current_actor
from portal.ui.widgets import consultation_card, md

# The same for every visitor: cached per replica, keyed on the database's change marker.
home = public_cache.home(public_cache.marker())
name, cards = home.name, home.cards

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
