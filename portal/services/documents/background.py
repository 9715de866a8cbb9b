"""Documents behind a consultation: staff attach 方案图纸, 会议纪要, 费用测算 (PDF or images);
residents and the public read them once the consultation is public; anyone may download one
that is public (``open_attachment``), staff any, a resident their own photos."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from portal.models import (
    Consultation,
    ConsultationDocument,
    DocumentKind,
    Opinion,
    OpinionPhoto,
    StoredFile,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, CommitteeActor, ResidentActor, has_permission, require
from portal.services.documents.checks import Upload, check_upload
from portal.services.documents.storage import file_bytes, insert_or_skip, store_file
from portal.services.errors import InvalidInput, NotFound
from portal.services.queries import attachment_is_public

TITLE_MAX = 100
MAX_DOCUMENTS = 30


@dataclass(frozen=True)
class DocumentView:
    id: int
    title: str
    kind: DocumentKind
    filename: str
    media_type: str
    size: int
    created_at: datetime

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def size_label(self) -> str:
        return f"{self.size / 1024:.0f} KB" if self.size < 1024 * 1024 else f"{self.size / 1024 / 1024:.1f} MB"


@dataclass(frozen=True)
class AttachResult:
    document: DocumentView
    created: bool  # False: the same file was already attached to this consultation


@dataclass(frozen=True)
class FileDownload:
    data: bytes
    media_type: str
    filename: str


def _clean_title(title: str | None) -> str:
    text = unicodedata.normalize("NFC", title or "")
    text = re.sub(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    return " ".join(text.split())


def _consultation(session: Session, consultation_id: int) -> Consultation:
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    return c


def _staff_of(actor: Actor | None, c: Consultation) -> bool:
    """Staff of the consultation's community (they see what is not public yet)."""
    return has_permission(actor, "view_committee") and tenancy.can_reach(actor, c.community_id, write=False)


def _view(doc: ConsultationDocument, stored: StoredFile) -> DocumentView:
    return DocumentView(int(doc.id or 0), doc.title, DocumentKind(doc.kind), doc.filename, stored.media_type,
                        stored.size, doc.created_at)


def attach_document(
    session: Session, *, actor: Actor, consultation_id: int, upload: Upload, title: str = "",
    kind: DocumentKind | str = DocumentKind.OTHER,
) -> AttachResult:
    """Check ``upload`` and attach it to the consultation (the caller commits).

    The same file attached twice to one consultation is kept once (``created=False``), even when
    both uploads arrive at the same moment.
    """
    require(actor, "manage_consultation")
    c = tenancy.consultation_for(session, actor, consultation_id)
    try:
        kind = DocumentKind(kind)
    except ValueError:
        raise InvalidInput("请选择资料类别：方案图纸、会议纪要、费用测算或其他。") from None
    title = _clean_title(title)
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"资料标题太长了：最多 {TITLE_MAX} 个字，现在有 {len(title)} 个字。")
    checked = check_upload(upload)
    title = title or checked.filename.rsplit(".", 1)[0]
    stored = store_file(session, checked)
    earlier = session.exec(select(ConsultationDocument).where(
        ConsultationDocument.consultation_id == c.id, ConsultationDocument.file_id == stored.id)).first()
    if earlier is None:
        n = len(session.exec(select(ConsultationDocument.id).where(
            ConsultationDocument.consultation_id == c.id)).all())
        if n >= MAX_DOCUMENTS:
            raise InvalidInput(f"这个议题已有 {n} 份资料，最多 {MAX_DOCUMENTS} 份。请先删除不再需要的资料。")
    row = ConsultationDocument(consultation_id=int(c.id or 0), file_id=int(stored.id or 0), kind=kind,
                               title=title, filename=checked.filename,
                               uploaded_by=actor.user_id if isinstance(actor, CommitteeActor) else None)
    created = earlier is None and insert_or_skip(session, row, ["consultation_id", "file_id"])
    doc = session.exec(select(ConsultationDocument).where(
        ConsultationDocument.consultation_id == c.id, ConsultationDocument.file_id == stored.id)).one()
    if created:
        audit.record(session, actor=actor.audit_name, action="document.attach", target_type="consultation",
                     target_id=c.id, detail={"document_id": doc.id, "title": doc.title, "kind": str(kind),
                                             "sha256": stored.sha256, "size": stored.size})
    return AttachResult(_view(doc, stored), created)


def plan_remove_document(session: Session, *, actor: Actor, document_id: int) -> str:
    """Dry run of ``remove_document``: the confirmation sentence."""
    require(actor, "manage_consultation")
    doc = session.get(ConsultationDocument, document_id)
    if doc is None:
        raise NotFound("找不到这份资料，可能已被删除。")
    tenancy.consultation_for(session, actor, doc.consultation_id)
    return (f"将删除资料“{doc.title}”：居民和公众将不再看到它。此操作不能撤销，"
            "如需恢复请重新上传。")


def remove_document(session: Session, *, actor: Actor, document_id: int) -> None:
    """Take a document off its consultation (the stored bytes stay for other attachments)."""
    require(actor, "manage_consultation")
    doc = session.get(ConsultationDocument, document_id)
    if doc is None:
        raise NotFound("找不到这份资料，可能已被删除。")
    tenancy.consultation_for(session, actor, doc.consultation_id)
    audit.record(session, actor=actor.audit_name, action="document.remove", target_type="consultation",
                 target_id=doc.consultation_id, detail={"document_id": doc.id, "title": doc.title})
    session.delete(doc)


def list_documents(session: Session, *, consultation_id: int, actor: Actor | None = None) -> list[DocumentView]:
    """The consultation's documents, oldest first: all of them for staff, the public ones for
    everybody else (none while the consultation is a draft)."""
    c = _consultation(session, consultation_id)
    rows = session.exec(
        select(ConsultationDocument, StoredFile).join(StoredFile, col(StoredFile.id) == ConsultationDocument.file_id)
        .where(ConsultationDocument.consultation_id == consultation_id)
        .order_by(col(ConsultationDocument.created_at), col(ConsultationDocument.id))
    ).all()
    staff = _staff_of(actor, c)
    return [_view(doc, stored) for doc, stored in rows
            if staff or attachment_is_public(doc, consultation=c)]


def open_attachment(
    session: Session, *, actor: Actor | None, document_id: int | None = None, photo_id: int | None = None,
) -> FileDownload:
    """The bytes of a document or photo, for whoever may see it; NotFound for everybody else."""
    missing = NotFound("找不到这个附件，或它还没有公开。")
    if document_id is not None:
        doc = session.get(ConsultationDocument, document_id)
        if doc is None:
            raise missing
        c = _consultation(session, doc.consultation_id)
        allowed = _staff_of(actor, c) or attachment_is_public(doc, consultation=c)
        file_id, filename = doc.file_id, doc.filename
    elif photo_id is not None:
        photo = session.get(OpinionPhoto, photo_id)
        if photo is None:
            raise missing
        op = session.get(Opinion, photo.opinion_id)
        if op is None:
            raise missing
        c = _consultation(session, op.consultation_id)
        own = isinstance(actor, ResidentActor) and op.resident_id == actor.resident_id
        allowed = _staff_of(actor, c) or own or attachment_is_public(photo, consultation=c, opinion=op)
        file_id, filename = photo.file_id, f"意见{photo.opinion_id}-照片{photo.position + 1}"
    else:
        raise missing
    stored = session.get(StoredFile, file_id)
    if not allowed or stored is None:
        raise missing
    if photo_id is not None:
        filename += {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(stored.media_type, "")
    return FileDownload(file_bytes(stored), stored.media_type, filename)
