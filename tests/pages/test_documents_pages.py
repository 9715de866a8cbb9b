"""Pages of issue 14 part B: a resident adds photos to an opinion, staff review them, staff attach
documents to a consultation, and the public consultation page lists and serves both."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import Session, select

from portal.models import ConsultationDocument, Opinion, OpinionPhoto, PhotoReview, Role
from portal.services.documents import Upload, review_photo
from portal.services.identity import committee_actor
from portal.services.participation import submit_opinion
from tests import files
from tests.neighbourhood import build_neighbourhood, resident
from tests.pages.conftest import open_page

GIVE = "app_pages/resident/give.py"
MODERATION = "app_pages/committee/moderation.py"
CONSULTATIONS = "app_pages/committee/consultations.py"
PUBLIC = "app_pages/public/consultation.py"
PREVIEW = "FormSubmitter:give.form-下一步：预览"
CONFIRM = "FormSubmitter:give.form-确认提交"
LEAK = "7号楼二单元楼顶漏水，下雨时四楼楼道墙面一直往下滴水，墙皮都泡软了。"


def _with_admin(session: Session):
    hood = build_neighbourhood(session)
    from tests import factories

    factories.staff(session, hood.community, [(Role.ADMIN, "wang", "王主任")])
    session.commit()
    return hood


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    from tests.factories import seeded_app_database

    yield from seeded_app_database(tmp_path, monkeypatch, "docs.sqlite", _with_admin)


def _staff(engine, username: str):
    from portal.models import CommitteeUser

    with Session(engine) as s:
        return committee_actor(s.exec(select(CommitteeUser).where(CommitteeUser.username == username)).one())


def _click(at, key: str):
    next(b for b in at.button if b.key == key).click().run()
    assert not at.exception


def test_a_resident_adds_a_photo_to_an_opinion_and_it_waits_for_review(hood_db):
    engine, hood = hood_db
    at = open_page(GIVE, actor=resident(engine, hood), query={"id": str(hood.collecting.id)})
    uploader = at.file_uploader(key="give.photos.0")
    assert "最多 3 张" in uploader.label
    at.text_area(key="give.text").input(LEAK)
    uploader.set_value([("IMG_2031.jpg", files.photo(), "image/jpeg")])
    _click(at, PREVIEW)
    _click(at, CONFIRM)
    assert "意见已提交，谢谢您！" in [s.value for s in at.success]
    assert any("1 张照片已去掉拍摄地点" in i.value and "审核后" in i.value for i in at.info)
    with Session(engine) as s:
        op = s.exec(select(Opinion).where(Opinion.text_original == LEAK)).one()
        (photo,) = s.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == op.id)).all()
        assert photo.review == PhotoReview.PENDING
    assert at.file_uploader(key="give.photos.1").value in (None, [])  # an empty uploader for the next one


def test_a_program_renamed_jpg_is_refused_and_the_text_stays(hood_db):
    engine, hood = hood_db
    at = open_page(GIVE, actor=resident(engine, hood), query={"id": str(hood.collecting.id)})
    at.text_area(key="give.text").input(LEAK)
    at.file_uploader(key="give.photos.0").set_value([("楼顶.jpg", files.WINDOWS_PROGRAM, "image/jpeg")])
    _click(at, PREVIEW)  # the photo is checked with the text, before 确认提交 is offered
    assert any("楼顶.jpg" in e.value.replace("\\", "") and "可执行程序" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == CONFIRM]
    assert at.text_area(key="give.text").value == LEAK
    with Session(engine) as s:
        assert s.exec(select(Opinion).where(Opinion.text_original == LEAK)).all() == []


def _opinion_with_photo(engine, hood) -> tuple[int, int]:
    with Session(engine) as s:
        result = submit_opinion(s, actor=hood.actor(s, 0), consultation_id=hood.collecting.id, text=LEAK,
                                photos=[Upload("漏水.jpg", files.photo(colour=(30, 60, 200)))])
        s.commit()
        photo = s.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == result.opinion.id)).one()
        return int(result.opinion.id), int(photo.id)


def test_staff_approve_a_photo_and_the_public_page_shows_it(hood_db):
    engine, hood = hood_db
    opinion_id, photo_id = _opinion_with_photo(engine, hood)
    public = open_page(PUBLIC, query={"id": str(hood.collecting.id), "opinion": str(opinion_id)})
    assert not public.exception and len(public.get("image")) == 0

    at = open_page(MODERATION, actor=_staff(engine, "reviewer"), query={"id": str(hood.collecting.id)})
    at.segmented_control(key="mod.view").set_value("待审照片").run()
    assert any(f"照片 #{photo_id}" in m.value for m in at.markdown)
    assert LEAK in [t.value for t in at.text]
    _click(at, f"photo.approve.{photo_id}")
    assert f"照片 #{photo_id} 已公开。" in [s.value for s in at.success]
    with Session(engine) as s:
        assert s.get(OpinionPhoto, photo_id).review == PhotoReview.APPROVED

    public = open_page(PUBLIC, query={"id": str(hood.collecting.id), "opinion": str(opinion_id)})
    assert not public.exception and len(public.get("image")) == 1


def test_a_rejected_photo_stays_private(hood_db):
    engine, hood = hood_db
    opinion_id, photo_id = _opinion_with_photo(engine, hood)
    at = open_page(MODERATION, actor=_staff(engine, "reviewer"), query={"id": str(hood.collecting.id)})
    at.segmented_control(key="mod.view").set_value("待审照片").run()
    at.text_input(key=f"photo.reason.{photo_id}").input("照片里能看清邻居家门牌")
    _click(at, f"photo.reject.{photo_id}")
    with Session(engine) as s:
        photo = s.get(OpinionPhoto, photo_id)
        assert photo.review == PhotoReview.REJECTED and photo.review_reason == "照片里能看清邻居家门牌"
    public = open_page(PUBLIC, query={"id": str(hood.collecting.id)})
    assert not public.exception and len(public.get("image")) == 0
    mine = open_page("app_pages/resident/my.py", actor=resident(engine, hood))
    assert any("照片 1 张：未通过" in c.value for c in mine.caption)
    assert "照片未公开：照片里能看清邻居家门牌" in [t.value for t in mine.text]


def test_an_admin_attaches_a_document_and_residents_can_download_it(hood_db):
    engine, hood = hood_db
    at = open_page(CONSULTATIONS, actor=_staff(engine, "wang"))
    at.selectbox(key="cons.selected").set_value(hood.collecting.id).run()
    k = f"docs.{hood.collecting.id}"
    at.file_uploader(key=f"{k}.file").set_value(("车棚改造方案.pdf", files.pdf(pages=2), "application/pdf"))
    at.text_input(key=f"{k}.title").input("非机动车棚改造方案（第一稿）")
    at.selectbox(key=f"{k}.kind").set_value("plan")
    at.button(key=f"FormSubmitter:{k}.form-上传资料").click().run()
    assert not at.exception
    assert any("已上传" in s.value for s in at.success)
    with Session(engine) as s:
        doc = s.exec(select(ConsultationDocument)).one()
        assert doc.title == "非机动车棚改造方案（第一稿）" and doc.filename == "车棚改造方案.pdf"

    public = open_page(PUBLIC, query={"id": str(hood.collecting.id)})
    assert "议题资料" in [h.value for h in public.subheader]
    assert any("非机动车棚改造方案" in m.value and "方案图纸" in m.value for m in public.markdown)
    assert [b.key for b in public.get("download_button")] == [f"doc.download.{doc.id}"]


def test_the_results_page_lists_the_documents_of_a_published_consultation(hood_db):
    engine, hood = hood_db
    from portal.services.documents import attach_document

    with Session(engine) as s:
        attach_document(s, actor=_staff(engine, "wang"), consultation_id=hood.published.id,
                        upload=Upload("电梯.pdf", files.pdf()), title="加装电梯设计方案（公示稿）", kind="plan")
        s.commit()
    at = open_page("app_pages/public/results.py", query={"id": str(hood.published.id), "tab": "下载与公示"})
    assert not at.exception
    assert "议题资料（方案、纪要、测算）" in [h.value for h in at.subheader]
    assert any("加装电梯设计方案" in m.value for m in at.markdown)


def test_a_pdf_with_javascript_is_refused_on_the_page(hood_db):
    engine, hood = hood_db
    at = open_page(CONSULTATIONS, actor=_staff(engine, "wang"))
    at.selectbox(key="cons.selected").set_value(hood.collecting.id).run()
    k = f"docs.{hood.collecting.id}"
    at.file_uploader(key=f"{k}.file").set_value(("费用测算.pdf", files.pdf_with_javascript(), "application/pdf"))
    at.text_input(key=f"{k}.title").input("加装电梯费用测算")
    at.button(key=f"FormSubmitter:{k}.form-上传资料").click().run()
    assert any("JavaScript" in e.value and "费用测算.pdf" in e.value.replace("\\", "") for e in at.error)
    assert at.text_input(key=f"{k}.title").value == "加装电梯费用测算"
    with Session(engine) as s:
        assert s.exec(select(ConsultationDocument)).all() == []


def test_the_stored_photo_has_no_position(hood_db):
    engine, hood = hood_db
    _, photo_id = _opinion_with_photo(engine, hood)
    with Session(engine) as s:
        review_photo(s, actor=_staff(engine, "reviewer"), photo_id=photo_id, approve=True)
        s.commit()
        from portal.services.documents import open_attachment

        data = open_attachment(s, actor=None, photo_id=photo_id).data
    with Image.open(io.BytesIO(data)) as im:
        assert dict(im.getexif()) == {}


def test_markup_in_a_document_title_is_shown_as_typed(hood_db):
    engine, hood = hood_db
    from portal.services.documents import attach_document

    title = "**免费**领取[电梯补贴](http://evil.example) :red[紧急]"
    with Session(engine) as s:
        attach_document(s, actor=_staff(engine, "wang"), consultation_id=hood.collecting.id,
                        upload=Upload("<img src=x onerror=alert(1)>.pdf", files.pdf()), title=title, kind="other")
        s.commit()
        doc = s.exec(select(ConsultationDocument)).one()
        assert "<" not in doc.filename and ">" not in doc.filename
    public = open_page(PUBLIC, query={"id": str(hood.collecting.id)})
    shown = next(m.value for m in public.markdown if "免费" in m.value)
    assert r"\*\*免费\*\*" in shown and r"\[电梯补贴\]\(http" in shown and r"\:red\[" in shown


def test_deleting_a_document_asks_first(hood_db):
    engine, hood = hood_db
    from portal.services.documents import attach_document

    with Session(engine) as s:
        attach_document(s, actor=_staff(engine, "wang"), consultation_id=hood.collecting.id,
                        upload=Upload("会议纪要.pdf", files.pdf(pages=1)), title="第一次居民议事会纪要", kind="minutes")
        s.commit()
        doc_id = s.exec(select(ConsultationDocument)).one().id
    at = open_page(CONSULTATIONS, actor=_staff(engine, "wang"))
    at.selectbox(key="cons.selected").set_value(hood.collecting.id).run()
    key = f"docs.{hood.collecting.id}.remove.{doc_id}"
    at.button(key=key).click().run()
    assert "将删除资料“第一次居民议事会纪要”" in at.warning[0].value and "不能撤销" in at.warning[0].value
    with Session(engine) as s:  # one click alone deleted nothing
        assert s.get(ConsultationDocument, doc_id) is not None
    at.button(key=f"{key}.confirm").click().run()
    assert any("已删除" in s.value for s in at.success)
    with Session(engine) as s:
        assert s.get(ConsultationDocument, doc_id) is None
