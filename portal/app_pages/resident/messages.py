import streamlit as st

from portal.services.notifications import mark_read, my_messages
from portal.timefmt import format_datetime
from portal.ui.actions import read, save
from portal.ui.session import current_resident
from portal.ui.widgets import md, plain, show_flash

# Where a message's link leads: the portal path it names -> the page file.
PAGES = {"/consultation": "app_pages/public/consultation.py", "/results": "app_pages/public/results.py",
         "/accountability": "app_pages/public/accountability.py", "/decide": "app_pages/resident/decide.py"}
FLASH = "messages.flash"

resident = current_resident()
if resident is None:
    st.warning("请先用参与码登录。")
    st.stop()

st.title("我的消息")
show_flash(FLASH)
got = read(my_messages, actor=resident)
if not got:
    st.stop()
messages = got.value
unread = [m for m in messages if not m.read]
if not messages:
    st.info("还没有消息。您所在楼栋有新议题、您提的意见有了回应或办理进展时，会在这里告诉您。")
    st.page_link("app_pages/resident/sign_in.py", label="在“我的账号”里选择用邮件或短信接收通知", icon=":material/mail:")
    st.stop()

st.caption(f"共 {len(messages)} 条，{len(unread)} 条未读。" if unread else f"共 {len(messages)} 条，都已读过。")
if unread and st.button("全部标为已读", key="messages.read_all"):
    if save(mark_read, actor=resident):
        st.session_state[FLASH] = "已全部标为已读。"
        st.rerun()

for m in messages:
    with st.container(border=True, key=f"message-{m.id}"):
        st.markdown(("**【未读】** " if not m.read else "") + f"**{md(m.title)}**")
        st.caption(f"{m.kind_label} · {format_datetime(m.created_at)}")
        plain(m.body)
        path, _, query = m.link.partition("?")
        key, _, value = query.partition("=")
        if path in PAGES:
            st.page_link(PAGES[path], label="查看详情", icon=":material/arrow_forward:",
                         query_params={key: value} if key else None)
        if not m.read and st.button("标为已读", key=f"messages.read.{m.id}"):
            if save(mark_read, actor=resident, notification_ids=[m.id]):
                st.session_state[FLASH] = f"已读：{md(m.title)}"
                st.rerun()

st.caption("想用邮件或短信接收这些消息，或者不想再收到，请到“我的账号”设置。")
