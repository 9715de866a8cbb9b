"""`consult backup` / `consult restore`: a consistent copy while the portal writes, a faithful
round-trip, and clear refusals for everything that is not a safe restore."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from portal.cli import app
from portal.db import make_engine, upgrade
from portal.models import (
    Area,
    Community,
    Consultation,
    Opinion,
    Phase,
    Resident,
    Role,
    Vote,
    VoteValue,
)
from portal.services import audit
from portal.services.actors import SystemActor
from portal.services.backup import (
    backup_sqlite,
    inspect_backup,
    postgres_advice,
    restore_sqlite,
)
from portal.services.errors import InvalidInput
from portal.services.identity import create_user, issue_code, sign_in_with_code
from portal.settings import get_settings

runner = CliRunner()


def _url(path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, monkeypatch):
    """Codes are keyed with the settings' secret: the test one, never a key under the project."""
    monkeypatch.setenv("PORTAL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test-secret-key")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _populate(url: str) -> str:
    """A small but real neighbourhood; returns one participation code."""
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        audit.seal_if_missing(s)  # what consult init-db does after migrating
        community = Community(name="梧桐里社区", district="静安区")
        s.add(community)
        s.flush()
        area = Area(community_id=community.id, name="3号楼", grid="第一网格")
        s.add(area)
        s.flush()
        residents = [Resident(community_id=community.id, area_id=area.id, unit="2单元",
                              age_band="60-69") for _ in range(3)]
        s.add_all(residents)
        c = Consultation(community_id=community.id, title="加装电梯", phase=Phase.COLLECTING,
                         question="老楼加装电梯，您有什么想法？")
        s.add(c)
        s.flush()
        op = Opinion(consultation_id=c.id, resident_id=residents[0].id, area_id=area.id,
                     text_original="希望低层住户的采光问题也能考虑进去，电话13812345678",
                     text_public="希望低层住户的采光问题也能考虑进去，电话[手机号]",
                     pii_kinds=["phone"])
        s.add(op)
        s.flush()
        s.add(Vote(opinion_id=op.id, resident_id=residents[1].id, value=VoteValue.AGREE))
        create_user(s, actor=SystemActor("cli"), username="reviewer", password="Review2026",
                    role=Role.REVIEWER, display_name="王老师")
        code = issue_code(s, actor=SystemActor("cli"), resident_id=residents[2].id)
        s.commit()
    engine.dispose()
    return code


def _dump(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: sorted(conn.execute(table.select()).fetchall(), key=repr)
                for name, table in SQLModel.metadata.tables.items()
            }
    finally:
        engine.dispose()


def _use_database(monkeypatch, url: str, var_dir) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_VAR_DIR", str(var_dir))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test-secret-key")
    get_settings.cache_clear()


def test_round_trip_through_the_cli_restores_identical_data(tmp_path, monkeypatch):
    source = tmp_path / "live.sqlite"
    code = _populate(_url(source))
    before = _dump(_url(source))

    _use_database(monkeypatch, _url(source), tmp_path / "var")
    result = runner.invoke(app, ["backup", str(tmp_path / "backups" / "b1.sqlite")])
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output and "opinion 1" in result.output

    target = tmp_path / "new-machine" / "portal.sqlite"
    _use_database(monkeypatch, _url(target), tmp_path / "var2")
    result = runner.invoke(app, ["restore", str(tmp_path / "backups" / "b1.sqlite")])
    assert result.exit_code == 0, result.output
    assert "已从" in result.output

    after = _dump(_url(target))
    # Every table identical, except the one audit event that records the restore itself.
    restore_events = [r for r in after["auditevent"] if r.action == "database.restore"]
    assert len(restore_events) == 1
    after["auditevent"] = [r for r in after["auditevent"] if r.action != "database.restore"]
    # ... and the audit checkpoint, which moved on by that one event
    assert after.pop("auditcheckpoint")[0].count == before.pop("auditcheckpoint")[0].count + 1
    assert after == before
    assert sum(len(rows) for rows in before.values()) > 8

    # The restored database works: the audit chain verifies and the printed code still signs in.
    engine = make_engine(_url(target))
    with Session(engine) as s:
        assert audit.verify_chain(s).ok
        actor = sign_in_with_code(s, code=code, throttle_key="t")
        assert actor.area_name == "3号楼"
    engine.dispose()


