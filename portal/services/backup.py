"""Backup and restore of the portal's database.

SQLite: ``sqlite3.Connection.backup`` copies the database page by page inside a read
transaction, so the copy is consistent even while the portal keeps writing (WAL mode lets the
writers go on). A restore checks the file first (a SQLite file, intact, with the portal's tables
and an Alembic revision this code knows) and refuses to overwrite a database that holds data
unless forced; it then copies with the same API, so the target is replaced in one step and
running portals see either the old or the new database, never a mix.

PostgreSQL: the right tools are ``pg_dump`` / ``pg_restore``; :func:`postgres_advice` prints the
exact commands for the configured URL with the password hidden.

These functions work on files and URLs, not on a Session: they are operator tasks run from the
command line (``consult backup`` / ``consult restore``), not user actions.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from portal.services.errors import InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables whose presence marks a portal database (any revision has them).
PORTAL_TABLES = frozenset({"community", "consultation", "opinion", "auditevent", "alembic_version"})
# Tables whose rows count as "data worth protecting" when deciding whether a restore may overwrite.
DATA_TABLES = ("community", "resident", "committeeuser", "consultation", "opinion", "vote",
               "auditevent")


class NotSQLite(InvalidInput):
    """The configured database is not SQLite: use the PostgreSQL tools (see postgres_advice)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str
    rows: dict[str, int]  # rows per data table, for the operator's confirmation
    size_bytes: int


def sqlite_path(database_url: str) -> Path:
    """The file behind a ``sqlite:///`` URL; NotSQLite for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise NotSQLite("当前数据库不是 SQLite，请使用 PostgreSQL 的 pg_dump / pg_restore 备份与恢复。")
    if not url.database or url.database == ":memory:":
        raise InvalidInput("内存数据库无法备份：请把 DATABASE_URL 指向一个数据库文件。")
    return Path(url.database).expanduser()


def known_revisions() -> set[str]:
    """Every Alembic revision this version of the portal ships."""
    from alembic.script import ScriptDirectory

    from portal.db import MIGRATIONS_DIR, alembic_config

    cfg = alembic_config("sqlite://")
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def _count_rows(conn: sqlite3.Connection, tables: set[str]) -> dict[str, int]:
    return {
        t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
        for t in DATA_TABLES if t in tables
    }


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def inspect_backup(path: Path) -> BackupInfo:
    """Check that ``path`` is an intact portal database this code can restore; describe it."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"找不到备份文件 {path}。")
    if not path.is_file():
        raise InvalidInput(f"{path} 不是文件。")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise InvalidInput(f"{path} 不是 SQLite 数据库文件，无法恢复。")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"无法打开备份文件 {path}：{exc}") from exc
    try:
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise InvalidInput(f"备份文件 {path} 已损坏：{exc}") from exc
        if check != "ok":
            raise InvalidInput(f"备份文件 {path} 已损坏（完整性检查：{check}）。")
        tables = _tables(conn)
        missing = PORTAL_TABLES - tables
        if missing:
            raise InvalidInput(
                f"{path} 不是社区议事厅的数据库（缺少数据表：{'、'.join(sorted(missing))}）。"
            )
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if row is None:
            raise InvalidInput(f"{path} 没有数据库结构版本记录，不是完整的社区议事厅数据库。")
        revision = row[0]
        if revision not in known_revisions():
            raise InvalidInput(
                f"备份的数据库结构版本 {revision} 不属于当前程序（可能来自更新的版本），"
                "请先升级程序再恢复。"
            )
        rows = _count_rows(conn, tables)
    finally:
        conn.close()
    return BackupInfo(path=path, revision=revision, rows=rows, size_bytes=path.stat().st_size)


