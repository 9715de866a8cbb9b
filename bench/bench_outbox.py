"""Outbox send throughput against a local SMTP server, with plain smtplib as the baseline.

A temporary SQLite database holds N residents of one building who agreed to e-mail, and one
announcement to all of them (N outbox rows). Measured in the same run against the same aiosmtpd
server on 127.0.0.1: (a) plain ``smtplib`` sending N messages over one connection (the floor:
no database, no encryption); (b) ``send_due`` (claim with a lease, per message: consent check,
daily cap count, decrypt, render, send, record, each step its own transaction). Reported as
messages per second and the ratio (b)/(a). Then a second ``send_due`` run (nothing due) to show
that an idle cron run costs little. CPU time beside wall time (the machine is shared).

    PYTHONPATH=$PWD python bench/bench_outbox.py [N]
"""

from __future__ import annotations

import os
import smtplib
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path


def main(n: int = 500) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"PORTAL_VAR_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
                           "PORTAL_SECRET_KEY": "bench-secret", "PORTAL_NOTIFY_DAILY_CAP": "100",
                           "PORTAL_CONTACT_KEY": "dGVzdC1jb250YWN0LWtleS1mb3ItdGhlLXN1aXRlISE="})
        from sqlmodel import Session, SQLModel

        from portal.db import make_engine
        from portal.models import (
            Area,
            Community,
            Consultation,
            ConsultationArea,
            Phase,
            Resident,
            Role,
        )
        from portal.services.actors import CommitteeActor
        from portal.services.identity import resident_actor
        from portal.services.notifications import send_announcement, send_due, set_my_contact
        from portal.settings import get_settings
        from tests.portal.notify_support import SmtpSink

        sink = SmtpSink().start()
        os.environ["PORTAL_SMTP_URL"] = sink.url
        get_settings.cache_clear()
        engine = make_engine(get_settings().database_url)
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as s:
            hood = Community(name="梧桐里社区")
            s.add(hood)
            s.flush()
            area = Area(community_id=hood.id, name="3号楼", grid="第一网格")
            s.add(area)
            s.flush()
            people = [Resident(community_id=hood.id, area_id=area.id, unit=f"{i % 6 + 1}单元") for i in range(n)]
            s.add_all(people)
            c = Consultation(community_id=hood.id, title="3号楼加装电梯", question="要不要加装电梯？", phase=Phase.COLLECTING)
            s.add(c)
            s.flush()
            s.add(ConsultationArea(consultation_id=c.id, area_id=area.id))
            for i, r in enumerate(people):
                set_my_contact(s, actor=resident_actor(s, r), channel="email", value=f"jumin{i:04d}@example.cn")
            admin = CommitteeActor(user_id=None, username="admin", display_name="王主任", role=Role.ADMIN)  # type: ignore[arg-type]
            send_announcement(s, actor=admin, consultation_id=c.id, title="3号楼加装电梯施工通知",
                              body="12月8日起3号楼东侧施工，请从北门进出，施工期间注意安全。")
            s.commit()

        # (a) baseline: plain smtplib, one connection, the same message size
        body = "12月8日起3号楼东侧施工，请从北门进出，施工期间注意安全。\n\n查看详情：http://localhost:8501/consultation?id=1\n" * 2
        t0, c0 = time.perf_counter(), time.process_time()
        with smtplib.SMTP("127.0.0.1", sink.port) as conn:
            conn.login("portal", "s3cret")
            for i in range(n):
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = "noreply@localhost", f"jumin{i:04d}@example.cn", "施工通知"
                msg.set_content(body)
                conn.send_message(msg)
        base_wall, base_cpu = time.perf_counter() - t0, time.process_time() - c0
        sink.messages.clear()

        # (b) the outbox
        t0, c0 = time.perf_counter(), time.process_time()
        report = send_due(engine, batch=50)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.sent["email"] == n and len(sink.messages) == n, report

        t0 = time.perf_counter()
        idle = send_due(engine)
        idle_wall = time.perf_counter() - t0
        assert idle.n_sent == 0
        sink.stop()
        engine.dispose()

    print(f"messages: {n}")
    print(f"plain smtplib (baseline): {n / base_wall:8.0f} msg/s  wall {base_wall:6.2f} s  cpu {base_cpu:6.2f} s")
    print(f"consult outbox send:      {n / wall:8.0f} msg/s  wall {wall:6.2f} s  cpu {cpu:6.2f} s")
    print(f"ratio outbox / baseline (wall): {wall / base_wall:5.1f}x")
    print(f"idle run (nothing due): {idle_wall * 1000:.0f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
