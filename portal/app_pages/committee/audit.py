import json

import pandas as pd
import streamlit as st

from portal.services.audit import action_label, recent_events, verify_chain
from portal.timefmt import format_datetime
from portal.ui.resources import db_session
from portal.ui.widgets import require_committee

require_committee("view_audit")
st.title("审计日志")
st.caption("每一次工作人员操作都记录在案。每条记录的校验值包含上一条的校验值，任何删改都会在校验时被发现。")

with db_session() as session:
    if st.button("校验日志完整性", key="audit.verify"):
        report = verify_chain(session)
        if report.ok:
            st.success(f"校验通过：共 {report.checked} 条记录，未发现篡改。")
        else:
            st.error(report.message)
    events = recent_events(session, limit=500)

search = st.text_input("筛选（操作、操作人或对象）", key="audit.search", placeholder="例如：合并主题、committee:2、theme")
rows = [
    {
        "编号": e.id,
        "时间": format_datetime(e.at, seconds=True),
        "操作人": e.actor,
        "操作": action_label(e.action),
        "对象": f"{e.target_type} {e.target_id}".strip(),
        "详情": json.dumps(e.detail, ensure_ascii=False) if e.detail else "",
    }
    for e in events
]
if search.strip():
    needle = search.strip().lower()
    rows = [r for r in rows if any(needle in str(r[k]).lower() for k in ("操作人", "操作", "对象", "详情"))]
st.caption(f"最近 {len(rows)} 条记录")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
