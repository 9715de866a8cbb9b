"""更正或撤回: pick an offline entry, correct it (reason required) or withdraw it (asks first)."""

from __future__ import annotations

import streamlit as st

from portal.models import CHANNEL_LABELS
from portal.services.participation.offline import OFFLINE_CHANNELS
from portal.services.participation.offline_corrections import (
    OfflineCorrection,
    correct_offline_opinion,
    correctable_offline,
    plan_withdraw,
    withdraw_offline_opinion,
)
from portal.timefmt import local_date, today_local
from portal.ui.actions import read, save_and_flash
from portal.ui.confirm import confirm_button
from portal.ui.resources import db_session


def corrections(actor, cid: int, *, flash: str) -> None:  # type: ignore[no-untyped-def]
    with db_session() as session:
        entries = correctable_offline(session, actor=actor, consultation_id=cid)
    if not entries:
        st.info("这个议题还没有可以更正的线下意见。")
        return
    by_id = {op.id: op for op in entries}
    oid = st.selectbox("选择要更正或撤回的意见（最近 50 条）", list(by_id), key="offline.fix.pick",
                       format_func=lambda i: f"#{i} · {CHANNEL_LABELS[by_id[i].channel]} · "
                       f"{local_date(by_id[i].received_at)} · {by_id[i].text_original[:24]}", placeholder="请选择")
    op = by_id[oid]
    channels = list(OFFLINE_CHANNELS)
    with st.form(f"offline.fix.form.{oid}"):
        text = st.text_area("意见内容", value=op.text_original, height=140, max_chars=1000, key=f"offline.fix.text.{oid}")
        c1, c2 = st.columns(2)
        channel = c1.selectbox("渠道", channels, index=channels.index(op.channel), key=f"offline.fix.channel.{oid}",
                               format_func=lambda c: CHANNEL_LABELS[c], placeholder="请选择")
        day = c2.date_input("收到日期", value=local_date(op.received_at), max_value=today_local(),
                            key=f"offline.fix.date.{oid}", format="YYYY-MM-DD")
        reason = st.text_input("更正理由（必填，记入审计日志）", key=f"offline.fix.reason.{oid}",
                               placeholder="例如：录入时看错了原稿")
        if st.form_submit_button("保存更正", type="primary"):
            save_and_flash(flash, lambda changed: f"已更正意见 #{oid}：{'、'.join(changed)}。",
                           correct_offline_opinion, actor=actor, opinion_id=oid, reason=reason,
                           correction=OfflineCorrection(text=text, channel=channel, received_on=day))
    why = st.text_input("撤回理由（必填，记入审计日志）", key=f"offline.withdraw.reason.{oid}",
                        placeholder="例如：同一张意见表重复录入")
    if confirm_button("撤回这条意见", key=f"offline.withdraw.{oid}", fingerprint=oid, confirm_label="确认撤回",
                      plan=lambda: read(plan_withdraw, actor=actor, opinion_id=oid).value or ""):
        save_and_flash(flash, f"已撤回意见 #{oid}。", withdraw_offline_opinion, actor=actor, opinion_id=oid,
                       reason=why)
