import streamlit as st

from portal.models import PHASE_ORDER
from portal.services.consultations import get_consultation, list_consultations
from portal.services.publishing.exports import (
    export_filename,
    export_summary,
    export_tables,
    to_csv_zip,
    to_xlsx,
)
from portal.ui.actions import save
from portal.ui.resources import db_session
from portal.ui.widgets import consultation_picker, md, require_committee

actor = require_committee("export_data")
st.title("数据导出")
st.caption("导出议题的全部数据供居委会存档：意见原文（含未公开的个人信息）、渠道、楼栋、投票、留言、主题和回应。"
           "文件含居民个人信息，请妥善保管，勿外传。每次导出都会记入审计日志。")

with db_session() as session:
    cards = list_consultations(session, phases=tuple(PHASE_ORDER), actor=actor)
cid = consultation_picker(cards, key="export.consultation")
if cid is None:
    st.stop()

FILES_KEY = "export.files"
if st.button("生成导出文件", type="primary", key="export.make"):
    made = save(lambda session: (get_consultation(session, cid, public=False),
                                 export_tables(session, actor=actor, consultation_id=cid)))
    if made:
        c, tables = made.value
        st.session_state[FILES_KEY] = (cid, export_filename(c, "xlsx"), to_xlsx(tables),
                                       export_filename(c, "zip"), to_csv_zip(tables),
                                       export_summary(tables))

files = st.session_state.get(FILES_KEY)
if files and files[0] == cid:
    _, xlsx_name, xlsx, zip_name, zipped, summary = files
    st.success(md(summary))
    c1, c2 = st.columns(2)
    c1.download_button("下载 Excel（每张表一个工作表）", data=xlsx, file_name=xlsx_name,
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="export.xlsx", on_click="ignore")
    c2.download_button("下载 CSV（压缩包）", data=zipped, file_name=zip_name, mime="application/zip",
                       key="export.zip", on_click="ignore")
