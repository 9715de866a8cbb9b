"""Widgets for documents and photos: the lists residents see, the photo uploader of 提意见, the
committee's document manager and the photo review queue. Every file is read and every change
made through ``portal.services.documents``; downloads are served by Streamlit itself."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from portal.models import DOCUMENT_KIND_LABELS, Consultation, DocumentKind, PhotoReview
from portal.services.actors import Actor, CommitteeActor
from portal.services.documents import (
    MAX_PHOTOS,
    DocumentView,
    Upload,
    attach_document,
    list_documents,
    open_attachment,
    photo_queue,
    public_photos,
    remove_document,
    review_photo,
)
from portal.services.documents.background import plan_remove_document
from portal.services.errors import ServiceError
from portal.timefmt import format_datetime
from portal.ui import public_cache
from portal.ui.actions import read, save, save_and_flash
from portal.ui.confirm import confirm_button
from portal.ui.resources import db_session, settings
from portal.ui.widgets import file_upload, md, plain

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp"]
DOCUMENT_TYPES = ["pdf", *IMAGE_TYPES]


def uploads(files) -> list[Upload]:  # type: ignore[no-untyped-def]
    """Streamlit's uploaded files as the services take them."""
    if files is None:
        return []
    files = files if isinstance(files, list) else [files]
    return [Upload(f.name, f.getvalue()) for f in files]


def _file_reader(actor: Actor | None, **which: int) -> Callable[[], bytes]:
    """Read a file only when its download button is pressed."""
    def data() -> bytes:
        try:
            with db_session() as session:
                return open_attachment(session, actor=actor, **which).data
        except ServiceError:
            return b""
    return data


def photo_uploader(key: str) -> list[Upload]:
    """The optional photos of an opinion (inside the 提意见 form)."""
    files = file_upload(
        f"照片（可选，最多 {MAX_PHOTOS} 张）", list(IMAGE_TYPES), accept_multiple_files=True, key=key,
        limit_mb=settings().upload_max_mb,
        help="例如坏掉的路灯、漏水的位置。照片会去掉拍摄地点等信息，经居委会审核后才会公开；"
             "请不要拍到他人的脸和车牌。")
    return uploads(files)


def documents_list(consultation_id: int, actor: Actor | None, *, heading: str = "议题资料",
                   snapshot: str | None = None) -> None:
    """The consultation's documents with a download button each (nothing when there are none).
    With the change marker ``snapshot`` what the public sees is read from the page cache."""
    if snapshot is not None and not isinstance(actor, CommitteeActor):
        found = read(lambda _session: _public_documents(consultation_id, public_cache.keyed(snapshot)),
                     show="caption")
    else:
        found = read(list_documents, consultation_id=consultation_id, actor=actor, show="caption")
    if not found or not found.value:
        return
    st.subheader(heading, anchor=False)
    for doc in found.value:
        with st.container(border=True):
            st.markdown(f"**{md(doc.title)}**  \n{doc.kind_label} · {'图片' if doc.is_image else 'PDF'} · {doc.size_label}")
            st.download_button("下载", _file_reader(actor, document_id=doc.id), file_name=doc.filename,
                               mime=doc.media_type, key=f"doc.download.{doc.id}", icon=":material/download:",
                               on_click="ignore")


@st.cache_data(show_spinner=False, ttl=public_cache.TTL, max_entries=64)
def _public_documents(consultation_id: int, marker: str) -> list[DocumentView]:
    with db_session() as session:
        return list_documents(session, consultation_id=consultation_id, actor=None)


@st.cache_data(show_spinner=False, ttl=public_cache.TTL, max_entries=64)
def _public_photo_ids(consultation_id: int, marker: str) -> list[tuple[int, int | None]]:
    with db_session() as session:
        return [(p.id, p.opinion_id) for p in public_photos(session, consultation_id=consultation_id)]


@st.cache_data(show_spinner=False, ttl=public_cache.TTL, max_entries=256)
def _public_photo(photo_id: int, database_url: str) -> bytes:
    # a stored photo never changes: keyed by the database and its id, not the marker, so a new
    # vote (a new marker) does not read every photo again; which photos are shown comes from
    # the marker-keyed list above
    with db_session() as session:
        return open_attachment(session, actor=None, photo_id=photo_id).data


