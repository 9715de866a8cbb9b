"""Residents' photos on an opinion (a broken light, a leak): up to ``MAX_PHOTOS`` per opinion,
checked and re-encoded without metadata, public only once staff approved them.

Photos are stored with their opinion by ``participation.opinions.new_opinion`` (the one way an
opinion is made); ``check_photos`` runs before the opinion row is written, so a bad photo
refuses the whole submission and nothing is half stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from portal.models import Opinion, OpinionPhoto, PhotoReview, StoredFile, utcnow
from portal.services import audit, tenancy
from portal.services.actors import Actor, CommitteeActor, require
from portal.services.documents.checks import CheckedFile, Upload, check_upload
from portal.services.documents.storage import insert_or_skip, store_file
from portal.services.errors import InvalidInput, NotFound
from portal.services.queries import public_photos_of

MAX_PHOTOS = 3
REASON_MAX = 200
DEFAULT_REJECT_REASON = "照片中含有人脸、车牌或门牌等个人信息，未予公开"


def check_photos(photos: Sequence[Upload | CheckedFile] | None) -> list[CheckedFile]:
    """Check and re-encode the photos of one opinion; the same photo chosen twice counts once."""
    items = [p for p in (photos or []) if p is not None]
    if len(items) > MAX_PHOTOS:
        raise InvalidInput(f"每条意见最多附 {MAX_PHOTOS} 张照片，您选了 {len(items)} 张，"
                           f"请去掉 {len(items) - MAX_PHOTOS} 张后再提交。")
    checked = [p if isinstance(p, CheckedFile) else check_upload(p, images_only=True) for p in items]
    return list({c.sha256: c for c in checked}.values())


def attach_photos(session: Session, *, opinion: Opinion, photos: Sequence[CheckedFile]) -> int:
    """Store checked photos with a new opinion (the caller commits); returns how many."""
    n = 0
    for position, photo in enumerate(photos):
        stored = store_file(session, photo)
        row = OpinionPhoto(opinion_id=int(opinion.id or 0), file_id=int(stored.id or 0), position=position)
        n += insert_or_skip(session, row, ["opinion_id", "file_id"])
    return n


@dataclass(frozen=True)
class PhotoItem:
    """A photo as staff or the public see it listed."""

    id: int
    opinion_id: int
    opinion_text: str  # the opinion's public text
    review: PhotoReview
    review_reason: str
    width: int | None
    height: int | None
    created_at: datetime


def _items(session: Session, *where: Any, order: Sequence[Any]) -> list[PhotoItem]:
    rows = session.exec(
        select(OpinionPhoto, Opinion.text_public, StoredFile.width, StoredFile.height)
        .join(Opinion, col(Opinion.id) == OpinionPhoto.opinion_id)
        .join(StoredFile, col(StoredFile.id) == OpinionPhoto.file_id)
        .where(*where).order_by(*order)).all()
    return [PhotoItem(int(p.id or 0), p.opinion_id, text, PhotoReview(p.review), p.review_reason, w, h, p.created_at)
            for p, text, w, h in rows]


def photo_queue(session: Session, *, actor: Actor, consultation_id: int,
                review: PhotoReview = PhotoReview.PENDING) -> list[PhotoItem]:
    """Photos of the consultation's opinions in one review state, oldest first (for 内容审核)."""
    require(actor, "moderate")
    tenancy.consultation_for(session, actor, consultation_id, write=False)
    return _items(session, Opinion.consultation_id == consultation_id, OpinionPhoto.review == review,
                  order=[col(OpinionPhoto.created_at), col(OpinionPhoto.id)])


def review_photo(session: Session, *, actor: Actor, photo_id: int, approve: bool, reason: str = "") -> None:
    """Approve a photo for the public, or keep it private with a reason the author sees."""
    require(actor, "moderate")
    photo = session.get(OpinionPhoto, photo_id)
    if photo is None:
        raise NotFound("找不到这张照片。")
    tenancy.opinion_for(session, actor, photo.opinion_id)
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"理由太长了：最多 {REASON_MAX} 个字，现在有 {len(reason)} 个字。")
    new = PhotoReview.APPROVED if approve else PhotoReview.REJECTED
    if photo.review == new:
        raise InvalidInput(f"这张照片已经是“{new.label}”状态了。")
    photo.review = new
    photo.review_reason = "" if approve else (reason or DEFAULT_REJECT_REASON)
    photo.reviewed_by = actor.user_id if isinstance(actor, CommitteeActor) else None
    photo.reviewed_at = utcnow()
    session.add(photo)
    audit.record(session, actor=actor.audit_name, action="photo.approve" if approve else "photo.reject",
                 target_type="opinion", target_id=photo.opinion_id,
                 detail={"photo_id": photo.id, "reason": photo.review_reason})


def public_photos(session: Session, *, consultation_id: int) -> list[PhotoItem]:
    """Approved photos on the consultation's visible opinions, by opinion."""
    return _items(session, public_photos_of(consultation_id),
                  order=[col(OpinionPhoto.opinion_id), col(OpinionPhoto.position)])


def count_public_photos(session: Session, *, consultation_id: int) -> int:
    return int(session.exec(
        select(func.count()).select_from(OpinionPhoto).join(Opinion, col(Opinion.id) == OpinionPhoto.opinion_id)
        .where(public_photos_of(consultation_id))).one())


def photos_by_opinion(session: Session, opinion_ids: Sequence[int]) -> dict[int, list[OpinionPhoto]]:
    """Every photo of these opinions, whatever its state (the author's 我的参与, staff views)."""
    out: defaultdict[int, list[OpinionPhoto]] = defaultdict(list)
    if opinion_ids:
        for p in session.exec(select(OpinionPhoto).where(col(OpinionPhoto.opinion_id).in_(list(opinion_ids)))
                              .order_by(col(OpinionPhoto.position))):
            out[p.opinion_id].append(p)
    return dict(out)
