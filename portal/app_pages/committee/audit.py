import pandas as pd
import streamlit as st

from portal.services.audit import verify_chain
from portal.services.audit_log import audit_lines
from portal.timefmt import format_datetime
from portal.ui.resources import db_session
from portal.ui.widgets import require_committee

actor = require_committee("view_audit")
st.title("审计日志")
st.caption("每一次工作人员操作都记录在案。每条记录的校验值包含上一条的校验值，任何删改都会在校验时被发现。")

with db_session() as session:
    if st.button("校验日志完整性", key="audit.verify"):
        report = verify_chain(session)
        if report.ok:
            st.success(f"校验通过：共 {report.checked} 条记录，未发现篡改。")
        else:
            st.error(report.message)

search = st.text_input("筛选（人名、操作或内容）", key="audit.search", placeholder="例如：合并主题、王主任、车位")
with db_session() as session:
    lines = audit_lines(session, actor=actor, limit=500, search=search)
st.caption(f"最近 {len(lines)} 条记录")
st.dataframe(
    pd.DataFrame([{"编号": x.id, "时间": format_datetime(x.at, seconds=True), "操作人": x.who, "操作": x.action,
                   "经过": x.sentence} for x in lines], columns=["编号", "时间", "操作人", "操作", "经过"]),
    hide_index=True, width="stretch",
    column_config={"编号": st.column_config.NumberColumn(width="small"),
                   "经过": st.column_config.TextColumn(width="large")},
)