def backup_sqlite(database_url: str, out: Path, *, force: bool = False) -> BackupInfo:
    """Write a consistent copy of the live SQLite database to ``out``."""
    source = sqlite_path(database_url)
    out = Path(out)
    if not source.exists():
        raise InvalidInput(f"数据库文件 {source} 不存在，没有可备份的内容。")
    if out.exists() and not force:
        raise InvalidInput(f"{out} 已存在。为避免覆盖旧备份，请换一个文件名，或加 --force 覆盖。")
    if out.resolve() == source.resolve():
        raise InvalidInput("备份文件不能与数据库文件相同。")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=15)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            # A backup file should stand alone: no -wal/-shm companions to forget.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    try:
        info = inspect_backup(partial)
    except InvalidInput:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)  # never leave a half-written file under the final name
    return BackupInfo(path=out, revision=info.revision, rows=info.rows, size_bytes=out.stat().st_size)


def database_rows(database_url: str) -> dict[str, int]:
    """Rows per data table of the configured SQLite database (empty when there is no file)."""
    path = sqlite_path(database_url)
    if not path.exists() or path.stat().st_size == 0:
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
    try:
        return _count_rows(conn, _tables(conn))
    except sqlite3.DatabaseError:
        return {"?": 1}  # unreadable: treat as "has something", never overwrite silently
    finally:
        conn.close()


def restore_sqlite(database_url: str, backup: Path, *, force: bool = False) -> BackupInfo:
    """Replace the configured SQLite database with ``backup`` (checked first)."""
    target = sqlite_path(database_url)
    info = inspect_backup(Path(backup))
    if target.exists() and Path(backup).resolve() == target.resolve():
        raise InvalidInput("备份文件就是当前数据库文件，无需恢复。")
    existing = database_rows(database_url)
    if any(existing.values()) and not force:
        summary = "、".join(f"{t} {n} 行" for t, n in existing.items() if n)
        raise InvalidInput(
            f"当前数据库 {target} 已有数据（{summary}）。恢复会覆盖这些数据；"
            "确认无误请先备份当前数据库，再加 --force 恢复。"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{info.path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=15)
        try:
            dst.execute("PRAGMA busy_timeout=15000")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    # An older backup is brought up to the current schema.
    from portal.db import upgrade

    upgrade(f"sqlite:///{target}")
    _record_restore(f"sqlite:///{target}", info)
    return info


def _record_restore(database_url: str, info: BackupInfo) -> None:
    """The restored database's own audit log says when and from what it was restored."""
    from portal.db import make_engine, unit_of_work
    from portal.services import audit

    engine = make_engine(database_url)
    try:
        unit_of_work(engine, lambda session: audit.record(
            session, actor="cli", action="database.restore", target_type="database",
            detail={"backup": info.path.name, "revision": info.revision, "rows": info.rows}))
    finally:
        engine.dispose()


def postgres_advice(database_url: str, path: str, *, restore: bool = False) -> str:
    """The pg_dump / pg_restore command line for this URL (password never printed)."""
    url = make_url(database_url)
    parts: list[str] = []
    if url.host:
        parts += ["-h", url.host]
    if url.port:
        parts += ["-p", str(url.port)]
    if url.username:
        parts += ["-U", url.username]
    options = url.query.get("options", "")
    options = options if isinstance(options, str) else " ".join(options)
    schema = ""
    for opt in options.split():
        if opt.startswith("-csearch_path="):
            schema = opt.split("=", 1)[1].split(",")[0]
    dbname = url.database or ""
    password_note = (
        "密码不会显示：执行前设置环境变量 PGPASSWORD，或写入 ~/.pgpass。\n" if url.password else ""
    )
    q = shlex.quote
    if not restore:
        cmd = ["pg_dump", *parts, "--format=custom", "--no-owner"]
        if schema:
            cmd += ["--schema", schema]
        cmd += ["--file", path, dbname]
        return (
            "PostgreSQL 数据库请用 pg_dump 备份（一致的快照，可在系统运行时执行）：\n"
            f"  {' '.join(q(c) for c in cmd)}\n" + password_note
        )
    cmd = ["pg_restore", *parts, "--clean", "--if-exists", "--no-owner", "--single-transaction",
           "--dbname", dbname, path]
    return (
        "PostgreSQL 数据库请用 pg_restore 恢复（--clean 会先删除现有数据表，请先备份当前数据库）：\n"
        f"  {' '.join(q(c) for c in cmd)}\n"
        "恢复后运行 `consult init-db`，把数据库结构升级到当前版本。\n" + password_note
    )
