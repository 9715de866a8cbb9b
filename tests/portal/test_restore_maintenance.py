"""`consult restore --force` while residents and staff keep saving (issue 12.12): the portal is in
maintenance for the restore, every writer either saves or is told "系统正在恢复数据，请稍后再试。",
no raw StaleDataError or database error reaches anybody, nothing is half-written, and the
restored database's audit chain verifies."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session, select

from portal.db import (
    MAINTENANCE_MESSAGE,
    maintenance_file,
    maintenance_state,
    make_engine,
    unit_of_work,
)
from portal.models import AuditEvent, Consultation, Opinion, Resident
from portal.services import audit
from portal.services.backup import backup_sqlite, maintenance, restore_sqlite
from portal.services.errors import InvalidInput, NotFound, ServiceError, UnderMaintenance
from tests.portal.test_backup import _populate, _url

ADDED = "（补充：晚上八点以后楼道灯也不亮）"


def _writer(engine, consultation_id: int, resident_id: int, area_id: int, stop: threading.Event,
            outcomes: list[str], raw: list[BaseException]) -> None:
    """Like a resident on the 提意见 page: give an opinion, then add a sentence to it. Each step
    is one unit of work that reads first and writes after, with an audit event."""

    def give(s: Session) -> int:
        op = Opinion(consultation_id=consultation_id, resident_id=resident_id, area_id=area_id,
                     text_original="楼道灯坏了好几天了，希望尽快修好", text_public="楼道灯坏了好几天了，希望尽快修好")
        s.add(op)
        s.flush()
        audit.record(s, actor=f"resident:{resident_id}", action="opinion.create",
                     target_type="opinion", target_id=op.id)
        return op.id  # type: ignore[return-value]

    def amend(s: Session, opinion_id: int) -> None:
        op = s.get(Opinion, opinion_id)  # read ... (a restore may swap the file here)
        if op is None:
            raise NotFound("找不到这条意见。")
        time.sleep(0.005)  # ... the service's checks take a moment ...
        op.text_original += ADDED  # ... then write
        op.text_public += ADDED
        s.add(op)
        s.flush()
        audit.record(s, actor=f"resident:{resident_id}", action="opinion.edit",
                     target_type="opinion", target_id=opinion_id)

    while not stop.is_set():
        try:
            opinion_id = unit_of_work(engine, give)
            outcomes.append("saved")
            unit_of_work(engine, lambda s, oid=opinion_id: amend(s, oid))
            outcomes.append("saved")
        except UnderMaintenance as exc:
            outcomes.append(str(exc))
            time.sleep(0.01)
        except ServiceError as exc:  # a refusal in Chinese (the opinion went with the restore)
            outcomes.append(str(exc))
        except BaseException as exc:  # noqa: BLE001 - exactly what must never happen
            raw.append(exc)
            return


def test_writers_during_restore_save_or_are_told_to_wait_and_nothing_is_half_written(tmp_path):
    live = tmp_path / "portal.sqlite"
    url = _url(live)
    _populate(url)
    backup = backup_sqlite(url, tmp_path / "backup.sqlite").path
    engine = make_engine(url)
    with Session(engine) as s:
        consultation_id = s.exec(select(Consultation.id)).first()
        residents = s.exec(select(Resident)).all()
    stop = threading.Event()
    outcomes: list[str] = []
    raw: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(engine, consultation_id, r.id, r.area_id, stop,
                                                      outcomes, raw)) for r in residents]
    for t in threads:
        t.start()
    try:
        for _ in range(4):
            while outcomes.count("saved") < 10 and not raw:  # the writers are busy ...
                time.sleep(0.005)
            restore_sqlite(url, backup, force=True)  # ... when the operator restores
            outcomes.append("-- restored --")
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()

    assert not raw, f"raw exceptions reached the writers: {raw[:3]!r}"
    told = [o for o in outcomes if o not in {"saved", "-- restored --"}]
    assert MAINTENANCE_MESSAGE in told, "no writer met a restore: the test raced nothing"
    assert set(told) <= {MAINTENANCE_MESSAGE, "找不到这条意见。"}, set(told)
    assert outcomes[-1] != "-- restored --" and "saved" in outcomes[outcomes.index("-- restored --"):]
    assert maintenance_state(maintenance_file(engine)) [0] is False  # the portal is open again

    with Session(engine) as s:
        assert audit.verify_chain(s).ok
        # Nothing half-written: every opinion and every amendment kept has its audit event.
        events = s.exec(select(AuditEvent)).all()
        created = {e.target_id for e in events if e.action == "opinion.create"}
        edited = {e.target_id for e in events if e.action == "opinion.edit"}
        for op in s.exec(select(Opinion).where(Opinion.text_public == "楼道灯坏了好几天了，希望尽快修好"
                                               + ADDED)).all():
            assert str(op.id) in edited
        for op in s.exec(select(Opinion).where(Opinion.text_public.startswith("楼道灯坏了"))).all():  # type: ignore[attr-defined]
            assert str(op.id) in created
        for oid in edited:
            assert s.get(Opinion, int(oid)).text_public.endswith(ADDED)
        assert sum(e.action == "database.restore" for e in events) == 1  # the last restore
    engine.dispose()


def test_a_change_begun_before_a_restore_is_not_committed_into_the_restored_database(tmp_path):
    live = tmp_path / "portal.sqlite"
    url = _url(live)
    _populate(url)
    backup = backup_sqlite(url, tmp_path / "backup.sqlite").path
    engine = make_engine(url)
    restored = threading.Event()

    def slow_edit(s: Session) -> None:
        consultation = s.exec(select(Consultation)).first()  # read the old database
        if not restored.is_set():
            restore_sqlite(url, backup, force=True)  # the whole restore happens meanwhile
            restored.set()
        consultation.title = "加装电梯（第二轮）"
        s.add(consultation)

    with pytest.raises(UnderMaintenance, match=MAINTENANCE_MESSAGE):
        unit_of_work(engine, slow_edit)
    with Session(engine) as s:
        assert s.exec(select(Consultation.title)).first() == "加装电梯"
    # Tried again, it goes through.
    unit_of_work(engine, slow_edit)
    with Session(engine) as s:
        assert s.exec(select(Consultation.title)).first() == "加装电梯（第二轮）"
    engine.dispose()


def test_while_the_marker_says_restoring_nothing_is_saved_and_a_second_restore_waits(tmp_path):
    live = tmp_path / "portal.sqlite"
    url = _url(live)
    _populate(url)
    backup = backup_sqlite(url, tmp_path / "backup.sqlite").path
    engine = make_engine(url)

    def rename(s: Session) -> None:
        s.exec(select(Consultation)).first().title = "改名"

    with maintenance(live):
        assert maintenance_state(maintenance_file(engine))[0]
        with pytest.raises(UnderMaintenance, match="系统正在恢复数据"):
            unit_of_work(engine, rename)
    unit_of_work(engine, rename)  # open again afterwards

    # A marker left by a live process (another restore) is respected; one left by a dead
    # process (a restore that was killed) is not.
    marker = maintenance_file(engine)
    marker.write_text("restoring 7 1\n", encoding="ascii")  # pid 1 is always alive
    with pytest.raises(InvalidInput, match="另一个恢复正在进行"):
        restore_sqlite(url, backup, force=True)
    marker.write_text("restoring 7 999999999\n", encoding="ascii")
    restore_sqlite(url, backup, force=True)
    assert maintenance_state(marker)[0] is False and maintenance_state(marker)[1] > 7
    engine.dispose()