def test_backup_is_consistent_while_the_portal_keeps_writing(tmp_path):
    """A writer appends audit events throughout; every backup is a clean prefix of the chain."""
    url = _url(tmp_path / "busy.sqlite")
    _populate(url)
    engine = make_engine(url)
    stop = threading.Event()
    written = []

    def writer() -> None:
        i = 0
        while not stop.is_set():
            with Session(engine) as s:
                audit.record(s, actor="committee:1", action="opinion.hide", target_type="opinion",
                             target_id=i, detail={"原因": "含人身攻击"})
                s.commit()
            written.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:  # let the writer get going
            pass
        infos = [backup_sqlite(url, tmp_path / f"b{n}.sqlite") for n in range(4)]
    finally:
        stop.set()
        thread.join()
    engine.dispose()

    counts = []
    for info in infos:
        conn = sqlite3.connect(info.path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        copy = make_engine(_url(info.path))
        with Session(copy) as s:
            report = audit.verify_chain(s)
        copy.dispose()
        assert report.ok, report
        counts.append(report.checked)
        assert not (tmp_path / f"{info.path.name}-wal").exists()  # a backup stands alone
    assert counts == sorted(counts) and counts[-1] > counts[0] >= 20


def test_restore_refuses_to_overwrite_a_database_with_data(tmp_path):
    live = tmp_path / "live.sqlite"
    _populate(_url(live))
    other = tmp_path / "other.sqlite"
    _populate(_url(other))
    engine = make_engine(_url(other))
    with Session(engine) as s:
        s.add(Community(name="枫林社区"))
        s.commit()
    engine.dispose()
    backup = backup_sqlite(_url(live), tmp_path / "b.sqlite").path
    before = _dump(_url(other))

    with pytest.raises(InvalidInput, match="已有数据.*--force"):
        restore_sqlite(_url(other), backup)
    assert _dump(_url(other)) == before

    restore_sqlite(_url(other), backup, force=True)
    after = _dump(_url(other))
    assert [c.name for c in after["community"]] == ["梧桐里社区"]


def test_backup_refuses_to_overwrite_an_earlier_backup(tmp_path):
    live = tmp_path / "live.sqlite"
    _populate(_url(live))
    out = tmp_path / "b.sqlite"
    out.write_bytes(b"an older backup")
    with pytest.raises(InvalidInput, match="已存在"):
        backup_sqlite(_url(live), out)
    assert out.read_bytes() == b"an older backup"
    backup_sqlite(_url(live), out, force=True)
    assert inspect_backup(out).rows["opinion"] == 1


def _not_a_portal_db(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()


def _unknown_revision(path):
    _populate(_url(path))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()


def _no_revision(path):
    _populate(_url(path))
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM alembic_version")
    conn.commit()
    conn.close()


def _truncated(path):
    _populate(_url(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "找不到备份文件"),
        (lambda p: p.write_text("楼栋,单元\n3号楼,2单元\n", encoding="utf-8"), "不是 SQLite 数据库文件"),
        (lambda p: p.write_bytes(b""), "不是 SQLite 数据库文件"),
        (_not_a_portal_db, "不是社区议事厅的数据库"),
        (_no_revision, "没有数据库结构版本记录"),
        (_unknown_revision, "结构版本 9999_future 不属于当前程序"),
        (_truncated, "损坏|不是社区议事厅"),
    ],
    ids=["missing", "csv-file", "empty-file", "other-sqlite", "no-revision", "future-revision", "truncated"],
)
def test_restore_rejects_bad_backup_files_and_changes_nothing(tmp_path, monkeypatch, make, message):
    target = tmp_path / "portal.sqlite"
    bad = tmp_path / "bad.sqlite"
    make(bad)
    _use_database(monkeypatch, _url(target), tmp_path / "var")
    result = runner.invoke(app, ["restore", str(bad), "--force"])
    assert result.exit_code == 2
    assert "错误" in result.output
    import re

    assert re.search(message, result.output), result.output
    assert not target.exists() or target.stat().st_size == 0


def test_backup_of_a_missing_database_says_so(tmp_path, monkeypatch):
    _use_database(monkeypatch, _url(tmp_path / "none.sqlite"), tmp_path / "var")
    result = runner.invoke(app, ["backup", str(tmp_path / "b.sqlite")])
    assert result.exit_code == 2
    assert "不存在" in result.output
    assert not (tmp_path / "b.sqlite").exists()


def test_postgres_gets_pg_dump_and_pg_restore_commands_without_the_password(tmp_path, monkeypatch):
    url = "postgresql://yishi:S3cret-pw@db.internal:6543/portal"
    _use_database(monkeypatch, url, tmp_path / "var")
    result = runner.invoke(app, ["backup", "/backups/portal.dump"])
    assert result.exit_code == 3
    assert ("pg_dump -h db.internal -p 6543 -U yishi --format=custom --no-owner "
            "--file /backups/portal.dump portal") in result.output
    assert "S3cret" not in result.output and "PGPASSWORD" in result.output

    result = runner.invoke(app, ["restore", "/backups/portal.dump"])
    assert result.exit_code == 3
    assert ("pg_restore -h db.internal -p 6543 -U yishi --clean --if-exists --no-owner "
            "--single-transaction --dbname portal /backups/portal.dump") in result.output
    assert "S3cret" not in result.output

    advice = postgres_advice("postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_abc",
                             "x.dump")
    assert "--schema t_abc" in advice


@pytest.mark.postgres
def test_pg_dump_advice_really_works(pg_url, tmp_path):
    """The printed pg_dump command, run as printed, produces a dump pg_restore can list."""
    import shlex
    import shutil
    import subprocess

    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed on this machine")
    upgrade(pg_url)
    engine = make_engine(pg_url)
    with Session(engine) as s:
        s.add(Community(name="梧桐里社区"))
        s.commit()
    engine.dispose()
    advice = postgres_advice(pg_url, str(tmp_path / "pg.dump"))
    cmd = next(line.strip() for line in advice.splitlines() if line.strip().startswith("pg_dump"))
    done = subprocess.run(shlex.split(cmd), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "pg.dump")],
                             capture_output=True, text=True, timeout=60)
    assert "community" in listing.stdout


def test_in_memory_database_cannot_be_backed_up(tmp_path):
    with pytest.raises(InvalidInput, match="内存数据库"):
        backup_sqlite("sqlite://", tmp_path / "b.sqlite")


def test_restore_upgrades_the_copy_and_keeps_it_usable(tmp_path):
    live = tmp_path / "live.sqlite"
    _populate(_url(live))
    backup = backup_sqlite(_url(live), tmp_path / "b.sqlite").path
    target = tmp_path / "t.sqlite"
    restore_sqlite(_url(target), backup)
    engine = make_engine(_url(target))
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
