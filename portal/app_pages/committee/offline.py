import pandas as pd
import streamlit as st

from portal.charts import channel_mix_chart
from portal.models import CHANNEL_LABELS
from portal.services.consultations import list_consultations, phases_where
from portal.services.identity.roster import list_areas, list_roster
from portal.services.participation.offline import (
    OFFLINE_CHANNELS,
    OfflineOpinion,
    channel_mix,
    enter_offline_opinion,
    import_offline_opinions,
    preview_offline_import,
    recent_offline,
)
from portal.timefmt import today_local
from portal.ui.actions import read, save
from portal.ui.drafts import draft_token, end_draft
from portal.ui.offline_corrections import corrections
from portal.ui.resources import db_session
from portal.ui.templates import template_downloads
from portal.ui.widgets import (
    consultation_picker,
    file_upload,
    flash_and_rerun,
    md,
    plain,
    require_committee,
    show_chart,
    show_flash,
)

actor = require_committee("enter_offline")
st.title("线下意见录入")
st.caption("把居民在纸上、电话里、上门走访时或通过 12345 热线提出的意见录入系统。"
           "这些意见与网上意见同等计入统计、分析和回应；原文仅居委会可见，公开时自动隐去手机号等个人信息。")

FLASH = "offline.flash"
show_flash(FLASH)

with db_session() as session:
    cards = list_consultations(session, phases=phases_where(lambda r: r.submit), actor=actor)
    areas = list_areas(session, actor=actor)
if not cards:
    st.info("目前没有正在征集意见的议题。议题进入“征集中”阶段后才能录入意见。")
    st.stop()
cid = consultation_picker(cards, key="offline.consultation", label="录入到哪个议题")
area_label = {a.id: f"{a.grid} {a.name}".strip() for a in areas}
today = today_local()

tab_one, tab_bulk, tab_fix, tab_mix = st.tabs(["逐条录入", "批量导入", "更正或撤回", "渠道构成"])

with tab_one:
    c1, c2 = st.columns(2)
    channel = c1.selectbox("渠道", list(OFFLINE_CHANNELS), format_func=lambda c: CHANNEL_LABELS[c],
                           key="offline.channel", placeholder="请选择")
    received_on = c2.date_input("收到日期", value=today, max_value=today, key="offline.date",
                                format="YYYY-MM-DD")
    area_id = st.selectbox("居民所在楼栋", [None, *area_label],
                           format_func=lambda a: "不详" if a is None else area_label[a], key="offline.area", placeholder="请选择")
    resident_id = None
    if area_id is not None:
        with db_session() as session:
            roster = list_roster(session, actor=actor, area_ids=[area_id])
        who = {e.resident_id: f"{e.unit} · {e.age_band or '年龄未登记'}"
               + (f" · 户号 {e.household_ref}" if e.household_ref else "") for e in roster}
        resident_id = st.selectbox("名册中的居民（可不选）", [None, *who],
                                   format_func=lambda r: "不指定" if r is None else who[r],
                                   key=f"offline.resident.{area_id}", placeholder="请选择")
    token = draft_token("offline.text")  # one per draft: a repeated 保存 stores it once
    with st.form("offline.form"):
        text = st.text_area("意见内容（按居民原话录入）", key="offline.text", height=160, max_chars=1000)
        submitted = st.form_submit_button("保存这条意见", type="primary")
    if submitted:
        entered = save(enter_offline_opinion, actor=actor, consultation_id=cid, item=OfflineOpinion(
            text=text, channel=channel, received_on=received_on, area_id=area_id, resident_id=resident_id),
            client_token=token)
        if entered:
            note = "（已自动隐去其中的个人信息后公开）" if entered.value.pii_kinds else ""
            st.session_state.pop("offline.text", None)
            end_draft("offline.text")
            flash_and_rerun(FLASH, f"已录入一条{CHANNEL_LABELS[channel]}意见{note}。")

with tab_bulk:
    st.write("CSV（UTF-8 或 GBK）或 Excel（.xlsx）。必填列：**意见内容、渠道、收到日期**；可选列：楼栋。"
             "渠道可填：纸质、电话、上门走访、12345热线。任何一行有误时不会导入任何意见。")
    template_downloads("offline")
    n_key = "offline.upload_n"
    upload = file_upload("选择文件", ["csv", "xlsx"], key=f"offline.upload.{st.session_state.get(n_key, 0)}")
    if upload is not None:
        data = upload.getvalue()
        checked = read(preview_offline_import, consultation_id=cid, data=data, filename=upload.name)
        if checked:
            preview = checked.value
            if preview.errors:
                st.error(f"有 {len(preview.errors)} 行有误，请改正后重新上传（未导入任何意见）。")
            st.dataframe(pd.DataFrame([{
                "行号": r.number, "意见内容": r.text, "渠道": r.channel, "收到日期": r.received_on,
                "楼栋": r.building, "问题": r.problem or "✓",
            } for r in preview.rows]), hide_index=True, width="stretch")
            choice = None
            if preview.ok and preview.repeats:  # ask before writing: skip them, or import anyway
                st.warning(md(preview.repeat_notice()))
                skip, anyway, cancel = st.columns(3)
                if skip.button(f"跳过已导入的，导入 {preview.n_new} 条", type="primary",
                               key="offline.import_skip", disabled=not preview.n_new):
                    choice = "skip"
                if anyway.button(f"仍然导入全部 {len(preview.items)} 条", key="offline.import_anyway"):
                    choice = "import"
                if cancel.button("取消，不导入", key="offline.import_cancel"):
                    st.session_state[n_key] = st.session_state.get(n_key, 0) + 1
                    flash_and_rerun(FLASH, "已取消，没有导入任何意见。")
            elif st.button(f"导入 {len(preview.items)} 条意见", type="primary", key="offline.import",
                           disabled=not preview.ok):
                choice = "ask"
            if choice is not None:
                imported = save(import_offline_opinions, actor=actor, consultation_id=cid, data=data,
                                filename=upload.name, repeats=choice)
                if imported:
                    st.session_state[n_key] = st.session_state.get(n_key, 0) + 1
                    flash_and_rerun(FLASH, f"已导入 {imported.value} 条线下意见。")

with tab_fix:
    corrections(actor, cid, flash=FLASH)

with tab_mix:
    with db_session() as session:
        mix = channel_mix(session, consultation_id=cid)
        recent = recent_offline(session, actor=actor, consultation_id=cid, limit=10)
    total = sum(m.count for m in mix)
    offline = sum(m.count for m in mix if m.channel in OFFLINE_CHANNELS)
    st.write(f"共 {total} 条意见，其中线下 {offline} 条。")
    show_chart(channel_mix_chart(mix))
    if recent:
        st.caption("最近录入的线下意见")
        for op in recent:
            st.caption(md(f"{CHANNEL_LABELS[op.channel]} · {area_label.get(op.area_id, '楼栋不详')} · "
                          f"{op.received_at:%Y-%m-%d}"))
            plain(op.text_original)
