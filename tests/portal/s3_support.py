"""An S3-compatible store for tests: moto's server on 127.0.0.1 speaks the real S3 HTTP protocol,
and boto3 talks to it exactly as it would to OSS, COS or MinIO."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from portal.settings import get_settings

BUCKET = "wutongli-files"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """For a fixture (``yield from``): a running S3 endpoint with an empty bucket, the portal's
    settings pointing at it; yields (moto server, boto3 client). Skips without moto or boto3."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] (test extra) is not installed")
    boto3 = pytest.importorskip("boto3", reason="boto3 (extra s3) is not installed")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # moto keeps its buckets per process: start every test from an empty store
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    for name, value in {"AWS_ACCESS_KEY_ID": "portal-test", "AWS_SECRET_ACCESS_KEY": "portal-test-secret",
                        "PORTAL_S3_URL": url, "PORTAL_S3_BUCKET": BUCKET, "PORTAL_S3_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield server, client
    server.stop()
    get_settings.cache_clear()
