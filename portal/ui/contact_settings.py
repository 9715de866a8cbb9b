"""通知方式 on 我的账号: the resident opts in per channel (e-mail, SMS) or withdraws."""

from __future__ import annotations

import streamlit as st

from portal.models import ContactChannel
from portal.services.actors import ResidentActor
from portal.services.notifications import my_contacts, set_my_contact, withdraw_my_consent
from portal.timefmt import format_date
from portal.ui.actions import read, save
from portal.ui.widgets import show_flash

FLASH = "contact.flash"
HINTS = {ContactChannel.EMAIL: ("邮箱地址", "例如 zhang.li@example.com"),
         ContactChannel.SMS: ("手机号码", "11 位手机号，例如 13812345678")}


def contact_settings(resident: ResidentActor) -> None:
    """Current choices (masked) and a form per channel; what was typed stays after a refusal."""
    st.subheader("通知方式", anchor=False)
    st.caption("我的消息一直可以在网上查看。您也可以选择用邮件或短信接收：新议题、您提的意见有回应或进展、"
               "结果公布时告诉您。联系方式加密保存，只用于发通知，工作人员也只能看到打码后的号码。")
    show_flash(FLASH)
    got = read(my_contacts, actor=resident)
    current = {c.channel: c for c in got.value} if got else {}
    for channel in ContactChannel:
        label, placeholder = HINTS[channel]
        view = current.get(channel)
        with st.container(border=True):
            st.markdown(f"**{channel.label}**")
            if view is not None and view.consent:
                st.write(f"正在接收：{view.masked}（{format_date(view.consented_at)}同意）")
                if st.button(f"不再用{channel.label}接收（退订）", key=f"contact.withdraw.{channel.value}"):
                    if save(withdraw_my_consent, actor=resident, channel=channel):
                        st.session_state[FLASH] = f"已退订{channel.label}通知。"
                        st.rerun()
            elif view is not None:
                st.caption(f"已退订（{format_date(view.withdrawn_at)}）。可以在下面重新填写并同意。")
            with st.form(f"contact.form.{channel.value}", clear_on_submit=False):
                value = st.text_input(label, key=f"contact.value.{channel.value}", placeholder=placeholder,
                                      max_chars=254)
                agree = st.checkbox(f"我同意社区议事厅用{channel.label}给我发送议事通知，可随时退订",
                                    key=f"contact.agree.{channel.value}")
                submitted = st.form_submit_button("保存" if view is None or not view.consent else "更换")
            if submitted:
                if not agree:
                    st.error("请先勾选同意，才能用这个方式给您发通知。")
                elif saved := save(set_my_contact, actor=resident, channel=channel, value=value):
                    st.session_state[FLASH] = f"已保存：今后会用{channel.label}（{saved.value.masked}）通知您。"
                    st.rerun()
