"""Real parts for the notification tests: an SMTP server (aiosmtpd) and a fake SMS gateway
(http.server), both on 127.0.0.1, and a small neighbourhood with residents who chose channels."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session

from portal import models
from portal.services.actors import ResidentActor, SystemActor
from portal.services.notifications import contacts
from tests import factories
from tests.support import free_port

# ---------------------------------------------------------------- SMTP


@dataclass
class Received:
    rcpt: list[str]
    message: object  # email.message.EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_content()  # type: ignore[attr-defined]

    def header(self, name: str) -> str:
        return str(self.message[name])  # type: ignore[index]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.sink.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import asyncio

        received = Received(list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        if self.sink.hold_at is not None and len(self.sink.messages) == self.sink.hold_at:
            # The kill -9 test: the server has taken the message (it will be delivered) but its
            # "250" has not reached the sender yet when the sender is killed.
            self.sink.messages.append(received)
            self.sink.data_started.set()
            while not self.sink.release.is_set():
                await asyncio.sleep(0.05)
            return "250 Message accepted"
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        self.sink.messages.append(received)
        return "250 Message accepted"


@dataclass
class SmtpSink:
    """aiosmtpd on 127.0.0.1 with AUTH (user ``portal`` / ``s3cret``, over plain text: no TLS here)."""

    port: int = 0
    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)
    hold_at: int | None = None  # block the DATA of the message after this many were accepted
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0  # seconds before answering each DATA (concurrent senders overlap)
    data_started: threading.Event = field(default_factory=threading.Event)
    controller: Controller | None = None
    tls: object = None  # an ssl.SSLContext: offer STARTTLS, require it before AUTH and MAIL

    def start(self) -> SmtpSink:
        def auth(server, session, envelope, mechanism, data):  # noqa: ARG001
            ok = isinstance(data, LoginPassword) and data.login == b"portal" and data.password == b"s3cret"
            if ok:
                self.logins.append(mechanism)
            return AuthResult(success=ok)

        self.port = free_port()
        tls = {"tls_context": self.tls, "require_starttls": True} if self.tls is not None else {}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     authenticator=auth, auth_require_tls=self.tls is not None, **tls)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller is not None:
            self.controller.stop(no_assert=True)
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://portal:s3cret@127.0.0.1:{self.port}"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt]


def self_signed_tls(folder) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    """A server TLS context for 127.0.0.1 with a fresh self-signed certificate, and the path of
    that certificate (for the client to trust through SSL_CERT_FILE)."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, str(cert_path)


# ---------------------------------------------------------------- SMS gateway


@dataclass
class SmsGatewayFake:
    """Accepts ``POST /send`` with a bearer token; ``script`` is a list of what to do with the
    next requests: an HTTP status, or "timeout" (answer after the client gave up)."""

    token: str = "gw-token-2026"
    script: list[int | str] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    refused_auth: int = 0
    server: ThreadingHTTPServer | None = None

    def start(self) -> SmsGatewayFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # noqa: ARG002
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    fake.refused_auth += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                action = fake.script.pop(0) if fake.script else 200
                if action == "timeout":  # never answers in time, and drops the message
                    time.sleep(2.5)
                    return
                if action == 200:
                    fake.received.append(json.loads(body))
                self.send_response(int(action))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if action == 200 else b'{"error": "busy"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def __post_init__(self) -> None:
        self.port = 0

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


# ---------------------------------------------------------------- a neighbourhood


EMAILS = ["wang.jianguo@example.com", "li.xiuying@163.example.cn", "zhao.min@qq.example.com"]
PHONE = "13812345678"


@dataclass
class Hood:
    community_id: int
    consultation_id: int  # 3号楼加装电梯, a draft concerning 3号楼 only
    other_building_resident: int  # lives in 5号楼
    by_email: list[int]  # three residents of 3号楼 who agreed to e-mail (EMAILS)
    by_sms: int  # one who agreed to SMS (PHONE)
    paper: int  # one with no channel who never signed in: door-to-door
    web_only: int  # one with no channel who signs in with their code: the inbox is enough
    admin: object
    clerk: object


def resident_actor(session: Session, resident_id: int) -> ResidentActor:
    r = session.get(models.Resident, resident_id)
    a = session.get(models.Area, r.area_id)
    return ResidentActor(resident_id=r.id, community_id=r.community_id, area_id=a.id, area_name=a.name, grid=a.grid)


def build_hood(session: Session) -> Hood:
    hood = factories.community(session)
    three, five = factories.buildings(session, hood, [("3号楼", "第一网格"), ("5号楼", "第二网格")])
    people = factories.residents(session, hood, [three], 6, units=2)
    other = factories.residents(session, hood, [five], 1)[0]
    staff = factories.staff(session, hood)
    c = factories.consultation(session, hood, title="3号楼加装电梯", question="3号楼要不要加装电梯？费用怎么分摊？",
                               phase=models.Phase.DRAFT, closes_at=factories.days_from_now(10))
    session.add(models.ConsultationArea(consultation_id=c.id, area_id=three.id))
    session.add(models.ParticipationCode(resident_id=people[5].id, code_hash="x" * 64,
                                         last_used_at=factories.days_from_now(-1)))
    session.flush()
    for person, address in zip(people[:3], EMAILS, strict=True):
        contacts.set_my_contact(session, actor=resident_actor(session, person.id), channel="email", value=address)
    contacts.record_paper_consent(session, actor=staff[models.Role.CLERK], resident_id=people[3].id,
                                  channel="sms", value="138 1234 5678")
    session.commit()
    return Hood(hood.id, c.id, other.id, [p.id for p in people[:3]], people[3].id, people[4].id, people[5].id,
                staff[models.Role.ADMIN], staff[models.Role.CLERK])


SYSTEM = SystemActor("test")
