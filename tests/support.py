"""Helpers shared by page and browser tests: a demo database built once per test process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portal.settings import PACKAGED_DATA

ROOT = Path(__file__).resolve().parent.parent
# A fixed Fernet key for contact details, so tests are deterministic (never a production key).
TEST_CONTACT_KEY = "dGVzdC1jb250YWN0LWtleS1mb3ItdGhlLXN1aXRlISE="
_DEMO_CACHE: dict[str, Path] = {}


def demo_database(workdir: Path) -> Path:
    """Path of a SQLite file holding the demo neighbourhood (built once, copied per caller)."""
    if "db" not in _DEMO_CACHE:
        build_dir = Path(os.environ.get("PYTEST_DEMO_DIR", workdir / "demo-build"))
        build_dir.mkdir(parents=True, exist_ok=True)
        db = build_dir / "demo.sqlite"
        if not db.exists():
            env = demo_env(build_dir, db)
            subprocess.run([sys.executable, "-m", "portal.cli", "demo"], env=env, check=True,
                           capture_output=True, timeout=600)
        _DEMO_CACHE["db"] = db
    target = workdir / "portal.sqlite"
    shutil.copy(_DEMO_CACHE["db"], target)
    return target


def demo_env(var_dir: Path, db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PORTAL_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{db}",
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_CONTACT_KEY": TEST_CONTACT_KEY,
        "PORTAL_DATA_DIR": str(PACKAGED_DATA),
    })
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_portal(var_dir: Path, db: Path | None = None, *, database_url: str | None = None,
                 port: int | None = None, log: Path | None = None,
                 extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run portal/server.py` (pages + sign-in routes) on ``port`` (a free one by
    default) over the SQLite file ``db`` or any ``database_url``; return the process and its URL.
    With ``log`` the server's output goes to that file (a long-lived replica would otherwise
    fill an unread pipe)."""
    port = port or free_port()
    env = demo_env(var_dir, db or var_dir / "unused.sqlite")
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra_env or {})
    out = open(log, "ab") if log is not None else subprocess.PIPE  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "portal" / "server.py"),
         "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    output = log.read_text(errors="replace") if log is not None else \
        (proc.stdout.read().decode() if proc.stdout else "")
    raise RuntimeError("streamlit did not start: " + output)


def settle(page) -> None:
    """Wait until the Streamlit app has finished its current rerun (the running indicator is
    gone): a click that lands while a rerun is still going can be lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=15_000)
    except PlaywrightTimeout:
        pass


def sign_out(page, *, within=None) -> None:
    """Press 退出登录 and wait until the browser has followed /auth/logout (the session cookie
    is gone), so the next action does not race the page reload."""
    from portal.services.identity.sessions import COOKIE_NAME

    (within or page).get_by_role("button", name="退出登录").click()
    deadline = time.time() + 30
    while any(c["name"] == COOKIE_NAME for c in page.context.cookies()):
        if time.time() > deadline:
            raise AssertionError("/auth/logout did not clear the session cookie")
        time.sleep(0.2)
    settle(page)
