import streamlit as st

from portal.services.consultations import list_consultations
from portal.ui.resources import db_session
from portal.ui.session import current_resident
from portal.ui.widgets import consultation_card

resident = current_resident()
if resident is None:
    st.warning("请先用参与码登录。")
    st.stop()

st.title("我的参与")
st.write(f"您登记的住址：{resident.grid} · {resident.area_name}")
with db_session() as session:
    cards = list_consultations(session, community_id=resident.community_id)
st.subheader("本社区的议题", anchor=False)
for card in cards:
    consultation_card(card)
