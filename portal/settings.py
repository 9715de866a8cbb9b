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
    public_base_url: str = "http://localhost:8501"  # PORTAL_PUBLIC_URL, for QR codes on notices
    trusted_proxies: str = ""  # PORTAL_TRUSTED_PROXIES: addresses/CIDRs whose X-Forwarded-For is believed
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
        public_base_url=os.environ.get("PORTAL_PUBLIC_URL", "http://localhost:8501"),
        trusted_proxies=os.environ.get("PORTAL_TRUSTED_PROXIES", ""),
        s3_url=os.environ.get("PORTAL_S3_URL", ""),
        s3_bucket=os.environ.get("PORTAL_S3_BUCKET", "portal-files"),
        s3_region=os.environ.get("PORTAL_S3_REGION", ""),
        upload_max_mb=int(os.environ.get("PORTAL_UPLOAD_MAX_MB", 20)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
