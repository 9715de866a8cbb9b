import streamlit as st

from portal.models import PHASE_ORDER, ContactChannel, DeliveryChannel, OutboxStatus
from portal.services.actors import has_permission
from portal.services.consultations import list_consultations
from portal.services.identity.roster import list_roster
from portal.services.notifications import (
    list_announcements,
    outbox_status,
    record_paper_consent,
    resident_contacts,
    send_announcement,
)
from portal.services.notifications.paper import pending_paper, print_door_to_door
from portal.timefmt import format_datetime, now_local
from portal.ui.actions import read, save
from portal.ui.widgets import consultation_picker, md, require_committee, show_flash

actor = require_committee("record_consent")
FLASH = "notices.flash"
st.title("居民通知")
st.caption("新议题、回应、办理进展和结果公布会自动通知相关居民：网上“我的消息”，同意了的用邮件或短信，"
           "其余的打印出来上门送达。这里可以发布通知、登记纸质同意书、打印上门通知，并查看发送情况。")
show_flash(FLASH)

sending, announce, consent, paper = st.tabs(["发送情况", "发布通知", "登记同意书", "上门通知"])

with sending:
    if got := read(outbox_status, actor=actor):
        view = got.value
        cols = st.columns(3)
        for col_, ch in zip(cols, DeliveryChannel, strict=True):
            col_.metric(f"{ch.label} · 待发送", view.count(ch, OutboxStatus.PENDING))
            col_.caption(f"已发送 {view.count(ch, OutboxStatus.SENT)} · 失败 {view.count(ch, OutboxStatus.FAILED)}"
                         f" · 已退订取消 {view.count(ch, OutboxStatus.CANCELLED)}")
        for label in view.unconfigured:
            st.warning(f"有{label}在等待发送，但服务器还没有配置{label}渠道（见 README 的配置表）。")
        st.caption("邮件和短信由定时任务 `consult outbox send` 发出；晚上 9 点到早上 8 点不发短信。")
        if view.failures:
            st.error(f"{len(view.failures)} 条通知多次发送失败，已停止重试：")
            st.dataframe([{"渠道": f.channel_label, "楼栋": f.building, "通知": f.title, "尝试次数": f.attempts,
                           "原因": f.error, "时间": format_datetime(f.created_at)} for f in view.failures],
                         hide_index=True)
        else:
            st.success("没有发送失败的通知。")

with announce:
    if not has_permission(actor, "send_announcements"):
        st.info("发布居民通知需要管理员账号。")
    elif got := read(lambda s: list_consultations(s, phases=tuple(PHASE_ORDER))):
        cid = consultation_picker(got.value, key="notices.consultation", label="发给哪个议题涉及的楼栋")
        if cid is not None:
            with st.form("notices.announce"):
                title = st.text_input("标题", key="notices.title", max_chars=60, placeholder="例如：3号楼加装电梯施工通知")
                body = st.text_area("内容（10–500 字，短信和纸条都要放得下）", key="notices.body", max_chars=500)
                sent = st.form_submit_button("发布通知", type="primary")
            if sent and (done := save(send_announcement, actor=actor, consultation_id=cid, title=title, body=body)):
                st.session_state[FLASH] = f"已发布“{md(done.value.title)}”，通知 {done.value.n_recipients} 位居民。"
                for k in ("notices.title", "notices.body"):
                    st.session_state.pop(k, None)
                st.rerun()
        if recent := read(list_announcements, actor=actor):
            for a in recent.value[:5]:
                st.caption(md(f"{format_datetime(a.created_at)} · {a.title} · {a.n_recipients} 位居民"))

with consent:
    st.caption("居民在纸质同意书上勾选了邮件或短信、并签名后，在这里登记。登记后只显示打码后的号码。")
    if roster := read(list_roster, actor=actor):
        entries = {e.resident_id: e for e in roster.value}
        rid = st.selectbox("居民", list(entries), key="notices.resident", index=None, placeholder="选择楼栋、单元、户号",
                           format_func=lambda r: " ".join(x for x in (entries[r].grid, entries[r].building,
                                                                      entries[r].unit, entries[r].household_ref) if x))
        if rid is not None:
            if shown := read(resident_contacts, actor=actor, resident_id=rid):
                for v in shown.value:
                    st.write(md(f"{v.channel_label}：{v.masked} · {v.state_label}"))
            with st.form("notices.consent"):
                channel = st.radio("同意书上勾选的方式", list(ContactChannel), format_func=lambda c: c.label,
                                   key="notices.channel", horizontal=True)
                value = st.text_input("邮箱或手机号", key="notices.value", max_chars=254)
                ok = st.form_submit_button("登记同意书")
            if ok and (done := save(record_paper_consent, actor=actor, resident_id=rid, channel=channel, value=value)):
                st.session_state[FLASH] = f"已登记：{done.value.channel_label} {done.value.masked}。"
                st.session_state.pop("notices.value", None)
                st.rerun()

with paper:
    st.caption("没有邮件、短信，也从没用参与码登录过的居民，通知要打印出来上门送达。按楼栋分页，每份剪开投递。")
    if has_permission(actor, "deliver_notices") and (waiting := read(pending_paper, actor=actor)):
        n = sum(len(b.notices) for b in waiting.value)
        if n == 0:
            st.success("没有待上门送达的通知。")
        else:
            st.write(md("、".join(f"{b.grid} {b.name} {len(b.notices)} 份" for b in waiting.value)))
            if st.button(f"生成上门通知 PDF（{n} 份）", key="notices.make_pdf"):
                if made := read(print_door_to_door, actor=actor):
                    st.download_button("下载 PDF", made.value[0], file_name=f"上门通知-{now_local().date()}.pdf",
                                       mime="application/pdf", key="notices.pdf")
            if st.button("已全部打印，标记为送达", key="notices.delivered"):
                if done := save(print_door_to_door, actor=actor, mark_delivered=True):
                    st.session_state[FLASH] = f"已标记 {done.value[1]} 份上门通知为送达。"
                    st.rerun()
