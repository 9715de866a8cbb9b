import sqlalchemy as sa

from portal.services import audit


def test_chain_verifies_and_detects_tampering(session):
    for i in range(5):
        audit.record(session, actor="committee:1", action="theme.rename", target_type="theme",
                     target_id=i, detail={"from": "停车", "to": f"停车难{i}"})
    session.commit()
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 5

    session.execute(sa.text("UPDATE auditevent SET detail = '{\"from\": \"改过\"}' WHERE id = 3"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3


def test_deleting_a_row_breaks_the_chain(session):
    for i in range(3):
        audit.record(session, actor="cli", action="x", target_id=i)
    session.commit()
    session.execute(sa.text("DELETE FROM auditevent WHERE id = 2"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3


def _five_events(session):
    for i in range(5):
        audit.record(session, actor="committee:1", action="theme.answer", target_type="theme",
                     target_id=i, detail={"回应": f"第{i}条：物业下周清理楼道"})
    session.commit()


def test_cutting_the_last_events_is_detected(session):
    _five_events(session)
    session.execute(sa.text("DELETE FROM auditevent WHERE id >= 4"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and "少 2 条" in report.problem and "末尾" in report.message


def test_emptying_the_log_is_detected(session):
    _five_events(session)
    session.execute(sa.text("DELETE FROM auditevent"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.checked == 0 and "少 5 条" in report.problem


def test_emptying_the_log_and_its_checkpoint_is_detected(session):
    _five_events(session)
    session.execute(sa.text("DELETE FROM auditevent"))
    session.execute(sa.text("DELETE FROM auditcheckpoint"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and "检查点缺失" in report.problem
    # and a new action does not quietly open a fresh checkpoint over a chain that had one:
    # here the chain is empty, which is exactly what a first install looks like, so the CLI's
    # init-db is the only place that seals an existing chain (and says so)


def test_a_forged_checkpoint_without_the_key_is_detected(session):
    _five_events(session)
    session.execute(sa.text("DELETE FROM auditevent WHERE id = 5"))
    prev = session.exec(sa.text("SELECT hash FROM auditevent WHERE id = 4")).one()[0]
    session.execute(sa.text("UPDATE auditcheckpoint SET count = 4, head_hash = :h"), {"h": prev})
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and "签名不符" in report.problem


def test_a_row_added_behind_the_system_is_detected(session):
    _five_events(session)
    last = session.exec(sa.text("SELECT hash FROM auditevent ORDER BY id DESC LIMIT 1")).one()[0]
    from datetime import UTC, datetime

    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    h = audit.event_hash(prev_hash=last, at=at, actor="cli", action="x", target_type="",
                         target_id="", detail={})
    session.execute(sa.text(
        "INSERT INTO auditevent (at, actor, action, target_type, target_id, detail, prev_hash, hash) "
        "VALUES (:at, 'cli', 'x', '', '', '{}', :p, :h)"), {"at": at, "p": last, "h": h})
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and "多 1 条" in report.problem


def test_init_db_seals_an_existing_chain_once(session):
    _five_events(session)
    session.execute(sa.text("DELETE FROM auditcheckpoint"))
    session.commit()
    assert not audit.verify_chain(session).ok
    assert audit.seal_if_missing(session) == 5
    session.commit()
    assert audit.verify_chain(session).ok
    assert audit.seal_if_missing(session) is None


def test_on_a_migrated_database_a_deleted_checkpoint_stays_missing(tmp_path):
    """After emptying both the log and its checkpoint, the next staff action must not make the
    database look new again (only consult init-db seals, and it says so)."""
    from sqlmodel import Session

    from portal.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'portal.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        assert audit.seal_if_missing(s) == 0
        s.commit()
        _five_events(s)
        s.execute(sa.text("DELETE FROM auditevent"))
        s.execute(sa.text("DELETE FROM auditcheckpoint"))
        s.commit()
        audit.record(s, actor="committee:1", action="theme.rename", detail={"to": "楼道照明"})
        s.commit()
        report = audit.verify_chain(s)
        assert not report.ok and "检查点缺失" in report.problem
    engine.dispose()
