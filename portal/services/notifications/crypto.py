"""Residents' contact details at rest: encrypted, looked up by a keyed hash, shown masked.

Pure helpers with explicit keys (decision 0019); the services pass what they read from the
settings. Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) encrypts each value;
MultiFernet decrypts with any of the configured keys, so a new key can be put in front of the old
one. The lookup hash is an HMAC-SHA256 of the normalised value keyed with the secret key: the same
number always gives the same hash (to find who replied 退订, to see that a value was entered
again), and the hash is useless without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal.models import ContactChannel
from portal.services.errors import InvalidInput, ServiceError

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class ContactKeyError(ServiceError):
    """PORTAL_CONTACT_KEY is missing or not a Fernet key (message in Chinese)."""


def cipher(keys: Sequence[str]) -> MultiFernet:
    """The cipher for ``keys`` (the first encrypts, every one decrypts)."""
    if not keys:
        raise ContactKeyError("没有配置 PORTAL_CONTACT_KEY，无法加密居民联系方式。")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise ContactKeyError(
            "PORTAL_CONTACT_KEY 不是有效的密钥：需要 32 字节的 URL 安全 Base64 字符串"
            "（可用 python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\" 生成）。"
        ) from exc


def encrypt(value: str, keys: Sequence[str]) -> str:
    return cipher(keys).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str, keys: Sequence[str]) -> str:
    try:
        return cipher(keys).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ContactKeyError("无法解密联系方式：PORTAL_CONTACT_KEY 与加密时使用的密钥不一致。") from exc


def normalise(channel: ContactChannel | str, raw: str) -> str:
    """The canonical form of an e-mail address or a mainland mobile number; a clear Chinese
    refusal for anything else."""
    channel = ContactChannel(channel)
    text = "".join((raw or "").split())
    if channel == ContactChannel.EMAIL:
        text = text.replace("＠", "@").replace("。", ".")
        if len(text) > 254 or not _EMAIL_RE.match(text):
            raise InvalidInput("邮箱地址格式不正确，请检查后重新填写，例如 zhang.li@example.com。")
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    digits = text.replace("-", "").replace("(", "").replace(")", "")
    digits = digits.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
    if not _MOBILE_RE.match(digits):
        raise InvalidInput("手机号码格式不正确：请填写 11 位中国大陆手机号，例如 13812345678。")
    return digits


def lookup_hash(channel: ContactChannel | str, normalised: str, secret: str) -> str:
    message = f"{ContactChannel(channel).value}:{normalised}".encode()
    return hmac.new(f"contact-lookup:{secret}".encode(), message, hashlib.sha256).hexdigest()


def mask(channel: ContactChannel | str, normalised: str) -> str:
    """What staff and the resident see: 138****5678, z***@example.com."""
    if ContactChannel(channel) == ContactChannel.SMS:
        return normalised[:3] + "****" + normalised[-4:]
    local, _, domain = normalised.rpartition("@")
    return f"{local[:1]}***@{domain}"
