"""A resident adds a phone photo to an opinion in a real browser: a renamed program is refused
with the text kept, a real photo is stored without its GPS position and waits for review."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect
from sqlmodel import Session, SQLModel, select

from portal.db import make_engine
from portal.models import Opinion, OpinionPhoto, PhotoReview, StoredFile
from portal.services.actors import SystemActor
from portal.services.identity import issue_code
from tests import files
from tests.neighbourhood import build_neighbourhood
from tests.support import demo_env, server_settings, settle, start_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LEAK = "7号楼二单元楼顶漏水，下雨时四楼楼道墙面一直往下滴水，墙皮都泡软了。"


@pytest.fixture(scope="module")
def photo_portal(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("photo-portal")
    db = workdir / "portal.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        hood = build_neighbourhood(s)
    server = demo_env(workdir / "var", db)
    with server_settings(server), Session(engine) as s:  # issue_code reads the server's secret
        code = issue_code(s, actor=SystemActor("test"), resident_id=hood.residents[0].id)
        s.commit()
    proc, url = start_portal(workdir / "var", db)
    yield url, code, engine
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
    engine.dispose()


def _choose(page, name: str, data: bytes, mime: str) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    expect(page.get_by_text(name)).to_be_visible()
    settle(page)


def test_a_resident_uploads_a_photo_with_an_opinion(page, photo_portal, shots):
    url, code, engine = photo_portal
    page.goto(f"{url}/sign_in")
    page.get_by_label("参与码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(re.compile("您已登录"))).to_be_visible()
    page.get_by_test_id("stMainBlockContainer").get_by_role("link", name=re.compile("提意见$")).click()
    expect(page.get_by_text(re.compile("照片（可选，最多 3 张）"))).to_be_visible()

    box = page.get_by_test_id("stTextArea").locator("textarea")
    box.fill(LEAK)
    _choose(page, "楼顶.jpg", files.WINDOWS_PROGRAM, "image/jpeg")
    page.get_by_role("button", name="下一步：预览").click()  # the photo is checked with the text
    expect(page.get_by_text(re.compile("实际上是可执行程序"))).to_be_visible(timeout=60_000)
    expect(box).to_have_value(LEAK)  # nothing typed is lost
    page.screenshot(path=shots / "photo-01-refused.png", full_page=True)
    with Session(engine) as s:
        assert s.exec(select(Opinion).where(Opinion.text_original == LEAK)).all() == []

    page.get_by_role("button", name=re.compile("Remove 楼顶.jpg|删除|Remove")).first.click()
    settle(page)
    _choose(page, "IMG_2031.jpg", files.photo((1600, 1200)), "image/jpeg")
    page.get_by_role("button", name="下一步：预览").click()
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_text("意见已提交，谢谢您！")).to_be_visible()
    expect(page.get_by_text(re.compile("1 张照片已去掉拍摄地点等信息"))).to_be_visible()
    page.screenshot(path=shots / "photo-02-submitted.png", full_page=True)

    with Session(engine) as s:
        op = s.exec(select(Opinion).where(Opinion.text_original == LEAK)).one()
        photo = s.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == op.id)).one()
        stored = s.get(StoredFile, photo.file_id)
        assert photo.review == PhotoReview.PENDING and stored.storage == "db"
        with Image.open(io.BytesIO(stored.data)) as im:
            assert im.size == (1600, 1200)
            assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {} and dict(im.getexif()) == {}
