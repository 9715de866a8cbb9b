"""Settings read from the environment, with defaults that suit one neighbourhood on one machine."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_DATA = PROJECT_ROOT / "data"


def _default_var_dir() -> Path:
    return Path(os.environ.get("PORTAL_VAR_DIR", PROJECT_ROOT / "var"))


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Every field can be set with the environment variable named."""

    database_url: str  # DATABASE_URL
    var_dir: Path  # PORTAL_VAR_DIR: database file, jieba cache, secret key
    data_dir: Path = PACKAGED_DATA  # PORTAL_DATA_DIR: dictionaries, stop words, fonts, demo
    secret_key: str = field(default="", repr=False)  # PORTAL_SECRET_KEY
    opinion_min_chars: int = 10  # PORTAL_OPINION_MIN_CHARS
    opinion_max_chars: int = 1000  # PORTAL_OPINION_MAX_CHARS
    session_hours: int = 8  # PORTAL_SESSION_HOURS: committee sign-in lifetime
    public_url_setting: str = ""  # PORTAL_PUBLIC_URL: the address residents open (QR codes, links)
    port: int = 8501  # PORTAL_PORT: the port the server listens on (portal/server.py sets it)
    trusted_proxies: str = ""  # PORTAL_TRUSTED_PROXIES: addresses/CIDRs whose X-Forwarded-For is believed
    # Notifications (decision 0024)
    contact_keys: tuple[str, ...] = field(default=(), repr=False)  # PORTAL_CONTACT_KEY, comma-separated Fernet keys
    smtp_url: str = field(default="", repr=False)  # PORTAL_SMTP_URL: smtp://user:pass@host:587
    smtp_from: str = "社区议事厅 <noreply@localhost>"  # PORTAL_SMTP_FROM
    sms_url: str = ""  # PORTAL_SMS_URL: the SMS gateway's HTTP endpoint
    sms_token: str = field(default="", repr=False)  # PORTAL_SMS_TOKEN
    sms_timeout_seconds: float = 10.0  # PORTAL_SMS_TIMEOUT
    quiet_hours: str = "21:00-08:00"  # PORTAL_SMS_QUIET_HOURS: no SMS in these China hours ("" = none)
    daily_cap: int = 3  # PORTAL_NOTIFY_DAILY_CAP: e-mails + SMS per resident per China day
    max_attempts: int = 6  # PORTAL_NOTIFY_MAX_ATTEMPTS: then the message is marked failed
    retry_base_seconds: int = 60  # PORTAL_NOTIFY_RETRY_SECONDS: first back-off, doubling

    @property
    def public_base_url(self) -> str:
        """The portal's public address, for QR codes on notices and code slips and for links in
        messages: ``PORTAL_PUBLIC_URL`` when set, else this machine on the port the server runs on
        (``make run PORT=8641`` prints QR codes for :8641, not Streamlit's default :8501)."""
        return public_url(self.public_url_setting, self.port)

    def public_link(self, path: str) -> str:
        """An absolute address on the public portal for ``path`` ("/results?id=3")."""
        return self.public_base_url.rstrip("/") + "/" + path.lstrip("/")
    # Uploaded documents and photos live in the database unless an S3-compatible store is named
    # (credentials from boto3's usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    s3_url: str = ""  # PORTAL_S3_URL: endpoint, e.g. https://oss-cn-shanghai.aliyuncs.com
    s3_bucket: str = "portal-files"  # PORTAL_S3_BUCKET
    s3_region: str = ""  # PORTAL_S3_REGION
    upload_max_mb: int = 20  # PORTAL_UPLOAD_MAX_MB: largest document or photo accepted

    @property
    def font_path(self) -> Path:
        return self.data_dir / "fonts" / "NotoSansSC-GB2312.otf"

    @property
    def jieba_cache_dir(self) -> Path:
        return self.var_dir / "cache"


def _secret_key(var_dir: Path) -> str:
    """The key that signs session tokens and peppers code hashes.

    Replicas must share it, so production sets PORTAL_SECRET_KEY; a single machine keeps one in
    its var folder so restarts do not sign everybody out or invalidate printed codes.
    """
    if key := os.environ.get("PORTAL_SECRET_KEY"):
        return key
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _contact_keys(var_dir: Path) -> tuple[str, ...]:
    """Fernet keys that encrypt residents' contact details (the first encrypts, all decrypt, so a
    new key can be put in front and old rows re-encrypted later). A single machine keeps one in
    its var folder; replicas must share PORTAL_CONTACT_KEY."""
    if raw := os.environ.get("PORTAL_CONTACT_KEY"):
        return tuple(k.strip() for k in raw.split(",") if k.strip())
    path = var_dir / "contact_key"
    if path.exists():
        return (path.read_text().strip(),)
    import base64

    var_dir.mkdir(parents=True, exist_ok=True)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    path.write_text(key)
    path.chmod(0o600)
    return (key,)


DEFAULT_PORT = 8501  # Streamlit's


def public_url(setting: str, port: int) -> str:
    """The rule for the public address: the operator's setting wins (stripped, without a
    trailing slash); without one, ``http://localhost:<port>``."""
    setting = setting.strip().rstrip("/")
    return setting or f"http://localhost:{port}"


def _port(value: str) -> int:
    value = value.strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"PORTAL_PORT 应为 1–65535 之间的端口号，现在是“{value}”")
    return int(value)


def load_settings() -> Settings:
    var_dir = _default_var_dir()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'portal.sqlite'}"
    return Settings(
        database_url=url,
        var_dir=var_dir,
        data_dir=Path(os.environ.get("PORTAL_DATA_DIR", PACKAGED_DATA)),
        secret_key=_secret_key(var_dir),
        opinion_min_chars=int(os.environ.get("PORTAL_OPINION_MIN_CHARS", 10)),
        opinion_max_chars=int(os.environ.get("PORTAL_OPINION_MAX_CHARS", 1000)),
        session_hours=int(os.environ.get("PORTAL_SESSION_HOURS", 8)),
        public_url_setting=os.environ.get("PORTAL_PUBLIC_URL", ""),
        port=_port(os.environ.get("PORTAL_PORT", "")),
        trusted_proxies=os.environ.get("PORTAL_TRUSTED_PROXIES", ""),
        contact_keys=_contact_keys(var_dir),
        smtp_url=os.environ.get("PORTAL_SMTP_URL", ""),
        smtp_from=os.environ.get("PORTAL_SMTP_FROM", "社区议事厅 <noreply@localhost>"),
        sms_url=os.environ.get("PORTAL_SMS_URL", ""),
        sms_token=os.environ.get("PORTAL_SMS_TOKEN", ""),
        sms_timeout_seconds=float(os.environ.get("PORTAL_SMS_TIMEOUT", 10)),
        quiet_hours=os.environ.get("PORTAL_SMS_QUIET_HOURS", "21:00-08:00"),
        daily_cap=int(os.environ.get("PORTAL_NOTIFY_DAILY_CAP", 3)),
        max_attempts=int(os.environ.get("PORTAL_NOTIFY_MAX_ATTEMPTS", 6)),
        retry_base_seconds=int(os.environ.get("PORTAL_NOTIFY_RETRY_SECONDS", 60)),
        s3_url=os.environ.get("PORTAL_S3_URL", ""),
        s3_bucket=os.environ.get("PORTAL_S3_BUCKET", "portal-files"),
        s3_region=os.environ.get("PORTAL_S3_REGION", ""),
        upload_max_mb=int(os.environ.get("PORTAL_UPLOAD_MAX_MB", 20)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
