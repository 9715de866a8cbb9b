"""Documents behind a decision and residents' photos (issue 14, docs/decisions/0023).

``checks`` decides whether an uploaded file may be stored (and re-encodes images), ``storage``
keeps the bytes (database or S3-compatible store), ``background`` holds the consultation's
documents and downloads, ``photos`` the residents' photos and their review.
"""

from portal.services.documents.background import (
    MAX_DOCUMENTS,
    AttachResult,
    DocumentView,
    FileDownload,
    attach_document,
    list_documents,
    open_attachment,
    remove_document,
)
from portal.services.documents.checks import (
    MAX_PIXELS,
    MAX_SIDE,
    CheckedFile,
    Upload,
    check_upload,
)
from portal.services.documents.photos import (
    MAX_PHOTOS,
    PhotoItem,
    check_photos,
    count_public_photos,
    photo_queue,
    photos_by_opinion,
    public_photos,
    review_photo,
)
from portal.services.documents.storage import StorageUnavailable

__all__ = [
    "MAX_DOCUMENTS",
    "MAX_PHOTOS",
    "MAX_PIXELS",
    "MAX_SIDE",
    "AttachResult",
    "CheckedFile",
    "DocumentView",
    "FileDownload",
    "PhotoItem",
    "StorageUnavailable",
    "Upload",
    "attach_document",
    "check_photos",
    "check_upload",
    "count_public_photos",
    "list_documents",
    "open_attachment",
    "photo_queue",
    "photos_by_opinion",
    "public_photos",
    "remove_document",
    "review_photo",
]
