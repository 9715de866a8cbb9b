"""How a notice leaves the portal: e-mail over SMTP, SMS through an HTTP gateway.

No database here. A transport either returns (the other side accepted the message) or raises
:class:`TemporaryFailure` (try again later: connection refused, timeout, 4xx/5xx that may pass)
or :class:`PermanentFailure` (the address is refused for good: do not retry). Error texts never
carry the address or number, so they can be stored and shown to staff.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit


class DeliveryError(Exception):
    pass


class TemporaryFailure(DeliveryError):
    pass


class PermanentFailure(DeliveryError):
    pass


class NotConfigured(PermanentFailure):
    pass


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    unsubscribe_url: str


# ---------------------------------------------------------------- e-mail


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    implicit_tls: bool  # smtps:// (port 465); smtp:// uses STARTTLS when the server offers it
    sender: str
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpConfig:
        """``smtp://user:pass@host:587`` or ``smtps://user:pass@host:465``."""
        if not url:
            raise NotConfigured("没有配置 PORTAL_SMTP_URL，无法发送邮件。")
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise NotConfigured("PORTAL_SMTP_URL 格式不正确，示例：smtp://user:pass@smtp.example.com:587")
        implicit = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if implicit else 587), unquote(parts.username or ""),
                   unquote(parts.password or ""), implicit, sender)


class SmtpMailer:
    """One SMTP connection for a batch (opened on first use, reopened after a drop)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        try:
            if c.implicit_tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                conn.ehlo()
                if conn.has_extn("starttls"):
                    conn.starttls(context=context)
                    conn.ehlo()
            if c.username:
                conn.login(c.username, c.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(f"邮件服务器拒绝登录（{exc.smtp_code}），请检查 PORTAL_SMTP_URL 的用户名和密码") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"无法连接邮件服务器 {c.host}:{c.port}：{type(exc).__name__}") from exc
        return conn

    def send(self, mail: Email) -> None:
        msg = EmailMessage()
        name, addr = parseaddr(self.config.sender)
        msg["From"] = formataddr((name, addr)) if name else addr
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Message-ID"] = make_msgid(domain=(addr.rpartition("@")[2] or "localhost"))
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(mail.text)
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.send_message(msg)
                return
            except smtplib.SMTPRecipientsRefused as exc:
                code = next(iter(exc.recipients.values()))[0]
                self._forget()
                if 500 <= code < 600:
                    raise PermanentFailure(f"邮件服务器拒收这个地址（{code}）") from exc
                raise TemporaryFailure(f"邮件服务器暂时拒收（{code}）") from exc
            except smtplib.SMTPResponseException as exc:
                self._forget()
                if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (421, 451, 452):
                    raise PermanentFailure(f"邮件服务器拒收（{exc.smtp_code}）") from exc
                raise TemporaryFailure(f"邮件服务器暂时拒收（{exc.smtp_code}）") from exc
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._forget()
                if attempt == 2:
                    raise TemporaryFailure(f"与邮件服务器的连接中断：{type(exc).__name__}") from exc

    def _forget(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
        self._conn = None


# ---------------------------------------------------------------- SMS


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class HttpSmsGateway:
    """POST ``{"to": phone, "text": text}`` as JSON to ``PORTAL_SMS_URL`` with
    ``Authorization: Bearer PORTAL_SMS_TOKEN``. 2xx: accepted. 400/401/403/404/422: refused for
    good. 429, 5xx, timeouts and refused connections: try again later."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        if not url:
            raise NotConfigured("没有配置 PORTAL_SMS_URL，无法发送短信。")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> None:
        data = json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise TemporaryFailure(f"短信网关暂时不可用（HTTP {exc.code}）") from exc
            raise PermanentFailure(f"短信网关拒绝发送（HTTP {exc.code}）") from exc
        except TimeoutError as exc:
            raise TemporaryFailure("短信网关超时未响应") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError | socket.timeout):
                raise TemporaryFailure("短信网关超时未响应") from exc
            raise TemporaryFailure(f"无法连接短信网关：{type(reason).__name__}") from exc

    def close(self) -> None:
        pass
