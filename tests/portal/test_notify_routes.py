"""The notification routes of the running portal (portal/server.py), over real HTTP:
the unsubscribe link of every e-mail and the SMS gateway's reply hook."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from sqlmodel import Session, select

from portal.models import ContactPoint
from portal.services.notifications.contacts import unsubscribe_token
from tests.portal.notify_support import build_hood
from tests.support import start_portal

pytestmark = pytest.mark.slow


@pytest.fixture
def portal(settings, engine, monkeypatch):
    monkeypatch.setenv("PORTAL_SMS_TOKEN", "gw-token-2026")
    with Session(engine, expire_on_commit=False) as s:
        hood = build_hood(s)
    proc, url = start_portal(settings.var_dir, settings.var_dir / "portal.sqlite")
    yield url, hood
    proc.kill()
    proc.wait()


def _request(url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _consent(engine, resident_id: int) -> bool:
    with Session(engine) as s:
        return s.exec(select(ContactPoint).where(ContactPoint.resident_id == resident_id)).one().consent


def test_unsubscribe_link_asks_first_then_withdraws(portal, engine):
    url, hood = portal
    with Session(engine) as s:
        cp = s.exec(select(ContactPoint).where(ContactPoint.resident_id == hood.by_email[0])).one()
    link = f"{url}/notify/unsubscribe?t={unsubscribe_token(cp.id)}"
    status, page = _request(link)
    assert status == 200 and "确认退订" in page
    assert _consent(engine, hood.by_email[0])  # a link scanner's GET changes nothing
    status, page = _request(link, data=b"List-Unsubscribe=One-Click")
    assert status == 200 and "已退订" in page
    assert not _consent(engine, hood.by_email[0])
    status, page = _request(f"{url}/notify/unsubscribe?t=forged.{cp.id}", data=b"")
    assert status == 400 and "链接无效" in page
    status, page = _request(f"{url}/notify/unsubscribe?t=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in page


def test_sms_reply_hook_needs_the_gateway_token_and_honours_tuiding(portal, engine):
    url, hood = portal
    body = json.dumps({"from": "+86 138 1234 5678", "text": "退订"}).encode()
    status, _ = _request(f"{url}/notify/sms-reply", data=body, headers={"Content-Type": "application/json"})
    assert status == 401 and _consent(engine, hood.by_sms)
    status, _ = _request(f"{url}/notify/sms-reply", data=body, headers={
        "Content-Type": "application/json", "Authorization": "Bearer wrong"})
    assert status == 401 and _consent(engine, hood.by_sms)
    chat = json.dumps({"from": "13812345678", "text": "收到，谢谢居委会"}).encode()
    status, answer = _request(f"{url}/notify/sms-reply", data=chat, headers={
        "Content-Type": "application/json", "Authorization": "Bearer gw-token-2026"})
    assert status == 200 and json.loads(answer)["withdrawn"] == 0 and _consent(engine, hood.by_sms)
    status, answer = _request(f"{url}/notify/sms-reply", data=b"from=13812345678&text=TD", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer gw-token-2026"})
    assert status == 200 and json.loads(answer)["withdrawn"] == 1
    assert not _consent(engine, hood.by_sms)
