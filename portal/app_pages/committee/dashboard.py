import pandas as pd
import streamlit as st

from portal.models import PHASE_ORDER
from portal.services.consultations import deadline_text, list_consultations
from portal.ui.resources import db_session
from portal.ui.widgets import require_committee

actor = require_committee()
st.title("工作台")
st.caption(f"{actor.display_name} · {actor.role.label}")

with db_session() as session:
    cards = list_consultations(session, phases=tuple(PHASE_ORDER))

st.dataframe(
    pd.DataFrame(
        [
            {
                "议题": card.consultation.title,
                "阶段": card.phase_label,
                "征集时间": deadline_text(card.consultation),
                "意见": card.n_opinions,
                "参与人数": card.n_participants,
                "投票": card.n_votes,
            }
            for card in cards
        ]
    ),
    hide_index=True,
    use_container_width=True,
)
