"""Where checked files live: in the database (default) or an S3-compatible store.

Either way every portal replica reads the same bytes. A file is stored once per content
(``StoredFile.sha256`` is unique and the row is written with ``INSERT … ON CONFLICT DO
NOTHING``), so the same photo sent twice, or two uploads of it at the same moment, share one row.

With ``PORTAL_S3_URL`` set, the bytes go to ``files/<sha256>`` in ``PORTAL_S3_BUCKET`` before the
row is written; if the caller's transaction then rolls back, the object stays behind without a
row. It is never shown (only rows are listed) and the same content reuses it, so nothing
half-written becomes visible.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from portal.models import StoredFile
from portal.services.documents.checks import CheckedFile
from portal.services.errors import ServiceError
from portal.settings import get_settings


class StorageUnavailable(ServiceError):
    """The file store could not be reached; nothing was saved."""


UNAVAILABLE = "文件存储暂时无法访问，附件没有保存。请稍后再试，或联系居委会工作人员。"


@lru_cache(maxsize=4)
def _s3_client(url: str, region: str) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # the optional extra "s3" is not installed
        raise StorageUnavailable("已配置 S3 文件存储（PORTAL_S3_URL），但没有安装 boto3："
                                 "请安装 yishiting[s3]。") from exc
    return boto3.client("s3", endpoint_url=url, region_name=region or None,
                        config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                      connect_timeout=5, read_timeout=30))


def s3_store() -> tuple[Any, str] | None:
    """(client, bucket) of the configured S3-compatible store; None when files stay in the database."""
    s = get_settings()
    if not s.s3_url:
        return None
    return _s3_client(s.s3_url, s.s3_region), s.s3_bucket


OBJECT_PREFIX = "files/"  # every stored file's object key starts with it


def object_key(sha256: str) -> str:
    return f"{OBJECT_PREFIX}{sha256}"


def store_file(session: Session, checked: CheckedFile) -> StoredFile:
    """The StoredFile holding ``checked``'s bytes, written now unless the same content is stored."""
    sha = checked.sha256
    existing = session.exec(select(StoredFile).where(StoredFile.sha256 == sha)).first()
    if existing is not None:
        return existing
    store = s3_store()
    if store is not None:
        client, bucket = store
        try:
            client.put_object(Bucket=bucket, Key=object_key(sha), Body=checked.data,
                              ContentType=checked.media_type)
        except Exception as exc:  # noqa: BLE001 - botocore's errors are many; all mean "not stored"
            raise StorageUnavailable(UNAVAILABLE) from exc
    row = StoredFile(sha256=sha, media_type=checked.media_type, size=len(checked.data),
                     width=checked.width, height=checked.height,
                     storage="s3" if store else "db", data=None if store else checked.data)
    insert_or_skip(session, row, ["sha256"])
    return session.exec(select(StoredFile).where(StoredFile.sha256 == sha)).one()


def insert_or_skip(session: Session, row: SQLModel, unique_columns: list[str]) -> bool:
    """INSERT ``row`` in the caller's transaction unless a row with the same ``unique_columns``
    exists (``ON CONFLICT DO NOTHING``: a parallel copy neither raises nor aborts the caller's
    transaction). True when this call wrote it."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(table).values(**values)
            .on_conflict_do_nothing(index_elements=[table.c[n] for n in unique_columns])
            .returning(table.c.id))
    return conn.execute(stmt).scalar() is not None


def file_bytes(stored: StoredFile) -> bytes:
    """The bytes of a stored file, from wherever they live."""
    if stored.storage != "s3":
        return bytes(stored.data or b"")
    store = s3_store()
    if store is None:
        raise StorageUnavailable("这个附件保存在 S3 文件存储中，但当前没有配置 PORTAL_S3_URL。")
    client, bucket = store
    try:
        return bytes(client.get_object(Bucket=bucket, Key=object_key(stored.sha256))["Body"].read())
    except Exception as exc:  # noqa: BLE001
        raise StorageUnavailable("文件存储暂时无法访问，附件无法打开。请稍后再试。") from exc
