"""Documents and photos in an S3-compatible store (PORTAL_S3_URL): moto's server on 127.0.0.1
speaks the real S3 HTTP protocol, and boto3 talks to it exactly as it would to OSS, COS or MinIO."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from portal.models import ConsultationDocument, Opinion, OpinionPhoto, StoredFile
from portal.services.documents import (
    StorageUnavailable,
    Upload,
    attach_document,
    open_attachment,
    review_photo,
)
from portal.services.documents.storage import object_key
from portal.services.participation import submit_opinion
from portal.settings import get_settings
from tests import files
from tests.ops_support import build_hood
from tests.portal.s3_support import BUCKET, moto_store
from tests.portal.test_documents import LAMP, _me

pytest.importorskip("moto.server", reason="moto[server] (test extra) is not installed")
pytest.importorskip("boto3", reason="boto3 (extra s3) is not installed")


@pytest.fixture
def s3(settings, monkeypatch):
    """A running S3 endpoint with an empty bucket; the portal's settings point at it."""
    yield from moto_store(monkeypatch)


@pytest.fixture
def hood(session):
    return build_hood(session)


def test_files_go_to_the_bucket_and_come_back(session, hood, s3):
    _, client = s3
    doc = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                          upload=Upload("楼道改造方案.pdf", files.pdf(pages=2)), title="楼道改造方案", kind="plan")
    result = submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                            photos=[Upload("路灯.jpg", files.photo())])
    session.commit()
    stored = session.exec(select(StoredFile)).all()
    assert len(stored) == 2 and all(f.storage == "s3" and f.data is None for f in stored)
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(object_key(f.sha256) for f in stored)

    assert open_attachment(session, actor=None, document_id=doc.document.id).data == files.pdf(pages=2)
    photo = session.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == result.opinion.id)).one()
    review_photo(session, actor=hood.reviewer, photo_id=photo.id, approve=True)
    session.commit()
    from_bucket = open_attachment(session, actor=None, photo_id=photo.id).data
    assert from_bucket[:3] == b"\xff\xd8\xff" and b"Exif" not in from_bucket  # re-encoded before upload


def test_the_same_file_twice_is_one_object(session, hood, s3):
    _, client = s3
    for _ in range(2):
        attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                        upload=Upload("纪要.pdf", files.pdf()), title="纪要", kind="minutes")
        session.commit()
    assert client.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1
    assert session.exec(select(func.count()).select_from(ConsultationDocument)).one() == 1


def test_a_store_that_is_down_refuses_in_chinese_and_nothing_is_written(session, hood, s3):
    server, _ = s3
    attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                    upload=Upload("方案.pdf", files.pdf()), title="方案", kind="plan")
    session.commit()
    server.stop()
    with pytest.raises(StorageUnavailable, match="文件存储暂时无法访问，附件没有保存"):
        submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                       photos=[Upload("路灯.jpg", files.photo())])
    session.rollback()
    assert session.exec(select(func.count()).select_from(Opinion)).one() == 0
    doc = session.exec(select(ConsultationDocument)).one()
    with pytest.raises(StorageUnavailable, match="附件无法打开"):
        open_attachment(session, actor=None, document_id=doc.id)


def test_files_stored_in_the_database_before_s3_was_configured_still_open(session, hood, s3, monkeypatch):
    url = get_settings().s3_url
    monkeypatch.delenv("PORTAL_S3_URL")
    get_settings.cache_clear()
    earlier = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                              upload=Upload("旧方案.pdf", files.pdf(pages=3)), title="旧方案", kind="plan")
    session.commit()
    monkeypatch.setenv("PORTAL_S3_URL", url)
    get_settings.cache_clear()
    later = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                            upload=Upload("新方案.pdf", files.pdf(pages=4)), title="新方案", kind="plan")
    session.commit()
    assert sorted(f.storage for f in session.exec(select(StoredFile))) == ["db", "s3"]
    assert open_attachment(session, actor=None, document_id=earlier.document.id).data == files.pdf(pages=3)
    assert open_attachment(session, actor=None, document_id=later.document.id).data == files.pdf(pages=4)
