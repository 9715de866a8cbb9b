import streamlit as st

from portal.services.errors import SignInFailed
from portal.services.identity import sign_in_with_code
from portal.ui.resources import db_session, settings
from portal.ui.session import sign_in, throttle_key

st.title("居民登录")
st.write("请输入居委会发给您的参与码（纸条上的 10 位字母和数字，例如 AB3CD-7EF9G）。不用登录也可以浏览议题和结果。")

with st.form("signin.form"):
    code = st.text_input("参与码", key="signin.code", max_chars=40, placeholder="XXXXX-XXXXX")
    submitted = st.form_submit_button("登录", type="primary", use_container_width=True)

if submitted:
    try:
        with db_session() as session:
            actor = sign_in_with_code(
                session, code=code, secret=settings().secret_key, throttle_key=throttle_key()
            )
    except SignInFailed as exc:
        st.error(str(exc))
    else:
        sign_in(actor)
        st.rerun()
