"""People first (issue 13): every role walks its pages in Chromium at 1280 px and at 390 px.

What a person would notice is asserted on each page: it opens on our own Chinese menu (no
English dialog, no English in the file box), a phone's menu folds away after a page is chosen,
the home page offers both sign-ins in the page, a card's counts sit on one line, the results'
key figures are on the first screen, 大字模式 makes the numbers and chart text larger (not
smaller), 类似意见已有 N 条 is shown above 确认提交, the QR address follows the server's port,
and axe-core finds no serious or critical WCAG 2.1 A/AA violation on public and resident pages.
Screenshots go to test-output/<test>/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from portal.models import Role
from portal.services.actors import PERMISSIONS
from portal.ui.navigation import STAFF_PAGES
from tests.axe_check import assert_accessible
from tests.pdf_text import pdf_text
from tests.support import BROWSER_TIMEOUT_MS, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
ENGLISH = ("Page not found", "Running the app", "Upload", "per file", "Drag and drop", "Browse files",
           "Traceback", "View more", "View less", "No results", "Choose an option", "Choose options",
           "No options to select")
STAFF = {"admin": ("Admin2026", Role.ADMIN), "reviewer": ("Review2026", Role.REVIEWER),
         "clerk": ("Clerk2026", Role.CLERK)}  # the demo accounts


def offered(role: Role) -> list[str]:
    """The staff pages a role may open, from the one permission table."""
    return [p.title for p in STAFF_PAGES if p.permission is None or role in PERMISSIONS[p.permission]]


@pytest.fixture(params=list(WIDTHS))
def screen(request, browser):
    width, height = WIDTHS[request.param]
    phone = request.param == "phone"
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height},
                                  is_mobile=phone, has_touch=phone, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(BROWSER_TIMEOUT_MS)
    pg.is_phone = phone  # type: ignore[attr-defined]
    yield pg
    context.close()


def shown(pg) -> None:  # type: ignore[no-untyped-def]
    """The page has drawn its heading and finished its run."""
    pg.locator("[data-testid=stMain] h1").first.wait_for()
    settle(pg)


def visible_text(pg) -> str:  # type: ignore[no-untyped-def]
    """Text a person can see: elements drawn at font size 0 (replaced by our CSS) do not count."""
    return pg.evaluate("""() => {
        const out = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
            const el = walk.currentNode.parentElement;
            if (!el || !el.checkVisibility()) continue;
            if (parseFloat(getComputedStyle(el).fontSize) === 0) continue;
            out.push(walk.currentNode.textContent);
        }
        return out.join(' ');
    }""")


def no_english(pg) -> None:  # type: ignore[no-untyped-def]
    text = visible_text(pg)
    leaks = [w for w in ENGLISH if w in text]
    assert not leaks, f"English on {pg.url}: {leaks}"


def menu_folded(pg) -> bool:  # type: ignore[no-untyped-def]
    return pg.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true"


def choose(pg, title: str) -> None:  # type: ignore[no-untyped-def]
    """Pick a page from our menu as a person would (on a phone: open the menu first); on a
    phone the menu must fold away again once the page is chosen."""
    if menu_folded(pg):
        pg.get_by_test_id("stExpandSidebarButton").click()
    link = pg.locator(".st-key-nav a").filter(has=pg.get_by_text(title, exact=True))
    target = link.evaluate("a => a.pathname")
    link.click()
    pg.wait_for_function("(p) => location.pathname === p", arg=target)
    settle(pg)
    shown(pg)
    if pg.is_phone:
        expect(pg.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
        expect(pg.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    else:
        assert not menu_folded(pg), "the menu stays open on a computer"


PUBLIC = ("首页", "议题详情", "结果公示", "办理情况")


def menu_titles(pg) -> list[str]:  # type: ignore[no-untyped-def]
    """The titles our menu offers now (sidebar content is in the page even while folded)."""
    return [t.strip() for t in pg.locator(".st-key-nav [data-testid=stPageLink] p").all_text_contents()]


def snap(pg, shots, name: str) -> None:  # type: ignore[no-untyped-def]
    pg.screenshot(path=shots / f"{'phone' if pg.is_phone else 'desktop'}-{name}.png", full_page=True)


def published_results_id(pg, url: str) -> str:  # type: ignore[no-untyped-def]
    pg.goto(f"{url}/results")
    shown(pg)
    href = pg.get_by_role("link", name="查看结果与回应 →").first.get_attribute("href")
    return re.search(r"id=(\d+)", href or "").group(1)  # type: ignore[union-attr]


def enter_community(pg) -> bool:  # type: ignore[no-untyped-def]
    """On a street's home (one card per community), enter the first community's home."""
    pg.get_by_role("link", name=re.compile(r"^进入.*→$|^查看详情 →$")).first.wait_for()
    community = pg.get_by_role("link", name=re.compile("^进入.*→$"))
    if not community.count():
        return False
    no_english(pg)
    assert_accessible(pg, "街道首页")
    community.first.click()
    pg.get_by_text(re.compile("条意见 · ")).first.wait_for()
    settle(pg)
    return True


def font_px(locator) -> float:  # type: ignore[no-untyped-def]
    return locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def test_visitor_walks_the_public_pages(screen, portal_url, shots):
    pg = screen
    pg.goto(portal_url)
    shown(pg)
    if pg.is_phone:
        assert menu_folded(pg), "a phone opens on the page, not the menu"
    # Both ways in are in the page itself, also on a phone where the menu is folded away.
    entries = pg.locator(".st-key-home-sign-in")
    expect(entries.get_by_role("link", name=re.compile("居民登录"))).to_be_visible()
    expect(entries.get_by_role("link", name="工作人员登录")).to_be_visible()
    if enter_community(pg):  # a street's home lists its communities
        expect(pg.locator(".st-key-home-sign-in").get_by_role("link", name="工作人员登录")).to_be_visible()
    # Each card's three counts sit on one line.
    counts = pg.get_by_text(re.compile(r"条意见 · .*人参与 · .*次投票"))
    assert counts.count() >= 2
    for i in range(counts.count()):
        box = counts.nth(i).bounding_box()
        assert box and box["height"] < 2 * font_px(counts.nth(i)) * 1.2, "counts wrap onto a second line"
    assert pg.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone" if pg.is_phone else "desktop"][0]
    no_english(pg)
    assert_accessible(pg, "首页")
    snap(pg, shots, "home")

    for title in ("议题详情", "结果公示", "办理情况"):
        choose(pg, title)
        no_english(pg)
        assert_accessible(pg, title)
        snap(pg, shots, title)

    # A consultation's page, from its card (on 梧桐里社区's home: the demo is a street).
    pg.goto(f"{portal_url}/?c=wutongli")
    shown(pg)
    enter_community(pg)
    pg.get_by_role("link", name="查看详情 →").first.click()
    shown(pg)
    no_english(pg)
    assert_accessible(pg, "议题详情（某一议题）")
    snap(pg, shots, "consultation")

    # Results: the key figures are on the first screen; the rest is folded into tabs.
    rid = published_results_id(pg, portal_url)
    pg.goto(f"{portal_url}/results?id={rid}")
    shown(pg)
    metric = pg.get_by_test_id("stMetric").first
    metric.wait_for()
    box = metric.bounding_box()
    assert box and box["y"] + box["height"] <= pg.viewport_size["height"], "key figures below the first screen"
    expect(pg.get_by_role("tab", name="参与情况")).to_be_visible()
    no_english(pg)
    assert_accessible(pg, "结果公示（某一议题）")
    snap(pg, shots, "results")

    # The sign-in pages.
    for title in ("居民登录", "工作人员登录"):
        choose(pg, title)
        no_english(pg)
        assert_accessible(pg, title)


def test_large_text_makes_numbers_and_charts_larger(screen, portal_url, shots):
    pg = screen
    rid = published_results_id(pg, portal_url)
    sizes = {}
    for big in (False, True):
        pg.goto(f"{portal_url}/results?id={rid}" + ("&big=1" if big else ""))
        shown(pg)
        value = pg.get_by_test_id("stMetricValue").first
        label = pg.get_by_test_id("stMetricLabel").first
        body = pg.locator("[data-testid=stMain] [data-testid=stMarkdownContainer] p").first
        chart_text = pg.locator("[data-testid=stVegaLiteChart] svg text").first
        chart_text.wait_for()
        sizes[big] = {"value": font_px(value), "label": font_px(label.locator("p").first),
                      "body": font_px(body), "chart": font_px(chart_text)}
        cut = pg.get_by_test_id("stMetricValue").evaluate_all(
            "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")
        assert not cut, f"figures cut off: {cut}"
        if big:
            assert_accessible(pg, "结果公示（大字）")
            snap(pg, shots, "results-large-text")
    normal, large = sizes[False], sizes[True]
    for part in ("value", "label", "body", "chart"):
        assert large[part] >= normal[part] * 1.2, f"大字 {part}: {normal[part]} → {large[part]}"
    assert large["value"] > large["label"], "the key numbers stay larger than their labels"


def _resident_code(portal_env) -> str:  # type: ignore[no-untyped-def]
    out = subprocess.run([sys.executable, "-m", "portal.cli", "codes", "--demo", "1", "--community", "wutongli"],
                         env=portal_env, capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.strip().split()[-1]


def test_resident_walks_their_pages(screen, portal_url, portal_env, shots):
    pg = screen
    pg.goto(portal_url)
    shown(pg)
    pg.locator(".st-key-home-sign-in").get_by_role("link", name=re.compile("居民登录")).click()
    pg.get_by_label("参与码").fill(_resident_code(portal_env))
    pg.get_by_test_id("stFormSubmitButton").click()
    pg.get_by_text("已登录居民").first.wait_for(state="attached")
    settle(pg)
    expect(pg.locator(".st-key-home-sign-in")).to_have_count(0)  # signed in: no sign-in entries

    pg.locator(".st-key-nav").get_by_text("提意见", exact=True).wait_for(state="attached")
    mine = [t for t in menu_titles(pg) if t not in PUBLIC]
    assert {"提意见", "表态投票", "我的参与", "我的账号"} <= set(mine)
    mine.remove("提意见")
    for title in [*mine, "提意见"]:  # every page of theirs, ending on 提意见
        choose(pg, title)
        no_english(pg)
        assert_accessible(pg, title)
        snap(pg, shots, f"resident-{title}")

    # 提意见: an opinion much like ones already given; the hint comes before 确认提交.
    pg.get_by_label("您的意见").fill("建议尽快给我们楼加装电梯，老人每天爬楼太辛苦了，费用可以按楼层分摊。")
    pg.get_by_role("button", name="下一步：预览").click()
    confirm = pg.get_by_role("button", name="确认提交")
    confirm.wait_for()
    hint = pg.get_by_text(re.compile(r"类似意见已有 \d+ 条"))
    expect(hint).to_be_visible()
    assert hint.bounding_box()["y"] < confirm.bounding_box()["y"], "the hint must come before 确认提交"
    no_english(pg)
    assert_accessible(pg, "提意见（预览）")
    snap(pg, shots, "resident-give-preview")


@pytest.mark.parametrize("username", list(STAFF))
def test_staff_walk_their_pages(screen, portal_url, shots, username):
    pg = screen
    password, role = STAFF[username]
    pages = offered(role)
    pg.goto(portal_url)
    shown(pg)
    pg.locator(".st-key-home-sign-in").get_by_role("link", name="工作人员登录").click()
    pg.get_by_label("用户名").fill(username)
    pg.get_by_label("密码").fill(password)
    pg.get_by_test_id("stFormSubmitButton").click()
    pg.get_by_role("heading", name="工作台").wait_for()
    settle(pg)
    pg.locator(".st-key-nav").get_by_text("工作台", exact=True).wait_for(state="attached")
    menu = menu_titles(pg)
    for title in pages:
        assert title in menu, f"{username} misses {title}"
    for title in offered(Role.ADMIN):
        if title not in pages:
            assert title not in menu, f"{username} is offered {title}"
    for title in [t for t in menu if t not in PUBLIC]:  # every page the role is offered
        choose(pg, title)
        no_english(pg)
        snap(pg, shots, f"{username}-{title}")
    if username == "admin":
        choose(pg, "名册与参与码")
        pg.get_by_role("tab", name="导入名册").click()
        box = pg.get_by_test_id("stFileUploader").first
        box.wait_for()
        expect(pg.get_by_text("支持 CSV、XLSX 文件", exact=False).first).to_be_visible()
        after = box.locator("button p").first.evaluate("e => getComputedStyle(e, '::after').content")
        assert "选择文件" in after
        no_english(pg)
        box.screenshot(path=shots / f"{'phone' if pg.is_phone else 'desktop'}-file-box.png")


def test_a_picker_search_that_matches_nothing_says_so_in_chinese(page, portal_url):
    """Streamlit's "No results" has no parameter; our CSS draws 没有可选的选项 in its place."""
    pg = page
    pg.goto(f"{portal_url}/accountability?c=wutongli")
    shown(pg)
    box = pg.get_by_test_id("stMultiSelect").first
    box.locator("input").click()
    box.locator("input").fill("没有这个议题zzz")
    empty = pg.locator("[data-testid=stMultiSelectDropdown] [data-empty=true] [role=option] span")
    empty.wait_for()
    assert empty.evaluate("e => getComputedStyle(e, '::after').content") == '"没有可选的选项"'
    no_english(pg)


def test_qr_address_follows_the_port_the_portal_runs_on(page, portal_url):
    """No PORTAL_PUBLIC_URL: the printed notice's QR address is this server's own port."""
    port = urlparse(portal_url).port
    pg = page
    pg.is_phone = False  # type: ignore[attr-defined]
    rid = published_results_id(pg, portal_url)
    pg.goto(f"{portal_url}/results?id={rid}")
    shown(pg)
    pg.get_by_role("tab", name="下载与公示").click()
    with pg.expect_download() as download:
        pg.get_by_role("button", name=re.compile("下载公示单")).click()
    text = pdf_text(open(download.value.path(), "rb").read())
    assert f"localhost:{port}/results?id={rid}" in text
