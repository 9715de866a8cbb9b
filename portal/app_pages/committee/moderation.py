import streamlit as st

from portal.models import PhotoReview
from portal.services.participation import moderation
from portal.timefmt import format_datetime
from portal.ui.actions import read, save_and_flash
from portal.ui.attachments import photo_review_queue
from portal.ui.confirm import confirm_button
from portal.ui.resources import db_session
from portal.ui.widgets import (
    plain,
    require_committee,
    review_consultation_picker,
    show_flash,
)

actor = require_committee("moderate")
st.title("内容审核")
st.caption("居民举报的内容、系统自动标记的内容（含个人信息、疑似不文明用语）和重复刷屏。"
           "隐藏时请写明理由，作者会看到；所有操作记入审计日志。")

FLASH = "mod.flash"
show_flash(FLASH)

cid = review_consultation_picker("mod.consultation")
if cid is None:
    st.stop()


def act(message: str, fn, **kwargs) -> None:
    save_and_flash(FLASH, message, fn, actor=actor, **kwargs)


PHOTOS = {"待审照片": PhotoReview.PENDING, "已公开照片": PhotoReview.APPROVED, "未公开照片": PhotoReview.REJECTED}
view = st.segmented_control("显示", ["待处理", "已隐藏", *PHOTOS], default="待处理", key="mod.view") or "待处理"
if view in PHOTOS:  # residents' photos: public only once approved here
    photo_review_queue(actor, cid, flash_key=FLASH, review=PHOTOS[view])
    st.stop()
with db_session() as session:
    items = moderation.moderation_queue(session, actor=actor, consultation_id=cid, hidden=view == "已隐藏")

PAGE_SIZE = 30
if not items:
    st.info("没有待处理的内容。" if view == "待处理" else "没有被隐藏的内容。")
else:
    st.caption(f"共 {len(items)} 条" + (f"，先显示被举报最多、最新的 {PAGE_SIZE} 条；处理后其余会依次出现。"
                                        if len(items) > PAGE_SIZE else "。"))

for item in items[:PAGE_SIZE]:
    k = item.key
    with st.container(border=True):
        st.markdown(f"**{item.kind_label} #{item.target_id}**")
        st.caption(format_datetime(item.created_at))
        plain("⚑ " + "；".join(item.reasons))  # report reasons are residents' words: plain text
        plain(item.text_public)
        if item.text_original != item.text_public:
            with st.expander("原文（仅工作人员可见）", key=f"mod.original.{k}"):
                plain(item.text_original)
        if item.kind == "flood":
            st.caption(f"涉及意见：{'、'.join('#' + str(i) for i in item.member_ids)}")
            reason = st.text_input("隐藏理由", value="同一内容重复提交，只保留一条", key=f"mod.reason.{k}")
            a, b = st.columns(2)
            if confirm_button("隐藏重复的副本（保留第一条）", key=f"mod.flood_hide.{k}", container=a,
                              fingerprint=tuple(item.member_ids), confirm_label="确认隐藏",
                              plan=lambda ids=item.member_ids: read(
                                  moderation.plan_flood_hide, actor=actor, consultation_id=cid,
                                  opinion_ids=ids).value or ""):
                act(f"已隐藏 {len(item.member_ids) - 1} 条重复意见。", moderation.handle_flood,
                    consultation_id=cid, opinion_ids=item.member_ids, hide_copies=True, reason=reason)
            if b.button("全部保留（确属多位居民的共同诉求）", key=f"mod.flood_keep.{k}"):
                act("已保留这组意见。", moderation.handle_flood, consultation_id=cid,
                    opinion_ids=item.member_ids, hide_copies=False)
        elif view == "待处理":
            reason = st.text_input("隐藏理由（作者会看到）", key=f"mod.reason.{k}",
                                   placeholder="例如：含有人身攻击，违反议事规则")
            a, b = st.columns(2)
            if a.button("隐藏", key=f"mod.hide.{k}", type="primary"):
                act(f"已隐藏{item.kind_label} #{item.target_id}。", moderation.hide, target_type=item.kind,
                    target_id=item.target_id, reason=reason)
            if b.button("保留", key=f"mod.keep.{k}", help="检查过，内容没有问题：关闭举报和标记"):
                act(f"已保留{item.kind_label} #{item.target_id}。", moderation.keep, target_type=item.kind,
                    target_id=item.target_id, note=reason)
        else:
            plain(f"隐藏理由：{item.moderation_reason}")
            reason = st.text_input("恢复理由", key=f"mod.restore_reason.{k}", placeholder="例如：复核后确认内容正常")
            if confirm_button("恢复显示", key=f"mod.restore.{k}", confirm_label="确认恢复",
                              plan=lambda it=item: read(moderation.plan_restore, actor=actor,
                                                        target_type=it.kind, target_id=it.target_id).value or ""):
                act(f"已恢复{item.kind_label} #{item.target_id}。", moderation.restore, target_type=item.kind,
                    target_id=item.target_id, reason=reason)
