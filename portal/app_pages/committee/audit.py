import pandas as pd
import streamlit as st

from portal.services.audit import recent_events, verify_chain
from portal.ui.resources import db_session
from portal.ui.widgets import require_committee

require_committee("view_audit")
st.title("审计日志")

with db_session() as session:
    events = recent_events(session)
    if st.button("校验日志完整性", key="audit.verify"):
        report = verify_chain(session)
        if report.ok:
            st.success(f"校验通过：共 {report.checked} 条记录，未发现篡改。")
        else:
            st.error(f"校验失败：第 {report.first_bad_id} 号记录{report.problem}。")

st.dataframe(
    pd.DataFrame(
        [
            {"时间": e.at, "操作人": e.actor, "操作": e.action, "对象": f"{e.target_type} {e.target_id}"}
            for e in events
        ]
    ),
    hide_index=True,
    use_container_width=True,
)
