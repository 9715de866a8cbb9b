"""The running portal never hands out its database file, its secret key or its configuration,
whatever path a visitor tries (plain HTTP against `streamlit run`, loopback only)."""

from __future__ import annotations

import http.client
import secrets
import shutil
from urllib.parse import urlsplit

import pytest
from sqlmodel import SQLModel

from portal.db import make_engine
from portal.models import Community
from tests.support import ROOT, start_portal

PATHS = [
    "/var/portal.sqlite", "/portal.sqlite", "/var/secret_key", "/secret_key",
    "/app/static/../var/secret_key", "/app/static/..%2fvar%2fsecret_key",
    "/app/static/%2e%2e/%2e%2e/var/secret_key", "/app/static/portal.sqlite",
    "/static/../var/portal.sqlite", "/static/..%2f..%2fvar%2fportal.sqlite",
    "/media/../var/portal.sqlite", "/component/../var/secret_key",
    "/_stcore/../var/secret_key", "/_stcore/static/../../var/secret_key",
    "/..%2f..%2fvar%2fsecret_key", "/%2e%2e/%2e%2e/var/portal.sqlite",
    "/.streamlit/secrets.toml", "/.streamlit/config.toml", "/pyproject.toml",
    "/portal/settings.py", "/var/", "/var/cache/",
]


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("not-served")
    var = workdir / "var"
    var.mkdir()
    db = var / "portal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    from sqlmodel import Session

    with Session(engine) as s:
        s.add(Community(name="梧桐里社区"))
        s.commit()
    engine.dispose()
    key = "k-" + secrets.token_hex(16)
    (var / "secret_key").write_text(key)
    # The same files in the project's own var/ folder: the server's working directory.
    (ROOT / "var").mkdir(exist_ok=True)
    planted = ROOT / "var" / "not-served-probe.sqlite"
    shutil.copy(db, planted)
    proc, url = start_portal(var, db)
    try:
        yield url, key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            proc.kill()
        planted.unlink(missing_ok=True)


def _get(url: str, path: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path)  # sent exactly as written: no client-side normalisation
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.mark.slow
def test_database_and_secret_key_are_never_served(running):
    url, key = running
    served = []
    for path in PATHS + ["/var/not-served-probe.sqlite", "/app/static/../var/not-served-probe.sqlite"]:
        status, body = _get(url, path)
        if b"SQLite format 3" in body or key.encode() in body or b"test-secret-key" in body \
                or b"DATABASE_URL" in body or b"maxUploadSize" in body:
            served.append(f"{path} -> {status}")
    assert served == []
    # and the server was really up and answering
    status, body = _get(url, "/_stcore/health")
    assert status == 200 and body.strip() == b"ok"
