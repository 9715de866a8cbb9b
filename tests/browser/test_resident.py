"""A resident in a real browser: sign in with a code, give an opinion with a phone number in it,
vote, comment, report, and find the opinion under 我的参与; also on a 390-px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, SQLModel

from portal.db import make_engine
from portal.services.actors import SystemActor
from portal.services.identity import issue_code
from tests.neighbourhood import build_neighbourhood
from tests.support import (
    demo_env,
    go,
    open_expander,
    server_settings,
    settle,
    sign_out,
    start_portal,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def hood_portal(tmp_path_factory):
    """The portal on a free port over the small neighbourhood; yields (url, issue_code())."""
    workdir = tmp_path_factory.mktemp("resident-portal")
    db = workdir / "portal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        hood = build_neighbourhood(s)

    def new_code(index: int = 0) -> str:
        # issue_code reads the secret from the settings: give this process the server's
        server = demo_env(workdir / "var", db)
        with server_settings(server), Session(engine) as s:
            code = issue_code(s, actor=SystemActor("test"), resident_id=hood.residents[index].id)
            s.commit()
        return code

    proc, url = start_portal(workdir / "var", db)
    yield url, new_code
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
    engine.dispose()


def sign_in(pg, url: str, code: str) -> None:
    pg.goto(f"{url}/sign_in")
    pg.get_by_label("参与码").fill(code)
    pg.get_by_role("button", name="登录").click()
    expect(pg.get_by_text("您已登录。登记住址：第一网格 · 3号楼")).to_be_visible()


def large_text(pg) -> None:
    """Wait until the page is drawn large: the root size 1.25 × 16 = 20 px, so even the smallest
    text (captions, 0.875 rem) is at least 17 px; fails after the default timeout."""
    pg.wait_for_function(
        "() => { const p = document.querySelector('[data-testid=stMain] p');"
        " return parseFloat(getComputedStyle(document.documentElement).fontSize) >= 19.5"
        " && p && parseFloat(getComputedStyle(p).fontSize) >= 17; }",
        timeout=10_000,
    )


def test_resident_takes_part_from_sign_in_to_my_participation(page, hood_portal, shots):
    url, new_code = hood_portal
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(re.compile("参与码不正确"))).to_be_visible()
    page.screenshot(path=shots / "01-wrong-code.png", full_page=True)

    sign_in(page, url, new_code())
    page.screenshot(path=shots / "02-signed-in.png", full_page=True)

    # Give an opinion with a phone number: the redacted version is shown before submitting.
    page.get_by_test_id("stMainBlockContainer").get_by_role("link", name=re.compile("提意见$")).click()
    box = page.get_by_test_id("stTextArea").locator("textarea")
    box.fill("晚上地面车位不够用，外来车太多。我愿意参加停车管理志愿队，电话13812345678。")
    page.get_by_role("button", name="下一步：预览").click()
    # The first preview loads the tokenizer and scikit-learn: allow it time.
    expect(page.get_by_text(re.compile("您的意见里有手机号"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"电话\[手机号\]"))).to_be_visible()
    page.screenshot(path=shots / "03-preview-redacted.png", full_page=True)
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_text("意见已提交，谢谢您！")).to_be_visible()
    expect(page.get_by_text("公开显示时已隐去您填写的手机号。")).to_be_visible()
    expect(box).to_have_value("")  # an empty box for the next opinion
    page.screenshot(path=shots / "04-submitted.png", full_page=True)

    # Vote on three opinions.
    go(page, "表态投票")
    for i, key in enumerate(["agree", "disagree", "pass"], start=1):
        settle(page)  # the card voted on before may linger, stale, until its run has finished
        card = re.search(r"st-key-vote-\w+-\d+", page.locator(f"[class*='st-key-vote-{key}-']").get_attribute("class"))
        page.locator(f"[class*='st-key-vote-{key}-'] button").click()
        expect(page.get_by_text(re.compile(f"已表态 {i} 条"))).to_be_visible()
        # the next card's buttons are drawn after the count: a click on the old ones would not count
        expect(page.locator(f"[class*='st-key-vote-{key}-']:not(.{card.group(0)}) button")).to_be_visible()
    page.screenshot(path=shots / "05-vote-queue.png", full_page=True)

    # Comment on the next opinion and report it.
    page.get_by_role("link", name="看看这条意见下的留言 →").click()
    page.get_by_label("写留言").fill("这个办法好，<b>支持</b>！希望尽快落实。")
    page.get_by_role("button", name="发表留言").click()
    expect(page.get_by_text("留言已发表。")).to_be_visible()
    expect(page.get_by_test_id("stText").get_by_text("这个办法好，<b>支持</b>！希望尽快落实。")).to_be_visible()
    expect(page.get_by_label("写留言")).to_have_value("")
    assert page.locator("[data-testid=stMain] b").count() == 0  # the tag was not run as HTML
    settle(page)  # the flash shows before the rest of the page has been drawn again
    open_expander(page, "举报不当内容")
    page.get_by_role("button", name="提交举报").click()  # no reason chosen yet: nothing is filed
    expect(page.get_by_text(re.compile("请先选择举报理由"))).to_be_visible()
    settle(page)
    field = (page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("理由", exact=True))
             .filter(visible=True).locator("input"))  # a comment's own report box may sit folded in the DOM
    field.click()  # by keyboard: clicking an option of a list that scrolls into view is flaky
    field.press_sequentially("广告")
    page.screenshot(path=shots / "06a-report-reason-typed.png", full_page=True)
    field.press("Enter")
    settle(page)
    page.get_by_role("button", name="提交举报").click()
    expect(page.get_by_text("举报已提交，居委会会尽快核实处理。谢谢！")).to_be_visible()
    page.screenshot(path=shots / "06-comment-and-report.png", full_page=True)

    # The opinion is under 我的参与, redacted, with the report waiting.
    go(page, "我的参与")
    expect(page.get_by_text(re.compile(r"志愿队，电话\[手机号\]。"))).to_be_visible()
    expect(page.get_by_text("公开时已隐去：手机号")).to_be_visible()
    expect(page.get_by_text(re.compile(r"我的投票（3）"))).to_be_visible()
    page.screenshot(path=shots / "07-my-participation.png", full_page=True)


def test_a_vote_counts_and_the_next_card_follows_without_the_page_around_it(page, hood_portal):
    url, new_code = hood_portal
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill(new_code(7))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(re.compile("您已登录"))).to_be_visible()
    go(page, "表态投票")
    first = page.locator("[class*='st-key-vote-agree-'] button")
    first_key = first.locator("xpath=ancestor::*[contains(@class, 'st-key-vote-agree-')]").get_attribute("class")
    first.click()
    expect(page.get_by_text(re.compile("已表态 1 条"))).to_be_visible()
    expect(page.get_by_text("刚才这条您选了“同意”：")).to_be_visible()
    # the next opinion's buttons, and the page around the card still there
    assert page.locator("[class*='st-key-vote-agree-'] button").locator(
        "xpath=ancestor::*[contains(@class, 'st-key-vote-agree-')]").get_attribute("class") != first_key
    expect(page.get_by_role("heading", name="表态投票")).to_be_visible()
    page.get_by_role("button", name="改成“不同意”").click()
    expect(page.get_by_text("刚才这条您选了“不同意”：")).to_be_visible()
    expect(page.get_by_text(re.compile("已表态 1 条"))).to_be_visible()  # changed, not counted twice
    go(page, "我的参与")
    expect(page.get_by_text(re.compile(r"我的投票（1）"))).to_be_visible()


def test_phone_layout_and_large_text(phone, hood_portal, shots):
    url, new_code = hood_portal
    sign_in(phone, url, new_code(2))
    phone.screenshot(path=shots / "phone-signed-in.png", full_page=True)
    phone.get_by_role("link", name=re.compile("给邻居的意见表态")).click()
    expect(phone.locator("[class*='st-key-vote-agree-'] button")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    box = phone.locator("[class*='st-key-vote-agree-'] button").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a large touch target, full width
    phone.screenshot(path=shots / "phone-vote.png", full_page=True)

    # The sidebar is folded away on a phone: open it to switch on 大字 and go to 我的参与.
    phone.get_by_test_id("stExpandSidebarButton").click()
    phone.get_by_text("大字模式").click()
    expect(phone).to_have_url(re.compile(r"big=1"))
    go(phone, "我的参与")
    expect(phone.get_by_role("heading", name="我的参与")).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/my\?big=1"))
    # Choosing a page folds the menu away on a phone.
    expect(phone.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    large_text(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=shots / "phone-my-large-text.png", full_page=True)

    phone.reload()  # a reload keeps 大字 (the sign-in itself does not survive a reload)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    large_text(phone)
    phone.screenshot(path=shots / "phone-after-reload.png", full_page=True)

    # A visitor reads a consultation on the phone: opinions wrap, nothing scrolls sideways.
    phone.goto(f"{url}/consultation?id=1")
    expect(phone.get_by_role("heading", name="停车难与非机动车充电")).to_be_visible()
    expect(phone.get_by_text("希望能把废弃的自行车棚改造成非机动车集中充电区，装上自动断电的插座。")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=shots / "phone-consultation.png", full_page=True)


def test_sign_in_survives_a_reload_until_signing_out(page, hood_portal, shots):
    url, new_code = hood_portal
    sign_in(page, url, new_code(4))
    go(page, "我的参与")
    expect(page.get_by_role("heading", name="我的参与")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="我的参与")).to_be_visible()
    expect(page.get_by_text("已登录居民 · 第一网格 3号楼")).to_be_visible()

    sign_out(page, within=page.get_by_test_id("stSidebar"))
    expect(page.locator(".st-key-nav").get_by_text("居民登录", exact=True)).to_be_visible()
    page.reload()
    expect(page.locator(".st-key-nav").get_by_text("居民登录", exact=True)).to_be_visible()
    assert page.get_by_text("已登录居民").count() == 0
    page.screenshot(path=shots / "signed-out-after-reload.png", full_page=True)
