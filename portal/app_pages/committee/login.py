import streamlit as st

from portal.services.identity import authenticate
from portal.ui.actions import save
from portal.ui.session import asked_for_a_page, sign_in

st.title("居委会工作人员登录")
if st.session_state.pop("auth.expired", False):
    st.info("登录已过期，请重新登录。")
elif asked_for_a_page():
    st.info("请先登录，登录后会回到您要打开的页面。")

with st.form("login.form"):
    username = st.text_input("用户名", key="login.username", max_chars=50)
    password = st.text_input("密码", type="password", key="login.password", max_chars=200)
    submitted = st.form_submit_button("登录", type="primary", use_container_width=True)

if submitted:
    if signed := save(authenticate, username=username, password=password):
        sign_in(signed.value, next_path="/")  # or the staff page asked for before signing in
        st.rerun()
