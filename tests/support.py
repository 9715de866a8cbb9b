"""Helpers shared by page and browser tests: a demo database built once per test process."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.settings import PACKAGED_DATA, get_settings

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


@contextlib.contextmanager
def server_settings(server: dict[str, str]) -> Iterator[None]:
    """This test process reads the same keys and database as a portal started with ``server``
    (``demo_env``): services read configuration themselves (decision 0019)."""
    with pytest.MonkeyPatch.context() as mp:
        for key in ("PORTAL_VAR_DIR", "DATABASE_URL", "PORTAL_SECRET_KEY", "PORTAL_CONTACT_KEY", "PORTAL_DATA_DIR"):
            mp.setenv(key, server[key])
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


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


# ---------------------------------------------------------------- nginx in front of replicas

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SHIPPED_NGINX = ROOT / "deploy" / "nginx"


def render_nginx(folder: Path, listen: int, replicas: list[int]) -> Path:
    """nginx.conf for a test on 127.0.0.1: the shipped upstream file with the test's replica
    ports, the shipped proxy snippet as it is, inside a server on ``listen``."""
    upstream = (SHIPPED_NGINX / "portal-upstream.conf").read_text(encoding="utf-8")
    lines = re.findall(r"^\s*server 127\.0\.0\.1:\d+ .*$", upstream, flags=re.M)
    assert lines, "the shipped upstream lists its replicas as `server 127.0.0.1:PORT ...;`"
    # one line per replica, with the shipped line's parameters (max_fails, fail_timeout)
    rendered = "\n".join(re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", lines[0]) for port in replicas)
    upstream = upstream.replace(lines[0], rendered, 1)
    for extra in lines[1:]:
        upstream = upstream.replace(extra + "\n", "", 1)
    (folder / "portal-upstream.conf").write_text(upstream, encoding="utf-8")
    shutil.copy(SHIPPED_NGINX / "portal-proxy.conf", folder / "portal-proxy.conf")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir(exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must write the temp folders
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log notice;
events {{ worker_connections 2048; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/portal-upstream.conf;
    server {{
        listen 127.0.0.1:{listen};
        server_name localhost;
        include {folder}/portal-proxy.conf;
    }}
}}
""", encoding="utf-8")
    return conf


def start_nginx(conf: Path) -> subprocess.Popen:
    """Check and start nginx (in the foreground, so the process held is nginx's master)."""
    assert NGINX is not None, "nginx is not installed"
    folder = conf.parent
    check = subprocess.run([NGINX, "-t", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx refuses the rendered config:\n{check.stderr}"
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return proc


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


# How long a browser test waits for one step. Generous on purpose: CI runs two test workers,
# portals and browsers on 2 cores, and a first rerun there once took over 30 s. Tests measure
# behaviour, never speed (speed lives in bench/).
BROWSER_TIMEOUT_MS = 60_000


_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return !!app && app.dataset.testScriptState === 'notRunning'
        && app.dataset.testConnectionState === 'CONNECTED'
        && !document.querySelector('[data-stale=true]');
}"""


def _hold(page, check, failure: str, *, polls: int = 3) -> None:
    """Poll ``check()`` every 100 ms until it has been true ``polls`` times in a row; fails with
    ``failure`` after ``BROWSER_TIMEOUT_MS``."""
    deadline = time.time() + BROWSER_TIMEOUT_MS / 1000
    held = 0
    while held < polls:
        if time.time() > deadline:
            raise AssertionError(failure)
        held = held + 1 if check() else 0
        page.wait_for_timeout(100)


def settle(page) -> None:
    """Wait until the Streamlit app is idle: no run going or requested (the app's own
    ``data-test-script-state``, which turns to ``rerunRequested`` the moment a click is sent),
    connected, and no element left over from an earlier run (``data-stale``) -- held for three
    checks 100 ms apart, since a page that calls ``st.rerun()`` is briefly "not running" between
    its two runs. A click that lands while a run is still drawing the page can hit an element
    that is about to be replaced, and a locator can match the old copy."""
    from playwright.sync_api import Error as PlaywrightError

    def idle() -> bool:
        try:
            return bool(page.evaluate(_IDLE_JS))
        except PlaywrightError:  # the page is navigating (sign-out reloads it): not idle yet
            return False

    _hold(page, idle, "the page did not become idle (still running or showing stale elements)")


def open_expander(page, label: str) -> None:
    """Open the expander called ``label`` and wait until it has finished unfolding (its box the
    same for three checks 100 ms apart). A click that lands while the content is still moving can
    press the mouse on one element and release it on another, which clicks nothing -- a person
    never clicks that fast, a test does."""
    box = page.get_by_test_id("stExpander").filter(has=page.locator("summary", has_text=label)).filter(visible=True)
    box.locator("summary").click()
    box.locator("details[open]").wait_for()
    settle(page)
    seen: list = [None]

    def unmoved() -> bool:
        now = box.bounding_box()
        same, seen[0] = now == seen[0], now
        return same

    _hold(page, unmoved, f"the expander {label!r} did not stop moving")


def go(page, title: str) -> None:
    """Click a menu page by its title (the menu lists every page, nothing is folded away) once
    the page before has finished drawing -- a menu click while it draws can be lost -- and wait
    until the new page has."""
    settle(page)
    page.locator(".st-key-nav").get_by_text(title, exact=True).click()
    settle(page)


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

