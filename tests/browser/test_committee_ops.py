"""Committee operations in a real browser: the admin imports a roster and prints code slips,
then the clerk enters an opinion taken on paper."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, SQLModel, select

from portal.db import make_engine
from portal.models import Channel, Opinion, Resident
from tests.ops_support import PASSWORD, build_hood
from tests.support import go, settle, sign_out, start_portal

pytestmark = pytest.mark.browser

ROSTER = ("楼栋,单元,年龄段,户号\n"
          "1号楼,1单元,60-69,1-101\n1号楼,1单元,70-79,1-101\n2号楼,2单元,45-59,2-202\n"
          "4号楼,1,80岁以上,4-301\n4号楼,2,30-44,4-402\n")


@pytest.fixture(scope="module")
def ops_portal(tmp_path_factory):
    """The portal on a small neighbourhood (no analysis needed); yields (url, engine)."""
    workdir = tmp_path_factory.mktemp("ops-portal")
    db = workdir / "ops.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        build_hood(session)
    proc, url = start_portal(workdir / "var", db)
    yield url, engine
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    engine.dispose()


def sign_in(page, url, username):
    page.goto(url)
    go(page, "工作人员登录")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_test_id("stFormSubmitButton").click()
    page.get_by_text("已登录 ·").wait_for()


def test_admin_imports_roster_prints_codes_and_clerk_enters_paper_opinion(ops_portal, page, shots, tmp_path):
    url, engine = ops_portal
    sign_in(page, url, "wang")
    go(page, "名册与参与码")
    page.get_by_role("tab", name="导入名册").click()
    roster = tmp_path / "名册.csv"
    roster.write_bytes(ROSTER.encode("gbk"))  # as Excel on a Chinese Windows saves it
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(roster)
    page.get_by_text("文件编码 GBK/GB18030").wait_for()
    page.get_by_text("将新建楼栋：4号楼").wait_for()
    page.screenshot(path=shots / "roster-preview.png", full_page=True)
    page.get_by_role("button", name="导入 5 位居民").click()
    page.get_by_text("已导入 5 位居民，新建楼栋 4号楼").wait_for()
    with Session(engine) as s:
        assert len(s.exec(select(Resident)).all()) == 17

    page.get_by_role("tab", name="发放参与码").click()
    page.get_by_text("将为 17 位居民发放参与码，生成 3 页 A4 纸条").wait_for()
    page.get_by_role("button", name="发放并生成打印文件").click()
    page.get_by_text("已发放 17 个参与码").wait_for()
    page.screenshot(path=shots / "codes-issued.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载参与码纸条（PDF，A4 每页 8 张）").click()
    pdf_path = shots / "slips.pdf"
    info.value.save_as(pdf_path)
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    assert len(reader.pages) == 3
    text = "".join(reader.pages[0].extract_text().replace("\x00", "").split())
    assert "梧桐里社区" in text and "4号楼" in "".join(
        "".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf_path),
                        str(shots / "slips-page")], check=True)

    nav = page.locator(".st-key-nav")
    go(page, "议题管理")
    page.get_by_role("textbox", name="标题").fill("非机动车棚扩建")
    page.get_by_role("textbox", name="征求意见的问题").fill("车棚扩建后，您希望增加哪些设施？")
    page.get_by_role("button", name="创建议题（草稿）").click()
    page.get_by_text("已保存“非机动车棚扩建”").wait_for()
    page.get_by_role("button", name="切换到“征集中”").click()
    page.get_by_text("确认把“非机动车棚扩建”从“草稿”切换到“征集中”").wait_for()
    page.screenshot(path=shots / "consultation-confirm.png", full_page=True)
    page.get_by_role("button", name="确认切换").click()
    page.get_by_text("“非机动车棚扩建”已进入征集中阶段").wait_for()

    go(page, "账号管理")
    page.get_by_text("修改账号").wait_for()
    page.screenshot(path=shots / "users.png", full_page=True)

    sign_out(page)
    sign_in(page, url, "zhang")
    nav = page.locator(".st-key-nav")
    expect(nav.get_by_text("参与情况", exact=True)).to_be_visible()  # the menu is drawn after the heading
    expect(nav.get_by_text("账号管理")).to_have_count(0)  # a clerk does not manage accounts
    go(page, "线下意见录入")
    page.get_by_text("录入到哪个议题").wait_for()
    page.get_by_test_id("stSelectbox").filter(has_text="录入到哪个议题").click()
    page.get_by_role("option", name="楼道堆物清理 · 征集中").click()
    page.get_by_test_id("stSelectbox").filter(has_text="渠道").click()
    page.get_by_role("option", name="纸质").click()
    page.get_by_test_id("stSelectbox").filter(has_text="居民所在楼栋").click()
    page.get_by_role("option", name="第一网格 2号楼").click()
    page.get_by_test_id("stSelectbox").filter(has_text="名册中的居民").click()
    page.get_by_role("option", name="2单元 · 45-59 · 户号 2-202").click()
    page.get_by_label("意见内容（按居民原话录入）").fill(
        "楼道里堆的旧家具挡住了消防通道，希望物业本月内组织清理。联系电话13812345678")
    page.get_by_test_id("stFormSubmitButton").click()
    page.get_by_text("已录入一条纸质意见（已自动隐去其中的个人信息后公开）").wait_for()
    page.screenshot(path=shots / "paper-opinion.png", full_page=True)
    page.get_by_role("tab", name="渠道构成").click()
    page.locator("[data-testid=stVegaLiteChart] svg").get_by_text("上门走访").wait_for()
    page.screenshot(path=shots / "channel-mix.png", full_page=True)

    go(page, "参与情况")
    page.get_by_test_id("stSelectbox").filter(has_text="议题").click()
    page.get_by_role("option", name="楼道堆物清理 · 征集中").click()
    page.get_by_text("参与偏少的楼栋").wait_for()
    page.locator("[data-testid=stVegaLiteChart] svg").get_by_text("参与者占比").first.wait_for()
    page.screenshot(path=shots / "participation.png", full_page=True)
    with Session(engine) as s:
        op = s.exec(select(Opinion)).one()
        assert op.channel == Channel.PAPER and "13812345678" not in op.text_public
        assert op.resident_id is not None and op.entered_by is not None


def test_clerk_sees_row_errors_and_bulk_imports_hotline_opinions(ops_portal, page, shots, tmp_path):
    url, engine = ops_portal
    with Session(engine) as s:
        residents_before = len(s.exec(select(Resident)).all())
        opinions_before = len(s.exec(select(Opinion)).all())
    sign_in(page, url, "zhang")
    nav = page.locator(".st-key-nav")
    go(page, "名册与参与码")
    page.get_by_role("tab", name="导入名册").click()
    broken = tmp_path / "名册-有错.csv"
    broken.write_bytes("楼栋,单元,年龄段\n1号楼,1单元,60-69\n,2单元,30-44\n2号楼,1单元,六十多岁\n"
                       .encode("utf-8-sig"))
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(broken)
    page.get_by_text("有 2 行有误，请在原文件中改正后重新上传（未导入任何记录）").wait_for()
    page.screenshot(path=shots / "roster-errors.png", full_page=True)
    assert page.get_by_role("button", name="导入").count() == 0
    with Session(engine) as s:
        assert len(s.exec(select(Resident)).all()) == residents_before

    go(page, "线下意见录入")
    page.get_by_test_id("stSelectbox").filter(has_text="录入到哪个议题").click()
    page.get_by_role("option", name="楼道堆物清理 · 征集中").click()
    settle(page)
    page.get_by_role("tab", name="批量导入").click()
    hotline = tmp_path / "12345工单.csv"
    hotline.write_bytes(("意见内容,渠道,收到日期,楼栋\n"
                         "反映3号楼楼道里长期堆放装修垃圾，无人清理。,12345热线,2026-05-18,3号楼\n"
                         "电话反映一楼住户在楼道养鸡，气味很大。,电话,2026/5/19,1号楼\n").encode("gbk"))
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(hotline)
    page.get_by_role("button", name="导入 2 条意见").wait_for()
    page.screenshot(path=shots / "offline-preview.png", full_page=True)
    settle(page)
    page.get_by_role("button", name="导入 2 条意见").click()
    page.get_by_text("已导入 2 条线下意见").wait_for()
    with Session(engine) as s:
        assert len(s.exec(select(Opinion)).all()) == opinions_before + 2
    # the same file a second time: the page asks before writing anything, and 取消 writes nothing
    settle(page)
    page.get_by_role("tab", name="批量导入").click()
    uploader = page.locator("[data-testid=stFileUploaderDropzoneInput]")
    expect(uploader).to_have_count(1)  # the emptied uploader replaces the used one after the rerun
    uploader.set_input_files(hotline)
    page.get_by_text("其中 2 行与已导入的意见相同").wait_for()
    assert page.get_by_role("button", name="跳过已导入的，导入 0 条").is_disabled()
    page.get_by_role("button", name="仍然导入全部 2 条").wait_for()
    settle(page)
    page.get_by_role("button", name="取消，不导入").click()
    page.get_by_text("已取消，没有导入任何意见。").wait_for()
    with Session(engine) as s:
        assert len(s.exec(select(Opinion)).all()) == opinions_before + 2

    # the reviewer exports the consultation for the committee's records
    sign_out(page)
    sign_in(page, url, "li")
    nav = page.locator(".st-key-nav")
    expect(nav.get_by_text("数据导出", exact=True)).to_be_visible()  # the reviewer's menu, once drawn
    expect(nav.get_by_text("线下意见录入")).to_have_count(0)  # a reviewer does not enter opinions
    go(page, "数据导出")
    page.get_by_test_id("stSelectbox").filter(has_text="议题").click()
    page.get_by_role("option", name="楼道堆物清理 · 征集中").click()
    settle(page)
    page.get_by_role("button", name="生成导出文件").click()
    page.get_by_text("已生成：").wait_for()
    page.screenshot(path=shots / "export.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel（每张表一个工作表）").click()
    xlsx = tmp_path / info.value.suggested_filename
    info.value.save_as(xlsx)
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx)["意见"]
    texts = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "电话反映一楼住户在楼道养鸡，气味很大。" in texts
    assert any("13812345678" in t for t in texts)  # the original, which the public never sees
