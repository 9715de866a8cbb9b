import pandas as pd
import streamlit as st

from portal.models import COMMUNITY_ROLES, Role
from portal.services.identity import (
    change_role,
    create_user,
    list_users,
    reset_password,
    set_user_active,
)
from portal.timefmt import format_datetime
from portal.ui.actions import save, save_and_flash
from portal.ui.resources import db_session
from portal.ui.widgets import flash_and_rerun, md, require_committee, show_flash

actor = require_committee("manage_users")
st.title("账号管理")
st.caption("管理员可以新建居委会账号、重设密码、停用或恢复账号、调整角色。停用和角色调整在对方下一次操作时立即生效。")

FLASH = "users.flash"
show_flash(FLASH)

with db_session() as session:
    users = list_users(session, actor=actor)

st.dataframe(
    pd.DataFrame([
        {
            "用户名": u.username,
            "姓名": u.display_name,
            "角色": Role(u.role).label,
            "状态": "启用" if u.active else "已停用",
            "锁定至": format_datetime(u.locked_until, empty=""),
            "最近登录": format_datetime(u.last_login_at, empty="从未登录"),
        }
        for u in users
    ]),
    hide_index=True,
    width="stretch",
)

ROLES = list(COMMUNITY_ROLES)  # a street admin is made with the CLI (decision 0025)

with st.expander("新建账号", expanded=False):
    with st.form("users.add"):
        username = st.text_input("用户名（字母、数字、下划线）", key="users.add.username", max_chars=50)
        display_name = st.text_input("姓名或称呼", key="users.add.name", max_chars=50)
        role = st.selectbox("角色", ROLES, format_func=lambda r: r.label, key="users.add.role", placeholder="请选择")
        password = st.text_input("初始密码（至少 8 位，含字母和数字）", type="password", key="users.add.pw")
        password2 = st.text_input("再输入一次", type="password", key="users.add.pw2")
        add = st.form_submit_button("创建账号", type="primary")
    if add:
        if password != password2:
            st.error("两次输入的密码不一致。")
        else:
            if save(create_user, actor=actor, username=username, password=password, role=role,
                    display_name=display_name.strip(), community_id=None):
                for k in ("users.add.username", "users.add.name", "users.add.pw", "users.add.pw2"):
                    st.session_state.pop(k, None)
                flash_and_rerun(FLASH, f"已创建账号 {md(username.strip())}（{role.label}）。")

st.subheader("修改账号", anchor=False)
by_id = {u.id: u for u in users}
chosen_id = st.selectbox(
    "选择账号", list(by_id),
    format_func=lambda i: f"{by_id[i].username}（{by_id[i].display_name}，{Role(by_id[i].role).label}"
    + ("，已停用" if not by_id[i].active else "") + "）",
    key="users.selected", placeholder="请选择"
)
chosen = by_id[chosen_id]

col_role, col_active = st.columns(2)
with col_role:
    new_role = st.selectbox("角色", ROLES, index=ROLES.index(Role(chosen.role)),
                            format_func=lambda r: r.label, key=f"users.role.{chosen_id}", placeholder="请选择")
    if st.button("保存角色", key="users.role.save", disabled=new_role == chosen.role):
        save_and_flash(FLASH, f"{md(chosen.username)} 的角色已改为{new_role.label}。",
                       change_role, actor=actor, user_id=chosen_id, role=new_role)
with col_active:
    st.write("账号状态：" + ("启用" if chosen.active else "已停用"))
    label = "停用账号" if chosen.active else "恢复账号"
    if st.button(label, key="users.toggle"):
        save_and_flash(FLASH, f"已{label.removesuffix('账号')} {md(chosen.username)}。",
                       set_user_active, actor=actor, user_id=chosen_id, active=not chosen.active)

with st.form("users.reset"):
    st.write(md(f"重设 {chosen.username} 的密码（同时解除锁定）"))
    new_pw = st.text_input("新密码", type="password", key="users.reset.pw")
    new_pw2 = st.text_input("再输入一次", type="password", key="users.reset.pw2")
    do_reset = st.form_submit_button("重设密码")
if do_reset:
    if new_pw != new_pw2:
        st.error("两次输入的密码不一致。")
    else:
        save_and_flash(FLASH, f"已重设 {md(chosen.username)} 的密码，请当面告知本人。",
                       reset_password, actor=actor, username=chosen.username, password=new_pw)
