import streamlit as st

from portal.ui import public_cache
from portal.ui.place import chosen_community, forget
from portal.ui.session import current_actor
from portal.ui.widgets import consultation_card, md

# The same for every visitor: cached per replica, keyed on the database's change marker.
snapshot = public_cache.marker()


def sign_in_links() -> None:
    if current_actor() is None:
        # The ways in, in the page itself: on a phone the menu is folded behind a small arrow.
        with st.container(horizontal=True, key="home-sign-in"):
            st.page_link("app_pages/resident/sign_in.py", label="居民登录（用参与码）", icon=":material/key:")
            st.page_link("app_pages/committee/login.py", label="工作人员登录", icon=":material/account_balance:")



place = chosen_community(remembered=False)  # ?c=<slug>: one community's home
streets = public_cache.directory(snapshot) if place is None else []

if place is None and sum(len(s.communities) for s in streets) > 1:
    # the street home: one card per community, each at its own address (decision 0025)
    forget()
    st.title(md(f"{streets[0].name} · 社区议事厅" if len(streets) == 1 else "社区议事厅"))
    st.write("请选择您所在的社区：查看本社区的议题、提意见、参与投票，并查看居委会的回应和办理进度。")
    sign_in_links()
    for street in streets:
        if len(streets) > 1:
            st.subheader(md(street.name), anchor=False)
        for card in street.communities:
            with st.container(border=True, key=f"home-community-{card.slug}"):
                st.markdown(f"**{md(card.name)}**")
                st.caption(f"正在征集意见 {card.n_open} 个议题 · 公开议题共 {card.n_public} 个")
                st.page_link("app_pages/public/home.py", label=f"进入{md(card.name)} →",
                             query_params={"c": card.slug})
    st.stop()

home = public_cache.home(snapshot, place.id if place else None)
name, cards = home.name, home.cards

st.title(md(f"{name} · 社区议事厅"))
st.write("居民的事居民议。在这里提出意见、给别人的意见投票，并查看居委会对每个问题的回应和办理进度。")
if place is not None and len(streets) == 0 and public_cache.several_communities(snapshot):
    st.page_link("app_pages/public/home.py", label="← 全部社区", icon=":material/arrow_back:")

sign_in_links()

if not cards:
    st.info("目前还没有公开的议题。")
for card in cards:
    consultation_card(card)