def approved_photos(consultation_id: int, snapshot: str, *, opinion_id: int | None = None) -> None:
    """Approved photos of a consultation (or of one opinion), shown as images; read from the
    page cache keyed on the change marker ``snapshot`` (approving or hiding one is audited)."""
    key = public_cache.keyed(snapshot)
    items = [pid for pid, oid in _public_photo_ids(consultation_id, key) if opinion_id is None or oid == opinion_id]
    if not items:
        return
    shown = [_public_photo(pid, settings().database_url) for pid in items[:12]]
    if opinion_id is None:
        st.caption(f"居民随意见上传的照片（经居委会审核后公开）共 {len(items)} 张")
    cols = st.columns(3)
    for i, data in enumerate(shown):
        cols[i % 3].image(data, width="stretch")


def document_manager(actor: Actor, consultation: Consultation, *, flash_key: str) -> None:
    """Attach documents to a consultation and take them off again (议题管理)."""
    st.subheader("议题资料", anchor=False)
    st.caption("方案图纸、会议纪要、费用测算等，PDF 或图片。议题发布后居民和公众都能查看和下载。")
    cid = int(consultation.id or 0)
    k = f"docs.{cid}"
    with st.form(f"{k}.form", clear_on_submit=False):
        file = file_upload("选择文件", list(DOCUMENT_TYPES), key=f"{k}.file", limit_mb=settings().upload_max_mb)
        a, b = st.columns([2, 1])
        title = a.text_input("标题（不填则用文件名）", max_chars=100, key=f"{k}.title")
        kind = b.selectbox("类别", list(DocumentKind), format_func=DOCUMENT_KIND_LABELS.__getitem__, key=f"{k}.kind", placeholder="请选择")
        sent = st.form_submit_button("上传资料", type="primary")
    if sent:
        if file is None:
            st.error("请先选择要上传的文件。")
        else:
            done = save(attach_document, actor=actor, consultation_id=cid, upload=uploads(file)[0], title=title,
                        kind=kind)
            if done:
                doc = done.value.document
                message = (f"已上传“{md(doc.title)}”。" if done.value.created
                           else f"这份文件之前已经上传过（“{md(doc.title)}”），没有重复保存。")
                st.session_state[flash_key] = message
                st.rerun()
    found = read(list_documents, consultation_id=cid, actor=actor)
    for doc in found.value if found else []:
        c1, c2, c3 = st.columns([4, 1, 1])
        c1.markdown(f"**{md(doc.title)}** · {doc.kind_label} · {doc.size_label} · {format_datetime(doc.created_at)}")
        c2.download_button("下载", _file_reader(actor, document_id=doc.id), file_name=doc.filename,
                           mime=doc.media_type, key=f"{k}.download.{doc.id}", on_click="ignore")
        if confirm_button("删除", key=f"{k}.remove.{doc.id}", container=c3, confirm_label="确认删除",
                          plan=lambda d=doc.id: read(plan_remove_document, actor=actor, document_id=d).value or ""):
            save_and_flash(flash_key, f"已删除“{md(doc.title)}”。", remove_document, actor=actor, document_id=doc.id)


def photo_review_queue(actor: Actor, consultation_id: int, *, flash_key: str, review: PhotoReview) -> None:
    """Photos waiting for review (or already judged), each with approve / keep private."""
    with db_session() as session:
        items = photo_queue(session, actor=actor, consultation_id=consultation_id, review=review)
        images = {p.id: open_attachment(session, actor=actor, photo_id=p.id).data for p in items[:20]}
    if not items:
        st.info({PhotoReview.PENDING: "没有待审核的照片。", PhotoReview.APPROVED: "还没有公开的照片。",
                 PhotoReview.REJECTED: "没有未通过的照片。"}[review])
        return
    st.caption(f"共 {len(items)} 张" + ("，先显示最早的 20 张。" if len(items) > 20 else "。")
               + "公开前请确认照片里没有能认出的人脸、车牌、门牌或证件。")
    for p in items[:20]:
        with st.container(border=True):
            st.markdown(f"**照片 #{p.id}** · 意见 #{p.opinion_id} · {format_datetime(p.created_at)}")
            plain(p.opinion_text)
            st.image(images[p.id], width=480)
            if p.review_reason:
                plain(f"未公开理由：{p.review_reason}")
            reason = st.text_input("不公开的理由（作者会看到）", key=f"photo.reason.{p.id}",
                                   placeholder="例如：照片里能看清邻居的车牌")
            a, b = st.columns(2)
            if review != PhotoReview.APPROVED and a.button("公开", key=f"photo.approve.{p.id}", type="primary"):
                save_and_flash(flash_key, f"照片 #{p.id} 已公开。", review_photo, actor=actor, photo_id=p.id,
                               approve=True)
            if review != PhotoReview.REJECTED and b.button("不公开", key=f"photo.reject.{p.id}"):
                save_and_flash(flash_key, f"照片 #{p.id} 不予公开。", review_photo, actor=actor, photo_id=p.id,
                               approve=False, reason=reason)
