"""Documents behind a consultation and residents' photos (issue 14): what is refused and why, what
is stored (re-encoded, no EXIF/GPS), who may see it, and that the same file twice is kept once."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import ExifTags, Image
from sqlmodel import Session, func, select

from portal.db import session_scope
from portal.models import (
    AuditEvent,
    ConsultationDocument,
    DocumentKind,
    Opinion,
    OpinionPhoto,
    Phase,
    PhotoReview,
    Resident,
    StoredFile,
)
from portal.services.documents import (
    MAX_SIDE,
    Upload,
    attach_document,
    check_upload,
    count_public_photos,
    list_documents,
    open_attachment,
    photo_queue,
    public_photos,
    review_photo,
)
from portal.services.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from portal.services.identity import resident_actor
from portal.services.participation import submit_opinion
from portal.services.participation.moderation import hide
from tests import files
from tests.ops_support import build_hood

LAMP = "5号楼门口的路灯坏了一个多星期，晚上老人出门看不清台阶，请尽快修理。"


@pytest.fixture
def hood(session):
    return build_hood(session)


def _me(session: Session, hood, i: int = 0):
    return resident_actor(session, session.get(Resident, hood.residents[i].id))


def _count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# ---------------------------------------------------------------- what is refused, in Chinese

REFUSED = [
    ("电梯方案.pdf", files.WINDOWS_PROGRAM, "可执行程序"),
    ("楼道照片.jpg", files.WINDOWS_PROGRAM, "可执行程序"),
    ("费用测算.pdf", files.zip_archive(), "压缩包"),
    ("会议纪要.pdf", files.pdf_with_javascript(), "JavaScript"),
    ("会议纪要.pdf", files.pdf_with_launch_action(), "OpenAction"),
    ("费用明细.pdf", files.pdf_with_embedded_file(), "嵌入的其他文件"),
    ("加密.pdf", files.encrypted_pdf(), "加密"),
    ("损坏.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF garbage", "已损坏"),
    ("航拍.png", files.png_header_only(8000, 6250), "约 5000 万像素），最多 4000 万像素"),
    ("炸弹.png", files.png_header_only(30000, 30000), "解压炸弹"),
    ("半张.jpg", files.photo((800, 600))[:3000], "已损坏"),
    ("IMG_0412.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 100, "兼容性最佳"),
    ("空.jpg", b"", "空的"),
    ("说明.png", files.png_text_bomb(), "已损坏"),
    ("说明.txt", "这是一段文字说明，不是图片。".encode(), "不是可以识别的图片或 PDF"),
    ("<script>alert(1)</script>.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "SVG"),
]


@pytest.mark.parametrize(("name", "data", "words"), REFUSED, ids=[r[0] + ":" + r[2] for r in REFUSED])
def test_a_bad_file_is_refused_with_a_clear_chinese_message_and_nothing_is_stored(session, hood, name, data, words):
    with pytest.raises(InvalidInput) as refused:
        attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                        upload=Upload(name, data), title="方案", kind=DocumentKind.PLAN)
    assert words in str(refused.value)
    assert "文件“" in str(refused.value)
    session.rollback()
    assert _count(session, StoredFile) == 0 and _count(session, ConsultationDocument) == 0


def test_pdf_compression_bombs_are_refused(session, hood):
    for data in (files.pdf_bomb(1, 80),  # one stream past pypdf's own limit
                 files.pdf_bomb(3, 40)):  # three streams, each allowed, together past ours
        assert len(data) < 400_000
        with pytest.raises(InvalidInput, match="压缩炸弹"):
            check_upload(Upload("总平面图.pdf", data))


def test_a_file_over_the_size_limit_is_refused(session, hood, monkeypatch):
    from portal.settings import get_settings

    monkeypatch.setenv("PORTAL_UPLOAD_MAX_MB", "1")
    get_settings.cache_clear()
    big = files.pdf(pages=1) + b"%" + b"0" * 1_200_000
    with pytest.raises(InvalidInput, match=r"太大了（1\.\d MB），每个文件最大 1 MB"):
        check_upload(Upload("总平面图.pdf", big))
    get_settings.cache_clear()


def test_a_plain_pdf_and_one_opening_at_page_one_are_accepted(session, hood):
    for data in (files.pdf(pages=3), files.pdf_opening_at_page_one(), files.pdf_with_unknown_filter()):
        checked = check_upload(Upload("../../etc/加装电梯方案（第二稿）.PDF", data))
        assert checked.media_type == "application/pdf" and checked.data == data
        assert checked.filename == "加装电梯方案（第二稿）.pdf"


def test_a_photo_named_pdf_is_stored_as_what_it_is(session, hood):
    checked = check_upload(Upload("会议纪要.pdf", files.photo()))
    assert checked.media_type == "image/jpeg" and checked.filename == "会议纪要.jpg"


# ---------------------------------------------------------------- images are re-encoded

@pytest.mark.parametrize("mode", ["LA", "P", "CMYK", "I;16"])
def test_unusual_colour_modes_are_accepted(mode):
    out = io.BytesIO()
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    Image.new(mode, (300, 200)).save(out, fmt)
    checked = check_upload(Upload("截图.png", out.getvalue()))
    assert (checked.width, checked.height) == (300, 200)
    with Image.open(io.BytesIO(checked.data)) as im:
        im.load()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_exif_and_gps_field_is_gone_after_the_check(fmt):
    original = files.photo(fmt=fmt)
    with Image.open(io.BytesIO(original)) as im:  # the phone's photo does carry a position
        assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    checked = check_upload(Upload("漏水.jpg", original))
    with Image.open(io.BytesIO(checked.data)) as im:
        assert im.format == fmt
        assert dict(im.getexif()) == {}
        assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert not {"exif", "xmp", "icc_profile", "Author"} & set(im.info)
    assert b"Exif" not in checked.data and b"Huawei" not in checked.data and "王建国".encode() not in checked.data


def test_a_sideways_phone_photo_is_stored_upright_and_a_large_one_is_shrunk():
    checked = check_upload(Upload("路灯.jpg", files.photo((3000, 2000), orientation=6)))
    assert (checked.width, checked.height) == (1333, MAX_SIDE)  # rotated by its EXIF, then shrunk
    with Image.open(io.BytesIO(checked.data)) as im:
        assert im.size == (1333, MAX_SIDE)


def test_the_same_photo_checked_twice_gives_the_same_bytes():
    data = files.photo()
    assert check_upload(Upload("a.jpg", data)).data == check_upload(Upload("b.jpg", data)).data


# ---------------------------------------------------------------- documents of a consultation

def test_documents_are_listed_for_the_public_once_the_consultation_is_public(session, hood):
    plan = attach_document(session, actor=hood.admin, consultation_id=hood.draft.id,
                           upload=Upload("绿化方案.pdf", files.pdf()), title="", kind="plan")
    session.commit()
    assert plan.created and plan.document.title == "绿化方案" and plan.document.kind_label == "方案图纸"
    assert [d.title for d in list_documents(session, consultation_id=hood.draft.id, actor=hood.clerk)] == ["绿化方案"]
    assert list_documents(session, consultation_id=hood.draft.id, actor=None) == []
    with pytest.raises(NotFound):
        open_attachment(session, actor=None, document_id=plan.document.id)
    hood.draft.phase = Phase.COLLECTING
    session.add(hood.draft)
    session.commit()
    assert [d.title for d in list_documents(session, consultation_id=hood.draft.id, actor=None)] == ["绿化方案"]
    download = open_attachment(session, actor=None, document_id=plan.document.id)
    assert download.data == files.pdf() and download.filename == "绿化方案.pdf"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "document.attach")).one()


def test_the_same_document_twice_is_kept_once(session, hood):
    data = files.pdf(pages=2)
    first = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                            upload=Upload("会议纪要.pdf", data), title="11月议事会纪要", kind="minutes")
    again = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                            upload=Upload("会议纪要(1).pdf", data), title="纪要", kind="minutes")
    session.commit()
    assert first.created and not again.created and again.document.id == first.document.id
    assert _count(session, ConsultationDocument) == 1 and _count(session, StoredFile) == 1
    # the same bytes behind another consultation share the stored file
    other = attach_document(session, actor=hood.admin, consultation_id=hood.draft.id,
                            upload=Upload("会议纪要.pdf", data), title="纪要", kind="minutes")
    session.commit()
    assert other.created and _count(session, StoredFile) == 1


def test_the_same_document_sent_at_the_same_moment_is_kept_once(engine, hood):
    _four_at_once(engine, hood)


@pytest.mark.postgres
def test_the_same_document_sent_at_the_same_moment_is_kept_once_on_postgresql(pg_engine, settings):
    with Session(pg_engine, expire_on_commit=False) as s:
        hood = build_hood(s)
    _four_at_once(pg_engine, hood)


def _four_at_once(engine, hood) -> None:
    data = files.pdf(pages=4)
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def send() -> None:
        barrier.wait()
        try:
            with session_scope(engine) as s:
                outcomes.append(attach_document(s, actor=hood.admin, consultation_id=hood.collecting.id,
                                                upload=Upload("费用测算.pdf", data), title="费用测算", kind="costs"))
                s.commit()
        except ServiceError as exc:
            outcomes.append(str(exc))
        except Exception as exc:  # noqa: BLE001
            outcomes.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with Session(engine) as s:
        assert _count(s, ConsultationDocument) == 1 and _count(s, StoredFile) == 1
    assert sum(1 for o in outcomes if getattr(o, "created", False)) == 1, outcomes


def test_only_an_admin_attaches_documents(session, hood):
    for actor in (hood.clerk, hood.reviewer, None):
        with pytest.raises(PermissionDenied):
            attach_document(session, actor=actor, consultation_id=hood.collecting.id,
                            upload=Upload("方案.pdf", files.pdf()), title="方案", kind="plan")


def test_a_bad_kind_or_an_overlong_title_is_refused(session, hood):
    with pytest.raises(InvalidInput, match="资料类别"):
        attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                        upload=Upload("方案.pdf", files.pdf()), title="方案", kind="contract")
    with pytest.raises(InvalidInput, match="最多 100 个字"):
        attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                        upload=Upload("方案.pdf", files.pdf()), title="加装电梯" * 30, kind="plan")


# ---------------------------------------------------------------- residents' photos

def test_photos_come_with_the_opinion_and_wait_for_approval(session, hood):
    me = _me(session, hood)
    result = submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=LAMP,
                            photos=[Upload("路灯1.jpg", files.photo(label="1")),
                                    Upload("路灯2.png", files.photo(fmt="PNG", label="2"))])
    session.commit()
    photos = session.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == result.opinion.id)).all()
    assert [p.review for p in photos] == [PhotoReview.PENDING, PhotoReview.PENDING]
    cid = hood.collecting.id
    assert public_photos(session, consultation_id=cid) == [] and count_public_photos(session, consultation_id=cid) == 0
    with pytest.raises(NotFound):
        open_attachment(session, actor=None, photo_id=photos[0].id)
    with pytest.raises(NotFound):
        open_attachment(session, actor=_me(session, hood, 1), photo_id=photos[0].id)
    assert open_attachment(session, actor=me, photo_id=photos[0].id).media_type == "image/jpeg"  # the author

    queue = photo_queue(session, actor=hood.reviewer, consultation_id=cid)
    assert [q.id for q in queue] == [p.id for p in photos] and queue[0].opinion_text == LAMP
    review_photo(session, actor=hood.reviewer, photo_id=photos[0].id, approve=True)
    review_photo(session, actor=hood.reviewer, photo_id=photos[1].id, approve=False, reason="照片里能看清邻居的车牌")
    session.commit()
    assert [p.id for p in public_photos(session, consultation_id=cid)] == [photos[0].id]
    assert count_public_photos(session, consultation_id=cid) == 1
    assert open_attachment(session, actor=None, photo_id=photos[0].id).filename == f"意见{result.opinion.id}-照片1.jpg"
    with pytest.raises(NotFound):
        open_attachment(session, actor=None, photo_id=photos[1].id)
    assert session.get(OpinionPhoto, photos[1].id).review_reason == "照片里能看清邻居的车牌"

    # an approved photo goes with its opinion when moderation hides it
    hide(session, actor=hood.reviewer, target_type="opinion", target_id=result.opinion.id, reason="含有人身攻击")
    session.commit()
    assert public_photos(session, consultation_id=cid) == []
    with pytest.raises(NotFound):
        open_attachment(session, actor=None, photo_id=photos[0].id)


def test_a_clerk_cannot_approve_photos(session, hood):
    result = submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                            photos=[Upload("路灯.jpg", files.photo())])
    session.commit()
    photo = session.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == result.opinion.id)).one()
    with pytest.raises(PermissionDenied):
        review_photo(session, actor=hood.clerk, photo_id=photo.id, approve=True)


def test_a_bad_photo_refuses_the_whole_opinion_and_nothing_is_half_written(session, hood):
    with pytest.raises(InvalidInput, match="可执行程序"):
        submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                       photos=[Upload("路灯.jpg", files.photo()), Upload("漏水.jpg", files.WINDOWS_PROGRAM)])
    session.rollback()
    assert _count(session, Opinion) == 0 and _count(session, StoredFile) == 0 and _count(session, OpinionPhoto) == 0


def test_a_pdf_is_not_a_photo(session, hood):
    with pytest.raises(InvalidInput, match="只能附照片"):
        submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                       photos=[Upload("漏水.pdf", files.pdf())])


def test_at_most_three_photos(session, hood):
    four = [Upload(f"{i}.jpg", files.photo(label=str(i))) for i in range(4)]
    with pytest.raises(InvalidInput, match="最多附 3 张照片，您选了 4 张"):
        submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP, photos=four)


def test_the_same_photo_twice_and_the_same_submission_twice_store_it_once(session, hood):
    me = _me(session, hood)
    same = files.photo()
    first = submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=LAMP, client_token="draft-7",
                           photos=[Upload("路灯.jpg", same), Upload("路灯(1).jpg", same)])
    session.commit()
    again = submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=LAMP, client_token="draft-7",
                           photos=[Upload("路灯.jpg", same)])
    session.commit()
    assert not again.created and again.opinion.id == first.opinion.id
    assert _count(session, OpinionPhoto) == 1 and _count(session, StoredFile) == 1


# ---------------------------------------------------------------- the notice PDF

def test_the_notice_lists_the_documents_and_the_public_photos(session, settings):
    from portal.models import OpinionPhoto, Role
    from portal.services.documents.checks import check_upload as check
    from portal.services.documents.photos import attach_photos
    from portal.services.publishing.notice_pdf import notice_pdf
    from tests import factories
    from tests.pdf_text import pdf_text
    from tests.results_fixtures import seed_results

    seeded = seed_results(session)
    before = pdf_text(notice_pdf(session, seeded.consultation_id))
    assert "议题资料" not in before and "三、查看完整结果" in before  # no empty section, no gap

    from portal.models import Community, Consultation

    hood = session.get(Community, session.get(Consultation, seeded.consultation_id).community_id)
    admin = factories.staff(session, hood, [(Role.ADMIN, "zhou", "周书记")])[Role.ADMIN]
    attach_document(session, actor=admin, consultation_id=seeded.consultation_id,
                    upload=Upload("plan.pdf", files.pdf(pages=2)), title="3号楼加装电梯设计方案", kind="plan")
    attach_document(session, actor=admin, consultation_id=seeded.consultation_id,
                    upload=Upload("cost.png", files.photo(fmt="PNG", gps=False)), title="费用分摊测算表", kind="costs")
    opinion = session.exec(select(Opinion).where(Opinion.consultation_id == seeded.consultation_id,
                                                 Opinion.id != seeded.hidden_opinion_id)).first()
    attach_photos(session, opinion=opinion, photos=[check(Upload("a.jpg", files.photo(label="a"))),
                                                    check(Upload("b.jpg", files.photo(label="b")))])
    first = session.exec(select(OpinionPhoto)).first()
    review_photo(session, actor=admin, photo_id=first.id, approve=True)
    session.commit()

    text = pdf_text(notice_pdf(session, seeded.consultation_id))
    for expected in ["三、议题资料", "1.3号楼加装电梯设计方案（方案图纸，PDF·", "2.费用分摊测算表（费用测算，图片·",
                     "经居委会审核后公开1张", "四、查看完整结果"]:
        assert expected in text, expected


def test_a_consultation_holds_at_most_thirty_documents(session, hood):
    from portal.services.documents import MAX_DOCUMENTS

    for i in range(MAX_DOCUMENTS):
        attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                        upload=Upload(f"第{i + 1}次议事会纪要.pdf", files.pdf(pages=i + 1)), title="", kind="minutes")
    session.commit()
    with pytest.raises(InvalidInput, match="已有 30 份资料，最多 30 份"):
        attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                        upload=Upload("第31次议事会纪要.pdf", files.pdf(pages=31)), title="", kind="minutes")
    # the same file again is still answered as "already there", not refused
    again = attach_document(session, actor=hood.admin, consultation_id=hood.collecting.id,
                            upload=Upload("纪要.pdf", files.pdf(pages=1)), title="", kind="minutes")
    assert not again.created and again.document.title == "第1次议事会纪要"


def test_notice_headings_are_numbered_in_print_order(settings):
    from portal.services.publishing.notice_pdf import _Notice
    from tests.pdf_text import pdf_text

    pdf = _Notice(settings.font_path, "梧桐里社区")
    pdf.add_page()
    for heading in ("参与情况", "三、问卷与业主表决", "议题资料", "查看完整结果"):
        pdf.heading(heading)
    text = pdf_text(bytes(pdf.output()))
    assert ["一、参与情况", "二、问卷与业主表决", "三、议题资料", "四、查看完整结果"] == [
        h for h in ("一、参与情况", "二、问卷与业主表决", "三、议题资料", "四、查看完整结果") if h in text]
    assert "三、问卷" not in text


def test_staff_of_another_community_cannot_attach_review_or_open_private_files(session, hood):
    from portal.models import Role
    from tests import factories

    other = factories.community(session, name="银杏苑社区")
    outsider = factories.staff(session, other, [(Role.ADMIN, "zhao", "赵主任")])[Role.ADMIN]
    session.commit()
    with pytest.raises(PermissionDenied):
        attach_document(session, actor=outsider, consultation_id=hood.draft.id,
                        upload=Upload("方案.pdf", files.pdf()), title="方案", kind="plan")
    doc = attach_document(session, actor=hood.admin, consultation_id=hood.draft.id,
                          upload=Upload("方案.pdf", files.pdf()), title="绿化方案", kind="plan")
    result = submit_opinion(session, actor=_me(session, hood), consultation_id=hood.collecting.id, text=LAMP,
                            photos=[Upload("路灯.jpg", files.photo())])
    session.commit()
    photo = session.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == result.opinion.id)).one()
    assert list_documents(session, consultation_id=hood.draft.id, actor=outsider) == []  # a draft elsewhere
    for which in ({"document_id": doc.document.id}, {"photo_id": photo.id}):
        with pytest.raises(NotFound):
            open_attachment(session, actor=outsider, **which)
    with pytest.raises(PermissionDenied):
        review_photo(session, actor=outsider, photo_id=photo.id, approve=True)
    with pytest.raises(PermissionDenied):
        photo_queue(session, actor=outsider, consultation_id=hood.collecting.id)
