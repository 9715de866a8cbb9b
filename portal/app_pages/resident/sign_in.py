import streamlit as st

from portal.services.consultations import get_consultation
from portal.services.errors import NotFound
from portal.services.identity import sign_in_with_code
from portal.ui.actions import save
from portal.ui.contact_settings import contact_settings
from portal.ui.place import chosen_community
from portal.ui.resources import db_session, warm_up_similarity
from portal.ui.session import (
    asked_for_a_page,
    client_address,
    current_resident,
    sign_in,
    sign_out_and_leave,
    throttle_key,
)
from portal.ui.widgets import md

NEXT = "signin.next"
if (raw_next := st.query_params.get("next", "")).isdigit():
    st.session_state[NEXT] = raw_next  # the consultation to go back to after signing in

resident = current_resident()
if resident is not None:
    warm_up_similarity()  # so that 提意见's first preview is quick
    st.title("我的账号")
    st.success(md(f"您已登录。登记住址：{resident.grid} · {resident.area_name}"))
    st.write("您现在可以：")
    if target := st.session_state.get(NEXT):
        try:
            with db_session() as session:
                title = get_consultation(session, int(target)).title
        except NotFound:
            pass
        else:
            st.page_link("app_pages/public/consultation.py", label=f"回到“{md(title)}”", icon=":material/arrow_back:",
                         query_params={"id": target})
    st.page_link("app_pages/resident/give.py", label="提意见", icon=":material/edit:")
    st.page_link("app_pages/resident/vote.py", label="给邻居的意见表态", icon=":material/how_to_vote:")
    st.page_link("app_pages/resident/my.py", label="查看我的参与", icon=":material/person:")
    st.page_link("app_pages/resident/messages.py", label="我的消息", icon=":material/mail:")
    contact_settings(resident)
    st.caption("在公用电脑上用完后，请记得退出登录。")
    if st.button("退出登录", key="signin.sign_out", use_container_width=True):
        sign_out_and_leave(next_path="/sign_in")
    st.stop()

place = chosen_community()
st.title(md(f"{place.name} · 居民登录") if place else "居民登录")
if asked_for_a_page():
    st.info("请先登录，登录后会回到您要打开的页面。")
st.write("请输入居委会发给您的参与码（纸条上的 10 位字母和数字，例如 AB3CD-7EF9G）。不用登录也可以浏览议题和结果。")

with st.form("signin.form"):
    code = st.text_input("参与码", key="signin.code", max_chars=40, placeholder="XXXXX-XXXXX")
    submitted = st.form_submit_button("登录", type="primary", use_container_width=True)

if submitted:
    if signed := save(sign_in_with_code, code=code, throttle_key=throttle_key(),
                      client_address=client_address(), community_id=place.id if place else None):
        target = st.session_state.get(NEXT)
        sign_in(signed.value, next_path=f"/sign_in?next={target}" if target else "/sign_in")
        st.rerun()

st.caption("没有参与码？请带上户口本或居住证到居委会领取，或请楼组长代为转交。")
