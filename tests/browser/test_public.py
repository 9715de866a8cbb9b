"""The public results in a real browser: the demo's published consultation (加装电梯)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.results_fixtures import demo_hidden, demo_pii

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def assert_no_pii(text: str, where: str) -> None:
    flat = re.sub(r"\s+", "", text)
    assert not PHONE_RE.search(flat) and not ID_RE.search(flat), where
    for secret in demo_pii() + demo_hidden():
        assert re.sub(r"\s+", "", secret) not in flat, f"{secret!r} on {where}"


def _tall(page, width: int) -> None:
    # Streamlit scrolls inside its own container, so a full-page screenshot needs a tall viewport.
    page.set_viewport_size({"width": width, "height": 4200})


def _wait_for_results(page) -> None:
    page.wait_for_selector("h1:has-text('加装电梯')")
    page.wait_for_selector("[data-testid=stVegaLiteChart] svg")
    page.wait_for_function("document.querySelectorAll('[data-testid=stVegaLiteChart] svg').length >= 2")


def check_public_results(page, phone, portal_url: str, shots: Path, title_part: str = "加装电梯") -> None:
    """Home → results of the published consultation; charts, word cloud, downloads, phone view."""
    page.goto(portal_url)
    page.get_by_text("社区议事厅").first.wait_for()
    street = page.locator("[class*='st-key-home-community-']")  # a street home: open the first community
    results = page.get_by_role("link", name=re.compile("查看结果、回应与办理进度"))
    street.or_(results).first.wait_for()  # the home page has drawn its list, whichever it is
    if street.count():
        street.first.get_by_role("link").click()
    page.get_by_role("link", name=re.compile("查看结果、回应与办理进度")).first.click()
    _wait_for_results(page)
    assert title_part in page.locator("h1").first.inner_text()
    results_url = page.url
    assert "/results?id=" in results_url

    # The word cloud is a real picture drawn with Chinese glyphs (not a broken image).
    cloud = page.locator("[data-testid=stImage] img").first
    cloud.wait_for()
    assert page.evaluate("img => img.naturalWidth", cloud.element_handle()) >= 400
    assert page.get_by_text("居委会决定", exact=False).count() >= 1
    assert_no_pii(page.locator("body").inner_text(), "results page")
    _tall(page, 1280)
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "results-desktop.png"))

    page.get_by_role("tab", name="参与情况").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "results-desktop-participation.png"))
    page.get_by_role("tab", name="共识与分歧").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "results-desktop-groups.png"))

    page.get_by_role("tab", name="下载与公示").click()
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("下载意见数据（CSV）")).click()
    csv_path = shots / "opinions.csv"
    info.value.save_as(csv_path)
    raw = csv_path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert rows and "text" in rows[0] and "agree" in rows[0]
    assert_no_pii(raw, "opinions CSV")
    assert all(not r["text"].startswith(("=", "+", "-", "@")) for r in rows)

    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("下载公示单（PDF")).click()
    pdf_path = shots / "notice.pdf"
    info.value.save_as(pdf_path)
    from pypdf import PdfReader

    from tests.pdf_text import pdf_text

    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    assert len(reader.pages) >= 1
    text = pdf_text(pdf_path.read_bytes())
    assert title_part in text and "公示日期" in text
    assert_no_pii(text, "notice PDF")
    page.screenshot(path=str(shots / "results-desktop-downloads.png"))

    # Phone: the same page at 390 px, no sideways scrolling, charts still drawn.
    phone.goto(results_url)
    _wait_for_results(phone)
    phone.locator("[data-testid=stImage] img").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392
    _tall(phone, 390)
    phone.wait_for_timeout(800)
    phone.screenshot(path=str(shots / "results-phone.png"))
    phone.get_by_role("tab", name="参与情况").click()
    phone.wait_for_timeout(800)
    phone.screenshot(path=str(shots / "results-phone-participation.png"))

    phone.goto(f"{portal_url}/accountability")
    phone.get_by_text("各议题的完整结果").wait_for()
    phone.wait_for_timeout(800)
    phone.screenshot(path=str(shots / "accountability-phone.png"))


def test_public_results_of_the_demo(page, phone, portal_url, shots):
    check_public_results(page, phone, portal_url, shots)
