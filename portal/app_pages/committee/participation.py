import streamlit as st

from portal.services.consultations import PUBLIC_PHASES, list_consultations
from portal.services.consultations.participation_check import check_participation
from portal.ui.participation import EXPLAINED, dimension_choice, participation_figures
from portal.ui.resources import db_session
from portal.ui.widgets import consultation_picker, require_committee

actor = require_committee("view_committee")
st.title("参与情况核查")
st.caption(EXPLAINED)

with db_session() as session:
    cards = list_consultations(session, phases=PUBLIC_PHASES, actor=actor)
cid = consultation_picker(cards, key="participation.consultation")
if cid is None:
    st.stop()
dimension = dimension_choice("participation.dimension")
with db_session() as session:
    check = check_participation(session, actor=actor, consultation_id=cid, dimension=dimension)

participation_figures(check, empty_roster="名册为空：请先在“居民名册与参与码”页面导入名册。")
