"""The address printed in QR codes (notices, code slips) and links: PORTAL_PUBLIC_URL when the
operator set it, else this machine on the port the server really runs on (issue 13 item 9)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from portal.settings import load_settings, public_url
from tests.support import ROOT


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ("PORTAL_PUBLIC_URL", "PORTAL_PORT", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test-secret-key")
    return monkeypatch


def test_without_a_public_address_the_qr_points_at_the_port_the_portal_runs_on(env):
    env.setenv("PORTAL_PORT", "8641")
    settings = load_settings()
    assert settings.public_base_url == "http://localhost:8641"
    assert settings.public_link("/results?id=3") == "http://localhost:8641/results?id=3"


def test_streamlits_default_port_when_nothing_is_said(env):
    assert load_settings().public_base_url == "http://localhost:8501"


def test_the_operators_public_address_wins_over_the_port(env):
    env.setenv("PORTAL_PORT", "8641")
    env.setenv("PORTAL_PUBLIC_URL", " https://yishi.wutongli.example.cn/ ")
    settings = load_settings()
    assert settings.public_base_url == "https://yishi.wutongli.example.cn"
    assert settings.public_link("results?id=12") == "https://yishi.wutongli.example.cn/results?id=12"


def test_an_empty_public_address_counts_as_unset(env):
    env.setenv("PORTAL_PUBLIC_URL", "")
    env.setenv("PORTAL_PORT", "9000")
    assert load_settings().public_base_url == "http://localhost:9000"


@pytest.mark.parametrize("bad", ["八六四一", "86a1", "0", "70000", "-1"])
def test_a_mistyped_port_is_refused_in_chinese(env, bad):
    env.setenv("PORTAL_PORT", bad)
    with pytest.raises(ValueError, match="PORTAL_PORT 应为 1–65535 之间的端口号"):
        load_settings()


def test_the_rule_itself():
    assert public_url("", 8641) == "http://localhost:8641"
    assert public_url("https://a.example.cn///", 8641) == "https://a.example.cn"


def _address_seen_by_server(port: int, extra_env: dict[str, str], tmp_path) -> str:
    """Load portal/server.py as `streamlit run --server.port PORT` does, in a fresh process,
    and print the public address the settings then give."""
    code = (
        "import sys; from streamlit import config; "
        f"config.set_option('server.port', {port}); "
        f"sys.argv = ['streamlit']; import runpy; runpy.run_path({str(ROOT / 'portal' / 'server.py')!r}); "
        "from portal.settings import get_settings; print(get_settings().public_base_url)"
    )
    env = {"PATH": "/usr/bin:/bin", "PORTAL_VAR_DIR": str(tmp_path), "PORTAL_SECRET_KEY": "k",
           "PYTHONPATH": str(ROOT), **extra_env}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_the_server_tells_the_settings_its_port(tmp_path):
    assert _address_seen_by_server(8641, {}, tmp_path) == "http://localhost:8641"
    # A stale PORTAL_PORT from the shell does not outvote the port the server really listens on.
    assert _address_seen_by_server(8642, {"PORTAL_PORT": "8501"}, tmp_path) == "http://localhost:8642"
    assert (_address_seen_by_server(8643, {"PORTAL_PUBLIC_URL": "https://yishi.example.cn"}, tmp_path)
            == "https://yishi.example.cn")
