"""`consult files prune`: stored files nothing refers to any more are removed once older than the
grace period, in the database and in an S3-compatible store; what is still shown stays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from portal.cli import app
from portal.models import AuditEvent, ConsultationDocument, OpinionPhoto, StoredFile, utcnow
from portal.services.actors import SystemActor
from portal.services.documents import (
    Upload,
    attach_document,
    open_attachment,
    remove_document,
    review_photo,
)
from portal.services.documents.prune import delete_objects, prune_files
from portal.services.documents.storage import object_key
from portal.services.participation import submit_opinion
from tests import files
from tests.ops_support import build_hood
from tests.portal.s3_support import BUCKET, moto_store
from tests.portal.test_documents import LAMP, _me

SYSTEM = SystemActor("test")


@pytest.fixture
def hood(session):
    return build_hood(session)


@pytest.fixture
def s3(settings, monkeypatch):
    yield from moto_store(monkeypatch)


def _attic(session: Session, hood):
    """A kept document, a removed one, a rejected photo (still its author's) and a removed
    document uploaded just now; all but the last stored three days ago."""
    kept = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                           upload=Upload("加装电梯方案.pdf", files.pdf(pages=2)), title="加装电梯方案", kind="plan")
    gone = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                           upload=Upload("旧会议纪要.pdf", files.pdf(pages=5)), title="旧会议纪要", kind="minutes")
    opinion = submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                             photos=[Upload("路灯.jpg", files.photo())]).opinion
    photo = session.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == opinion.id)).one()
    review_photo(session, actor=hood.reviewer, photo_id=photo.id, approve=False)
    ids = Attic(kept.document.id, _file_of(session, kept), _file_of(session, gone), photo.file_id, 0)
    remove_document(session, actor=hood.admin, document_id=gone.document.id)
    for f in session.exec(select(StoredFile)):
        f.created_at = utcnow() - timedelta(days=3)
        session.add(f)
    fresh = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                            upload=Upload("费用测算.pdf", files.pdf(pages=3)), title="费用测算", kind="costs")
    ids.fresh_file = _file_of(session, fresh)
    remove_document(session, actor=hood.admin, document_id=fresh.document.id)
    session.commit()
    return ids


@dataclass
class Attic:
    kept_document: int
    kept_file: int
    gone_file: int
    photo_file: int
    fresh_file: int


def _file_of(session: Session, attached) -> int:
    return session.get(ConsultationDocument, attached.document.id).file_id


def _stored(session: Session) -> set[int]:
    session.expire_all()
    return set(session.exec(select(StoredFile.id)))


def test_prune_removes_what_nothing_shows_after_a_dry_run_that_removes_nothing(session, hood):
    a = _attic(session, hood)
    before = _stored(session)
    size = session.get(StoredFile, a.gone_file).size

    dry = CliRunner().invoke(app, ["files", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "试运行：将删除 1 个文件" in dry.output and "没有删除任何文件" in dry.output
    assert _stored(session) == before

    run = CliRunner().invoke(app, ["files", "prune"])
    assert run.exit_code == 0, run.output
    assert f"已删除 1 个文件，共 {size} 字节" in run.output and "已记入审计日志" in run.output
    # the removed document's bytes are gone; the rejected photo (its author still sees it), the
    # shown document and the upload of a moment ago stay
    assert _stored(session) == before - {a.gone_file}
    assert {a.kept_file, a.photo_file, a.fresh_file} <= _stored(session)
    assert open_attachment(session, actor=None, document_id=a.kept_document).data == files.pdf(pages=2)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "files.prune")).one()
    assert event.actor == "cli" and event.detail["rows"] == 1 and event.detail["bytes"] == size

    again = CliRunner().invoke(app, ["files", "prune"])
    assert again.exit_code == 0 and "没有需要清理的文件" in again.output
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "files.prune")).all()) == 1


def test_a_file_attached_again_is_kept_and_the_grace_period_is_a_choice(session, hood):
    a = _attic(session, hood)
    # the same minutes attached again: the stored row is shared, so it is referenced again
    attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                    upload=Upload("会议纪要.pdf", files.pdf(pages=5)), title="会议纪要（重新上传）", kind="minutes")
    session.commit()
    plan = prune_files(session, actor=SYSTEM)
    assert plan.files == 0 and a.gone_file in _stored(session)
    # with no grace at all even the upload of a moment ago goes (never the default)
    plan = prune_files(session, actor=SYSTEM, grace=timedelta(0), now=utcnow() + timedelta(seconds=1))
    session.commit()
    assert plan.rows == 1 and a.fresh_file not in _stored(session)
    bad = CliRunner().invoke(app, ["files", "prune", "--grace-hours", "-1"])
    assert bad.exit_code == 2


def test_prune_deletes_the_objects_of_an_s3_store_too(session, hood, s3):
    _, client = s3
    a = _attic(session, hood)
    # an object whose upload's transaction rolled back: no row names it
    client.put_object(Bucket=BUCKET, Key=object_key("0" * 64), Body=b"%PDF-1.7 half an upload")
    gone_key = object_key(session.get(StoredFile, a.gone_file).sha256)
    later = utcnow() + timedelta(days=2)  # everything is past the grace period now, except what is referenced

    dry = prune_files(session, actor=SYSTEM, dry_run=True, now=later)
    session.rollback()
    assert (dry.rows, dry.stray_objects) == (2, 1) and dry.s3_deleted == 0
    assert client.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 5

    plan = prune_files(session, actor=SYSTEM, now=later)
    session.commit()
    plan = delete_objects(session, plan)
    assert (plan.rows, plan.stray_objects, plan.s3_deleted, plan.s3_failed) == (2, 1, 3, 0)
    left = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert gone_key not in left and object_key("0" * 64) not in left
    assert left == {object_key(session.get(StoredFile, i).sha256)
                    for i in (a.kept_file, a.photo_file)}
    assert open_attachment(session, actor=None, document_id=a.kept_document).data == files.pdf(pages=2)


@pytest.mark.postgres
def test_prune_on_postgres(pg_engine, settings):
    with Session(pg_engine, expire_on_commit=False) as s:
        a = _attic(s, build_hood(s))
        plan = prune_files(s, actor=SYSTEM)
        s.commit()
        assert plan.rows == 1 and _stored(s) == {a.kept_file, a.photo_file, a.fresh_file}
        assert open_attachment(s, actor=None, document_id=a.kept_document).data == files.pdf(pages=2)
