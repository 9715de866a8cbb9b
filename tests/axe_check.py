"""axe-core in the real browser: no serious or critical WCAG 2.1 A/AA violation in a page's content.

axe-core comes from the npm registry (``npm pack axe-core@VERSION``), fetched once and kept in
the pytest cache folder; without npm or the registry the accessibility checks skip and say why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile

import pytest

from tests.support import ROOT

AXE_VERSION = "4.14.1"
CACHE = ROOT / ".pytest_cache" / "axe-core"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# Streamlit's own chrome, outside the page's content (decision 0020): the toolbar/status widget
# at the top right and the hidden file input inside a file box that its button opens. The
# sidebar (our menu, the 大字 switch, sign-out) and the whole main area are checked.
EXCLUDE = [
    ["[data-testid='stToolbar']"],
    ["[data-testid='stStatusWidget']"],
    ["[data-testid='stDecoration']"],
]


def axe_source() -> str:
    """The text of axe.min.js (fetched with npm into the pytest cache the first time)."""
    script = CACHE / AXE_VERSION / "axe.min.js"
    if script.exists():
        return script.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed (.ci/run installs it): accessibility checks skipped")
    folder = CACHE / AXE_VERSION
    folder.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(folder)],
                       check=True, capture_output=True, timeout=180, cwd=folder)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not fetch axe-core {AXE_VERSION} from the npm registry ({exc}): "
                    "accessibility checks skipped")
    with tarfile.open(folder / f"axe-core-{AXE_VERSION}.tgz") as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None
        script.write_bytes(member.read())
    return script.read_text(encoding="utf-8")


def violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        """async ([exclude, tags]) => {
            const r = await axe.run({include: [document], exclude},
                                    {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                          summary: (n.failureSummary || '').slice(0, 300)}))}));
        }""",
        [EXCLUDE, WCAG_TAGS],
    )
    return [v for v in result if v["impact"] in BLOCKING]


def assert_accessible(page, where: str) -> None:  # type: ignore[no-untyped-def]
    found = violations(page)
    assert not found, f"axe-core on {where}:\n" + json.dumps(found, ensure_ascii=False, indent=1)
