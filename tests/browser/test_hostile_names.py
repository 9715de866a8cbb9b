"""Hostile names in a real browser (issue 12.4): building, grid and community names from an
imported roster, a consultation title, opinions, comments, theme names, answers and status notes
all carry Markdown/HTML that would fetch an image from elsewhere or make a javascript: link. Every
public page (and a resident's pages) is loaded in Chromium; any request that leaves the portal's
own address fails the test, and no javascript: link and no image from user text may exist."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from portal.db import make_engine
from portal.services.actors import SystemActor
from portal.services.identity import issue_code
from portal.settings import get_settings
from tests.pages.world_app import NAME_PAYLOADS, salted_template  # noqa: F401  (fixture)
from tests.support import settle, start_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SECRET = "test-secret-key"  # what tests.support.demo_env gives the server


@pytest.fixture(scope="module")
def salted_portal(salted_template, tmp_path_factory):  # noqa: F811
    """The portal over a copy of the salted world; yields (url, salted world, a resident's code)."""
    path, salted = salted_template
    workdir = tmp_path_factory.mktemp("hostile-portal")
    db = workdir / "portal.sqlite"
    shutil.copy(path, db)
    engine = make_engine(f"sqlite:///{db}")
    old = os.environ.get("PORTAL_SECRET_KEY")
    os.environ["PORTAL_SECRET_KEY"] = SECRET  # hash the code with the key the server uses
    get_settings.cache_clear()
    try:
        with Session(engine) as s:
            code = issue_code(s, actor=SystemActor("test"), resident_id=salted.world.residents[0])
            s.commit()
    finally:
        if old is None:
            os.environ.pop("PORTAL_SECRET_KEY", None)
        else:
            os.environ["PORTAL_SECRET_KEY"] = old
        get_settings.cache_clear()
    engine.dispose()
    proc, url = start_portal(workdir / "var", db)
    yield url, salted, code
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


class Watch:
    """Every request the page makes, and those that leave the portal's address."""

    def __init__(self, pg, portal: str) -> None:
        self.portal = _origin(portal)
        self.outside: list[str] = []
        self.seen = 0
        pg.on("request", self._saw)

    def _saw(self, request) -> None:
        self.seen += 1
        scheme, _ = _origin(request.url)
        if scheme in {"data", "blob", "about"}:
            return  # no network involved
        if _origin(request.url) != self.portal:
            self.outside.append(request.url)


def _check_page(pg, watch: Watch, address: str, must_show: str) -> None:
    pg.goto(address)
    settle(pg)
    expect(pg.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible()
    pg.wait_for_timeout(800)  # let the page draw and any image or prefetch start
    assert watch.outside == [], f"{address} made requests outside the portal: {watch.outside}"
    js_links = pg.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"
                                       ".filter(h => /^\\s*javascript:/i.test(h))")
    assert js_links == [], f"{address}: javascript: links {js_links}"
    foreign_images = pg.eval_on_selector_all(
        "img", "els => els.map(e => e.getAttribute('src') || '')"
        ".filter(s => s.includes('8652') || s.includes('evil.example'))")
    assert foreign_images == [], f"{address}: images from user text {foreign_images}"
    # Markdown links made from user text would be <a> with the hostile target (or "#", what
    # Streamlit made of javascript:); a heading's own "#anchor" stays on the page and is fine.
    hostile_links = pg.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href')).filter(h => h === '#'"
        " || (!h.startsWith('#') && (h.includes('8652') || h.includes('evil.example'))))")
    assert hostile_links == [], f"{address}: links from user text {hostile_links}"
    expect(pg.get_by_text(must_show).first).to_be_visible()  # the hostile text is there, as text


def test_public_pages_never_reach_outside_the_portal(page, salted_portal):
    url, salted, _code = salted_portal
    watch = Watch(page, url)
    building, title = "track.png)3号楼", "**置顶** <img src="  # shown as typed (part without an address)
    visits = [
        (f"{url}/", title),
        (f"{url}/consultation?id={salted.collecting_id}", building),
        (f"{url}/consultation?id={salted.collecting_id}&opinion={salted.payload_opinions[0]}", building),
        (f"{url}/consultation?id={salted.published_id}", building),
        (f"{url}/results", "结果公示"),
        (f"{url}/results?id={salted.published_id}", "[车位](javascript:alert(1))"),
        (f"{url}/accountability", "[车位](javascript:alert(1))"),
    ]
    for address, shown in visits:
        _check_page(page, watch, address, shown)
    assert watch.seen > 20  # the listener did see the pages load


def test_a_residents_pages_never_reach_outside_the_portal(page, salted_portal):
    url, salted, code = salted_portal
    watch = Watch(page, url)
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("您已登录").first).to_be_visible()
    building = "track.png)3号楼"
    grid = NAME_PAYLOADS["grid"][0]
    # The sidebar says where the resident lives: the grid and building names, as typed.
    expect(page.get_by_test_id("stSidebar").get_by_text(grid, exact=False)).to_be_visible()
    assert watch.outside == [], watch.outside
    for address, shown in [
        (f"{url}/my", grid),
        (f"{url}/vote?id={salted.collecting_id}", building),
        (f"{url}/give?id={salted.collecting_id}", grid),  # the title is in the select box
        (f"{url}/consultation?id={salted.collecting_id}", building),
    ]:
        _check_page(page, watch, address, shown)
