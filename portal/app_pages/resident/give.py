import secrets

import streamlit as st

from portal.services.participation import (
    open_consultations,
    preview_opinion,
    submit_opinion,
    support_opinion,
)
from portal.ui.actions import read, save
from portal.ui.attachments import photo_uploader
from portal.ui.resources import db_session, settings, warm_up_similarity
from portal.ui.session import current_resident
from portal.ui.widgets import md, plain

TEXT, ANON, TOKEN, PREVIEW, DONE = "give.text", "give.anonymous", "give.token", "give.preview", "give.done"

resident = current_resident()
if resident is None:
    st.warning("请先用参与码登录。")
    st.stop()

st.title("提意见")
warm_up_similarity()  # while the resident types
with db_session() as session:
    open_now = open_consultations(session, actor=resident, purpose="submit")
if not open_now:
    st.info("目前没有正在征集意见的议题。您可以去“表态投票”看看大家的意见，或在“我的参与”查看进展。")
    st.stop()

if st.session_state.pop("give.clear", False):  # after a success: an empty box for the next one
    st.session_state[TEXT] = ""  # set, not deleted, so the browser's box is emptied too
    st.session_state.pop(PREVIEW, None)
if done := st.session_state.pop(DONE, None):
    st.success(md(done[0]))
    for line in done[1:]:
        st.info(md(line))

ids = [c.id for c in open_now]
wanted = st.query_params.get("id", "")
start = ids.index(int(wanted)) if wanted.isdigit() and int(wanted) in ids else 0
chosen = st.selectbox("议题", ids, index=start, key="give.consultation",
                      format_func=lambda i: next(c.title for c in open_now if c.id == i), placeholder="请选择")
consultation = next(c for c in open_now if c.id == chosen)
st.caption("居委会的问题")
plain(consultation.question)

s = settings()
if TOKEN not in st.session_state:
    st.session_state[TOKEN] = secrets.token_urlsafe(16)
saved = st.session_state.get(PREVIEW)
previewed = bool(saved and saved[0] == chosen)

# Text, anonymity and both buttons sit in one form, so 确认提交 always sends what is in the box.
with st.form("give.form", border=False):
    text = st.text_area(
        "您的意见", key=TEXT, height=160,
        placeholder="例如：建议在3号楼旁边的空地装几个电动车充电桩，晚上充电排队太久。",
    )
    st.caption(f"请写 {s.opinion_min_chars}–{s.opinion_max_chars} 个字。不必写姓名、电话、门牌号等个人信息。")
    anonymous = st.checkbox("匿名显示（公开时不显示我的楼栋）", key=ANON)
    photos = photo_uploader(f"give.photos.{st.session_state.get('give.uploads', 0)}")  # new key: emptied
    preview_box = st.container()
    if previewed:
        confirm = st.form_submit_button("确认提交", type="primary", use_container_width=True)
        check = st.form_submit_button("修改后重新预览", use_container_width=True)
    else:
        confirm = False
        check = st.form_submit_button("下一步：预览", type="primary", use_container_width=True)

if confirm and saved and saved[1] != text:
    st.warning("您修改了内容，请看一下新的预览，再点“确认提交”。")
    check, confirm = True, False

if check:
    with st.spinner("正在检查内容、查找类似意见……"):
        checked = read(preview_opinion, actor=resident, consultation_id=chosen, text=text, photos=photos)
    if not checked:
        st.session_state.pop(PREVIEW, None)
    else:
        st.session_state[PREVIEW] = (chosen, text, checked.value)
        if not previewed:
            st.rerun()  # show the form again with 确认提交

if confirm:
    submitted = save(submit_opinion, actor=resident, consultation_id=chosen, text=text, anonymous=anonymous,
                     client_token=st.session_state[TOKEN], photos=photos)
    if submitted:
        result = submitted.value
        notes = []
        if result.redacted:
            notes.append(f"公开显示时已隐去您填写的{'、'.join(result.pii_labels)}。")
        if photos:
            notes.append(f"附上的 {len(photos)} 张照片已去掉拍摄地点等信息，居委会审核后才会公开。")
        notes.append("您可以在“我的参与”查看这条意见的处理进展。")
        st.session_state[DONE] = ["意见已提交，谢谢您！", *notes]
        st.session_state["give.clear"] = True
        st.session_state["give.uploads"] = st.session_state.get("give.uploads", 0) + 1
        st.session_state.pop(TOKEN, None)
        st.rerun()

saved = st.session_state.get(PREVIEW)
if saved and saved[0] == chosen and saved[1] == text:
    preview = saved[2]
    with preview_box, st.container(border=True):
        if preview.redacted:
            st.warning(f"您的意见里有{'、'.join(preview.pii_labels)}。为保护隐私，公开时会隐去，"
                       "大家看到的是下面这段文字（居委会仍能看到原文）：")
        else:
            st.caption("公开后大家看到的内容：")
        plain(preview.text_public)
    if preview.n_similar:
        # Said above 确认提交 (inside the form), so nobody submits a duplicate before seeing it;
        # the opinions and their 支持 buttons follow the form (a form cannot hold buttons).
        with preview_box:
            st.info(f"类似意见已有 {preview.n_similar} 条（列在下方）。如果其中一条说出了您的想法，"
                    "可以直接支持它，不必重复提交。", icon=":material/content_copy:")
        st.markdown("**已有的类似意见**")
        for item in preview.similar:
            with st.container(border=True):
                plain(item.text)
                st.caption(f"已有 {item.agree} 人同意")
                if st.button("支持这条，不再另提", key=f"give.support.{item.opinion_id}",
                             use_container_width=True):
                    if save(support_opinion, actor=resident, opinion_id=item.opinion_id):
                        st.session_state[DONE] = ["已为这条意见投了同意票，谢谢您的参与！"]
                        st.session_state["give.clear"] = True
                        st.rerun()
elif not previewed:
    st.caption("点“下一步：预览”，看看公开后的样子和已有的类似意见，再确认提交。")
