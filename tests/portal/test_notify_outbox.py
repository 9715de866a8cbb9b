"""`consult outbox send` against real parts: aiosmtpd and a fake SMS gateway on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from portal.models import ContactPoint, OutboxMessage, OutboxStatus, Phase
from portal.services import consultations
from portal.services.notifications import outbox_status, send_announcement, send_due, unsubscribe
from portal.services.notifications.contacts import unsubscribe_token
from portal.settings import get_settings
from tests.portal.notify_support import EMAILS, PHONE, SmsGatewayFake, SmtpSink, build_hood

# Tomorrow 10:00 in China (02:00 UTC), outside quiet hours, after the notices were written;
# 22:30 in China that day is inside them; 08:00 the day after is when they end.
MORNING = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
NIGHT = MORNING + timedelta(hours=12, minutes=30)
NEXT_EIGHT = MORNING + timedelta(hours=22)


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def gateway():
    fake = SmsGatewayFake().start()
    yield fake
    fake.stop()


def configure(monkeypatch, **env: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()


@pytest.fixture
def hood(session, engine, smtp, gateway, monkeypatch):
    configure(monkeypatch, PORTAL_SMTP_URL=smtp.url, PORTAL_SMTP_FROM="梧桐里社区居委会 <jwh@wutongli.example.cn>",
              PORTAL_SMS_URL=gateway.url, PORTAL_SMS_TOKEN=gateway.token, PORTAL_SMS_TIMEOUT="1",
              PORTAL_PUBLIC_URL="https://yishi.wutongli.example.cn", PORTAL_NOTIFY_DAILY_CAP="3")
    h = build_hood(session)
    consultations.change_phase(session, actor=h.admin, consultation_id=h.consultation_id, to=Phase.COLLECTING)
    session.commit()
    return h


def statuses(engine) -> dict[str, int]:
    with Session(engine) as s:
        out: dict[str, int] = {}
        for m in s.exec(select(OutboxMessage)):
            out[f"{m.channel}:{m.status}"] = out.get(f"{m.channel}:{m.status}", 0) + 1
        return out


def test_a_real_smtp_conversation_delivers_each_email_once(engine, hood, smtp, gateway):
    report = send_due(engine, now=MORNING)
    assert report.sent == {"email": 3, "sms": 1}
    assert sorted(a for m in smtp.messages for a in m.rcpt) == sorted(EMAILS)
    assert smtp.logins  # signed in with the URL's user and password
    mail = smtp.to(EMAILS[0])[0]
    assert mail.header("Subject") == "【社区议事厅】新议题：3号楼加装电梯"
    assert "梧桐里社区居委会" in mail.header("From")
    assert f"https://yishi.wutongli.example.cn/consultation?id={hood.consultation_id}" in mail.text
    unsub = mail.header("List-Unsubscribe").strip("<>")
    assert unsub.startswith("https://yishi.wutongli.example.cn/notify/unsubscribe?t=") and unsub in mail.text
    assert gateway.received[0]["to"] == PHONE and gateway.received[0]["text"].startswith("【社区议事厅】")
    assert "回复退订" in gateway.received[0]["text"]
    # a second run sends nothing already sent
    again = send_due(engine, now=MORNING + timedelta(minutes=5))
    assert again.n_sent == 0 and len(smtp.messages) == 3 and len(gateway.received) == 1
    assert statuses(engine) == {"email:sent": 3, "sms:sent": 1, "paper:pending": 1}


def test_the_unsubscribe_link_in_the_mail_stops_the_next_one(engine, hood, smtp):
    send_due(engine, now=MORNING)
    token = smtp.to(EMAILS[0])[0].header("List-Unsubscribe").strip("<>").split("t=", 1)[1]
    with Session(engine) as s:
        assert unsubscribe(s, token=token)
        send_announcement(s, actor=hood.admin, consultation_id=hood.consultation_id, title="3号楼停水通知",
                          body="12月5日上午九点到十二点3号楼停水，请提前储水。")
        s.commit()
    send_due(engine, now=MORNING + timedelta(hours=1))
    assert len(smtp.to(EMAILS[0])) == 1
    assert len(smtp.to(EMAILS[1])) == 2


def test_refused_addresses_fail_at_once_and_show_on_the_dashboard(engine, hood, smtp):
    smtp.refuse.add(EMAILS[2])
    report = send_due(engine, now=MORNING)
    assert report.failed == 1 and report.sent["email"] == 2
    with Session(engine) as s:
        view = outbox_status(s, actor=hood.clerk, now=MORNING)
    assert [(f.channel_label, f.building, f.title) for f in view.failures] == [("电子邮件", "3号楼", "新议题：3号楼加装电梯")]
    assert "550" in view.failures[0].error and EMAILS[2] not in view.failures[0].error


def test_a_server_that_is_down_is_retried_with_back_off_then_given_up(engine, hood, smtp, gateway, monkeypatch):
    configure(monkeypatch, PORTAL_NOTIFY_MAX_ATTEMPTS="3", PORTAL_NOTIFY_RETRY_SECONDS="60")
    smtp.stop()
    gateway.stop()
    report = send_due(engine, now=MORNING)
    assert report.retried == 4 and report.n_sent == 0
    with Session(engine) as s:
        first = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).first()
        assert first.attempts == 1 and first.due_at.replace(tzinfo=UTC) == MORNING + timedelta(seconds=60)
        assert "无法连接邮件服务器" in first.last_error
    assert send_due(engine, now=MORNING + timedelta(seconds=30)).retried == 0  # not due yet
    assert send_due(engine, now=MORNING + timedelta(seconds=61)).retried == 4  # next wait: 120 s
    assert send_due(engine, now=MORNING + timedelta(seconds=61 + 119)).retried == 0
    final = send_due(engine, now=MORNING + timedelta(seconds=61 + 121))
    assert final.failed == 4
    assert statuses(engine) == {"email:failed": 3, "sms:failed": 1, "paper:pending": 1}


def test_sms_gateway_errors_and_timeouts_are_retried_and_a_refusal_is_final(engine, hood, gateway, smtp):
    gateway.script = ["timeout"]
    assert send_due(engine, now=MORNING).retried == 1
    gateway.script = [503]
    assert send_due(engine, now=MORNING + timedelta(minutes=2)).retried == 1
    gateway.script = [429]
    assert send_due(engine, now=MORNING + timedelta(minutes=5)).retried == 1
    assert send_due(engine, now=MORNING + timedelta(minutes=10)).sent == {"sms": 1}
    assert len(gateway.received) == 1
    with Session(engine) as s:
        msg = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
        assert msg.attempts == 4 and msg.status == OutboxStatus.SENT
        send_announcement(s, actor=hood.admin, consultation_id=hood.consultation_id, title="3号楼停水通知",
                          body="12月5日上午九点到十二点3号楼停水，请提前储水。")
        s.commit()
    gateway.script = [400]
    assert send_due(engine, now=MORNING + timedelta(minutes=20)).failed == 1


def test_a_wrong_gateway_token_is_a_refusal_not_a_retry_loop(engine, hood, gateway, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_TOKEN="wrong")
    assert send_due(engine, now=MORNING).failed == 1
    assert gateway.refused_auth == 1


def test_no_sms_in_quiet_hours_but_email_still_goes(engine, hood, smtp, gateway):
    report = send_due(engine, now=NIGHT)
    assert report.sent == {"email": 3} and report.deferred == 1 and gateway.received == []
    with Session(engine) as s:
        sms = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
        # 08:00 the next morning in China = 00:00 UTC
        assert sms.due_at.replace(tzinfo=UTC) == NEXT_EIGHT and sms.attempts == 0
    assert send_due(engine, now=NEXT_EIGHT - timedelta(minutes=1)).n_sent == 0  # 07:59 in China
    assert send_due(engine, now=NEXT_EIGHT).sent == {"sms": 1}


def test_quiet_hours_are_configurable(engine, hood, gateway, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_QUIET_HOURS="off")
    assert send_due(engine, now=NIGHT).sent["sms"] == 1


def test_the_daily_cap_holds_the_rest_until_tomorrow(engine, hood, smtp):
    with Session(engine) as s:
        for i in range(4):
            send_announcement(s, actor=hood.admin, consultation_id=hood.consultation_id, title=f"施工通知（第{i + 1}期）",
                              body="3号楼东侧加装电梯施工，请绕行北门，注意安全。")
        s.commit()
    report = send_due(engine, now=MORNING)
    assert len(smtp.to(EMAILS[0])) == 3  # 5 notices, a cap of 3 a day
    assert report.deferred >= 2
    assert send_due(engine, now=MORNING + timedelta(hours=3)).sent.get("email", 0) == 0
    send_due(engine, now=MORNING + timedelta(days=1))  # 10:00 the next day
    assert len(smtp.to(EMAILS[0])) == 5


def test_channels_without_configuration_wait_instead_of_failing(engine, hood, smtp, gateway, monkeypatch):
    configure(monkeypatch, PORTAL_SMTP_URL="", PORTAL_SMS_URL="")
    assert send_due(engine, now=MORNING).n_sent == 0
    with Session(engine) as s:
        view = outbox_status(s, actor=hood.clerk, now=MORNING)
    assert view.unconfigured == ["电子邮件", "短信"] and view.count("email", "pending") == 3


def test_withdrawn_consent_between_claim_and_send_is_respected(engine, hood, smtp):
    with Session(engine) as s:
        for cp in s.exec(select(ContactPoint)):
            assert unsubscribe(s, token=unsubscribe_token(cp.id))
        s.commit()
    report = send_due(engine, now=MORNING)
    assert report.n_sent == 0 and smtp.messages == []


def test_starttls_when_the_server_offers_it_and_a_certificate_we_do_not_trust_is_refused(
        engine, hood, tmp_path, monkeypatch):
    from tests.portal.notify_support import self_signed_tls

    ctx, cert = self_signed_tls(tmp_path)
    secure = SmtpSink(tls=ctx).start()
    try:
        configure(monkeypatch, PORTAL_SMTP_URL=secure.url, PORTAL_SMS_URL="")
        # without trusting the server's certificate: no mail, no password sent in clear, retried later
        untrusted = send_due(engine, now=MORNING)
        assert untrusted.n_sent == 0 and untrusted.retried == 3 and secure.logins == []
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        report = send_due(engine, now=MORNING + timedelta(minutes=2))
        assert report.sent == {"email": 3} and secure.logins  # AUTH only after STARTTLS (required by the server)
        assert sorted(a for m in secure.messages for a in m.rcpt) == sorted(EMAILS)
    finally:
        secure.stop()
