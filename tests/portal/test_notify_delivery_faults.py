"""Delivery under faults: a sender killed mid-send, two senders at once on PostgreSQL, contact
details at rest on PostgreSQL, and the paper notices printed for door-to-door delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from portal.models import ContactPoint, OutboxMessage, OutboxStatus, Phase, Role
from portal.services import consultations
from portal.services.errors import PermissionDenied
from portal.services.notifications import send_announcement, send_due, set_my_contact
from portal.services.notifications.paper import print_door_to_door
from portal.settings import get_settings
from tests import factories
from tests.pdf_text import pdf_text
from tests.portal.notify_support import EMAILS, PHONE, SmtpSink, build_hood, resident_actor
from tests.support import ROOT


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def _two_notices_each(session: Session, hood) -> None:
    consultations.change_phase(session, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
    send_announcement(session, actor=hood.admin, consultation_id=hood.consultation_id, title="3号楼加装电梯施工通知",
                      body="12月8日起3号楼东侧施工，请从北门进出，施工期间注意安全。")
    session.commit()


def _run_sender(settings, smtp: SmtpSink) -> subprocess.Popen:
    env = dict(os.environ)
    env.update({"DATABASE_URL": settings.database_url, "PORTAL_VAR_DIR": str(settings.var_dir),
                "PORTAL_SECRET_KEY": settings.secret_key, "PORTAL_CONTACT_KEY": settings.contact_keys[0],
                "PORTAL_SMTP_URL": smtp.url, "PORTAL_SMS_URL": "", "PORTAL_NOTIFY_DAILY_CAP": "10",
                "PYTHONPATH": str(ROOT)})
    return subprocess.Popen([sys.executable, "-m", "portal.cli", "outbox", "send", "--lease-seconds", "2",
                             "--closing-hours", "0", "--batch", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_kill_9_mid_send_loses_nothing_and_repeats_at_most_the_message_in_flight(settings, engine, session, smtp):
    hood = build_hood(session)
    _two_notices_each(session, hood)
    smtp.hold_at = 2  # the third e-mail's DATA waits: the sender is killed while it waits
    proc = _run_sender(settings, smtp)
    assert smtp.data_started.wait(60), proc.stdout.read().decode() if proc.poll() is not None else "no third DATA"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    smtp.release.set()  # the server still accepts the message it had received: SMTP's at-least-once window
    with Session(engine) as s:
        states = Counter(m.status for m in s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")))
    assert states == {OutboxStatus.SENT: 2, OutboxStatus.PENDING: 4}
    time.sleep(2.5)  # the killed sender's lease (2 s) runs out
    rerun = _run_sender(settings, smtp)
    output = rerun.communicate(timeout=120)[0].decode()
    assert rerun.returncode == 0, output
    assert "邮件 4 封" in output
    delivered = Counter((r, m.header("Subject")) for m in smtp.messages for r in m.rcpt)
    expected = {(a, s) for a in EMAILS for s in ("【社区议事厅】新议题：3号楼加装电梯", "【社区议事厅】3号楼加装电梯施工通知")}
    assert set(delivered) == expected  # nothing lost
    assert sorted(delivered.values()) == [1, 1, 1, 1, 1, 2]  # only the message in flight came twice
    with Session(engine) as s:
        assert {m.status for m in s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email"))} == {OutboxStatus.SENT}
    # and a third run sends nothing
    again = _run_sender(settings, smtp)
    assert "邮件 0 封" in again.communicate(timeout=120)[0].decode()
    assert sum(delivered.values()) == len(smtp.messages)


@pytest.mark.postgres
def test_two_senders_at_once_on_postgresql_never_send_twice(settings, pg_engine, smtp, monkeypatch):
    monkeypatch.setenv("PORTAL_SMTP_URL", smtp.url)
    monkeypatch.setenv("PORTAL_NOTIFY_DAILY_CAP", "10")
    get_settings.cache_clear()
    with Session(pg_engine, expire_on_commit=False) as s:
        hood = build_hood(s)
        from portal.models import Area, Community

        three = s.exec(select(Area).where(Area.name == "3号楼")).one()
        more = factories.residents(s, s.get(Community, hood.community_id), [three], 24)
        for i, r in enumerate(more):
            set_my_contact(s, actor=resident_actor(s, r.id), channel="email", value=f"jumin{i:02d}@wutongli.example.cn")
        s.commit()
        _two_notices_each(s, hood)
    smtp.delay = 0.01
    reports = []
    barrier = threading.Barrier(2)

    def sender(name: str) -> None:
        barrier.wait()
        reports.append(send_due(pg_engine, worker=name, batch=5))

    threads = [threading.Thread(target=sender, args=(n,)) for n in ("a-host:1", "b-host:2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivered = Counter((r, m.header("Subject")) for m in smtp.messages for r in m.rcpt)
    assert len(delivered) == 2 * 27 and set(delivered.values()) == {1}
    assert sum(r.n_sent for r in reports) == 54
    assert all(r.n_sent > 0 for r in reports), reports  # both took part: SKIP LOCKED, not one waiting for the other


@pytest.mark.postgres
def test_contact_details_are_not_readable_in_postgresql(settings, pg_engine):
    with Session(pg_engine, expire_on_commit=False) as s:
        build_hood(s)
    with pg_engine.connect() as conn:
        tables = [r[0] for r in conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))]
        text = "".join(str(row) for t in tables for row in conn.execute(sa.text(f'SELECT t::text FROM "{t}" t')))
    assert "contactpoint" in tables
    for secret in [*EMAILS, PHONE, "wang.jianguo", "12345678"]:
        assert secret not in text, secret


def test_paper_notices_print_by_building_and_leave_the_queue_when_delivered(settings, session, tmp_path: Path):
    hood = build_hood(session)
    _two_notices_each(session, hood)
    with pytest.raises(PermissionDenied):
        print_door_to_door(session, actor=resident_actor(session, hood.paper))
    reviewer = factories.staff(session, None, [(Role.REVIEWER, "reviewer2", "赵委员")])[Role.REVIEWER]
    with pytest.raises(PermissionDenied):
        print_door_to_door(session, actor=reviewer)
    pdf, n = print_door_to_door(session, actor=hood.clerk)
    assert n == 2
    text = pdf_text(pdf)
    assert "第一网格3号楼·上门通知（2份）" in text and "3号楼加装电梯施工通知" in text
    assert EMAILS[0] not in text
    session.rollback()
    _, n = print_door_to_door(session, actor=hood.clerk, mark_delivered=True)
    session.commit()
    assert n == 2
    assert print_door_to_door(session, actor=hood.clerk)[1] == 0


def _same_form_twice_at_once(engine, hood) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def submit(value: str) -> None:
        from portal.db import unit_of_work

        barrier.wait()
        try:
            unit_of_work(engine, lambda s: set_my_contact(s, actor=resident_actor(s, hood.paper), channel="email",
                                                          value=value))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(v,)) for v in ("liu.fang@example.com", "liu.fang@example.cn")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as s:
        rows = s.exec(select(ContactPoint).where(ContactPoint.resident_id == hood.paper)).all()
        assert len(rows) == 1 and rows[0].consent


def test_the_same_consent_sent_twice_at_once_makes_one_row(settings, engine, session):
    hood = build_hood(session)
    _same_form_twice_at_once(engine, hood)


@pytest.mark.postgres
def test_the_same_consent_sent_twice_at_once_makes_one_row_on_postgresql(settings, pg_engine):
    with Session(pg_engine, expire_on_commit=False) as s:
        hood = build_hood(s)
    _same_form_twice_at_once(pg_engine, hood)


def test_a_title_cannot_smuggle_mail_headers(settings, engine, session, smtp, monkeypatch):
    from portal.services.notifications import notify

    monkeypatch.setenv("PORTAL_SMTP_URL", smtp.url)
    get_settings.cache_clear()
    hood = build_hood(session)
    notify(session, resident_ids=[hood.by_email[0]], kind="announcement", event_key="hostile:1",
           title="停水通知\r\nBcc: all@evil.example\r\n", body="<b>**明天**</b> 停水\r\nBcc: x@evil.example")
    session.commit()
    assert send_due(engine).n_sent == 1
    [mail] = smtp.messages
    assert mail.rcpt == [EMAILS[0]] and mail.header("Bcc") == "None"
    assert mail.header("Subject") == "【社区议事厅】停水通知 Bcc: all@evil.example"


@pytest.mark.postgres
def test_two_senders_at_once_keep_one_residents_daily_cap(settings, pg_engine, smtp, monkeypatch):
    """Eight announcements the same morning, a cap of 3, two senders started together: the resident
    gets exactly 3 e-mails today, the rest wait for tomorrow."""
    monkeypatch.setenv("PORTAL_SMTP_URL", smtp.url)
    monkeypatch.setenv("PORTAL_NOTIFY_DAILY_CAP", "3")
    get_settings.cache_clear()
    with Session(pg_engine, expire_on_commit=False) as s:
        hood = build_hood(s)
        consultations.change_phase(s, actor=hood.admin, consultation_id=hood.consultation_id, to=Phase.COLLECTING)
        for i in range(8):
            send_announcement(s, actor=hood.admin, consultation_id=hood.consultation_id,
                              title=f"3号楼施工通知（第{i + 1}期）", body="本周东侧管线迁移，早八点到晚六点施工，请从北门进出。")
        s.commit()
    smtp.delay = 0.05  # each send takes a moment, so both senders are busy with one resident at once
    barrier = threading.Barrier(2)

    def sender(name: str) -> None:
        barrier.wait()
        send_due(pg_engine, worker=name, batch=1)

    threads = [threading.Thread(target=sender, args=(n,)) for n in ("a-host:1", "b-host:2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_person = Counter(r for m in smtp.messages for r in m.rcpt)
    assert per_person and max(per_person.values()) == 3, per_person
    with Session(pg_engine) as s:
        waiting = s.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)).all()
        assert waiting and all(m.sent_at is None and m.lease_owner is None for m in waiting)
