"""Roster import (all or nothing), code issuing and the printed slips."""

import io

import pytest
from pypdf import PdfReader
from sqlmodel import func, select

from portal.models import Area, AuditEvent, ParticipationCode, Resident
from portal.services.errors import InvalidInput, PermissionDenied
from portal.services.identity import sign_in_with_code
from portal.services.identity.roster import (
    import_roster,
    issue_codes,
    list_roster,
    normalise_age_band,
    preview_roster,
    resident_ids_for,
)
from portal.services.identity.slips import code_slips_pdf
from tests.factories import xlsx_bytes
from tests.ops_support import build_hood

GOOD_CSV = "楼栋,单元,年龄段,户号\n1号楼,1单元,60-69,1-301\n5号楼,2,70～79岁,5-101\n3栋,1,80岁以上,\n"


@pytest.fixture
def hood(session):
    return build_hood(session)


def count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


def test_good_csv_imports_every_row_and_creates_new_building(session, hood):
    before = count(session, Resident)
    result = import_roster(session, actor=hood.clerk, data=GOOD_CSV.encode(), filename="名册.csv")
    session.commit()
    assert result.n_residents == 3
    assert result.new_buildings == ["5号楼"]
    assert count(session, Resident) == before + 3
    new = session.exec(select(Resident).order_by(Resident.id.desc()).limit(3)).all()
    assert {r.age_band for r in new} == {"60-69", "70-79", "80+"}
    # “3栋” in the file is the existing 3号楼, not a new building
    assert session.exec(select(func.count()).select_from(Area).where(Area.name == "3号楼")).one() == 1
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "roster.import")).one()


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "gb18030"])
def test_csv_in_gbk_or_with_bom_reads_the_same(session, hood, encoding):
    preview = preview_roster(session, data=GOOD_CSV.encode(encoding), filename="roster.csv")
    assert preview.ok
    assert [r.building for r in preview.rows] == ["1号楼", "5号楼", "3号楼"]
    assert preview.encoding in {"GBK/GB18030", "UTF-8（带 BOM）"}


def test_broken_rows_are_listed_by_number_and_nothing_is_saved(session, hood):
    bad = "楼栋,单元,年龄段\n1号楼,1单元,60-69\n,2单元,30-44\n2号楼,1单元,六十多岁\n"
    preview = preview_roster(session, data=bad.encode("gbk"), filename="roster.csv")
    assert [(p.number, p.message) for p in preview.errors] == [
        (3, "楼栋为空。"),
        (4, "年龄段“六十多岁”无法识别，请写成 60-69 或 80+ 这样的形式。"),
    ]
    before = count(session, Resident)
    with pytest.raises(InvalidInput, match="2 行有误，未导入任何记录"):
        import_roster(session, actor=hood.admin, data=bad.encode("gbk"), filename="roster.csv")
    session.rollback()
    assert count(session, Resident) == before


@pytest.mark.parametrize("data, filename, message", [
    (b"", "empty.csv", "文件是空的"),
    (b"   \n\n", "blank.csv", "文件是空的"),
    ("楼栋,单元,年龄段\n".encode(), "header.csv", "没有数据行"),
    ("楼号,年龄段\n1号楼,60-69\n".encode(), "nounit.csv", "缺少必填列：单元"),
    (b"PK\x03\x04 this is not really a workbook", "broken.xlsx", "无法打开这个 Excel 文件"),
    (b"\xd0\xcf\x11\xe0old", "old.xls", "另存为 .xlsx"),
    (b"%PDF-1.4", "roster.pdf", "只支持 CSV 或 Excel"),
])
def test_unreadable_files_are_refused_with_a_reason(session, hood, data, filename, message):
    with pytest.raises(InvalidInput, match=message):
        preview_roster(session, data=data, filename=filename)


def test_xlsx_with_title_row_and_merged_building_cells(session, hood):
    data = xlsx_bytes([
        ["梧桐里社区居民名册（2026年5月）"],
        ["楼栋", "单元", "年龄段", "户号"],
        ["2号楼", 1, "45-59", "2-101"],
        [None, 1, "60-69", "2-102"],
        [None, 2, "30-44", "2-201"],
    ], merge="A3:A5")
    preview = preview_roster(session, data=data, filename="名册.xlsx")
    assert preview.ok, preview.errors
    assert [(r.number, r.building, r.unit) for r in preview.rows] == [
        (3, "2号楼", "1单元"), (4, "2号楼", "1单元"), (5, "2号楼", "2单元")]
    assert any("合并单元格" in n for n in preview.notes)


def test_xlsx_missing_a_required_column(session, hood):
    data = xlsx_bytes([["楼栋", "年龄段"], ["1号楼", "60-69"]])
    with pytest.raises(InvalidInput, match="缺少必填列：单元"):
        import_roster(session, actor=hood.admin, data=data, filename="名册.xlsx")


def test_duplicate_rows_are_flagged_and_need_confirmation(session, hood):
    dup = "楼栋,单元,年龄段,户号\n1号楼,1单元,60-69,1-301\n1号楼,1单元,60-69,1-301\n"
    preview = preview_roster(session, data=dup.encode(), filename="r.csv")
    assert preview.ok
    assert [(p.number, "第 2 行" in p.message) for p in preview.duplicates] == [(3, True)]
    before = count(session, Resident)
    with pytest.raises(InvalidInput, match="疑似重复，未导入任何记录"):
        import_roster(session, actor=hood.clerk, data=dup.encode(), filename="r.csv")
    assert count(session, Resident) == before
    import_roster(session, actor=hood.clerk, data=dup.encode(), filename="r.csv", accept_duplicates=True)
    assert count(session, Resident) == before + 2


def test_importing_the_same_file_twice_is_flagged(session, hood):
    import_roster(session, actor=hood.clerk, data=GOOD_CSV.encode(), filename="r.csv")
    session.commit()
    again = preview_roster(session, data=GOOD_CSV.encode(), filename="r.csv")
    assert [p.number for p in again.duplicates] == [2, 3]  # rows with a household id


def test_reviewer_may_not_import_a_roster(session, hood):
    with pytest.raises(PermissionDenied, match="导入居民名册"):
        import_roster(session, actor=hood.reviewer, data=GOOD_CSV.encode(), filename="r.csv")


@pytest.mark.parametrize("raw, band", [("60-69", "60-69"), ("60～69岁", "60-69"), ("80+", "80+"),
                                       ("80岁及以上", "80+"), ("18岁以下", "<18"), ("", "")])
def test_age_band_spellings(raw, band):
    assert normalise_age_band(raw) == band


def test_bulk_issue_codes_then_slips_pdf_carries_community_and_code(session, hood, settings):
    ids = resident_ids_for(session, actor=hood.clerk, area_ids=[hood.areas[0].id])
    assert len(ids) == 4
    slips = issue_codes(session, actor=hood.clerk, resident_ids=ids)
    session.commit()
    assert count(session, ParticipationCode) == 4
    stored = {c.code_hash for c in session.exec(select(ParticipationCode))}
    assert all(s.code not in stored for s in slips)  # only hashes are kept
    pdf = code_slips_pdf(slips, community_name="梧桐里社区", address="https://yishi.example.cn",
                         font_path=settings.font_path)
    reader = PdfReader(io.BytesIO(pdf))
    # pypdf puts a NUL between the glyphs of this CID font; the characters themselves are exact
    text = "".join(reader.pages[0].extract_text().replace("\x00", "").split())
    assert "梧桐里社区" in text
    assert slips[0].code in text and slips[3].code in text
    assert "1号楼" in text
    # a printed code signs the resident in
    actor = sign_in_with_code(session, code=slips[1].code, throttle_key="t")
    assert actor.resident_id == slips[1].resident_id
    # residents with a valid code are not picked again for “only those without a code”
    assert resident_ids_for(session, actor=hood.clerk, area_ids=[hood.areas[0].id]) == []


def test_nine_slips_make_two_pages(session, hood, settings):
    ids = [r.id for r in hood.residents[:9]]
    slips = issue_codes(session, actor=hood.admin, resident_ids=ids)
    pdf = code_slips_pdf(slips, community_name="梧桐里社区", address="http://localhost:8501",
                         font_path=settings.font_path)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2


def test_reissue_revokes_the_old_code(session, hood):
    rid = hood.residents[0].id
    first = issue_codes(session, actor=hood.clerk, resident_ids=[rid])[0]
    second = issue_codes(session, actor=hood.clerk, resident_ids=[rid])[0]
    session.commit()
    from portal.services.errors import SignInFailed

    with pytest.raises(SignInFailed, match="已作废"):
        sign_in_with_code(session, code=first.code, throttle_key="x")
    assert sign_in_with_code(session, code=second.code, throttle_key="x")
    entry = next(e for e in list_roster(session, actor=hood.clerk) if e.resident_id == rid)
    assert entry.code_state == "已使用"


def test_reviewer_cannot_issue_codes(session, hood):
    with pytest.raises(PermissionDenied):
        issue_codes(session, actor=hood.reviewer, resident_ids=[hood.residents[0].id])


def test_resident_taken_off_the_roster_loses_code_and_leaves_the_figures(session, hood):
    from portal.services.consultations.participation_check import check_participation
    from portal.services.errors import SignInFailed
    from portal.services.identity.roster import deactivate_resident

    rid = hood.residents[0].id
    slip = issue_codes(session, actor=hood.clerk, resident_ids=[rid])[0]
    assert deactivate_resident(session, actor=hood.clerk, resident_id=rid) == 1
    session.commit()
    with pytest.raises(SignInFailed, match="已作废"):
        sign_in_with_code(session, code=slip.code, throttle_key="z")
    check = check_participation(session, actor=hood.clerk, consultation_id=hood.collecting.id)
    assert check.total_roster == 11
    assert rid not in {e.resident_id for e in list_roster(session, actor=hood.clerk)}
    with pytest.raises(PermissionDenied):
        deactivate_resident(session, actor=hood.reviewer, resident_id=hood.residents[1].id)


def test_long_names_are_fitted_inside_the_slip(settings):
    from datetime import UTC, datetime

    from portal.services.identity.roster import IssuedSlip

    slip = IssuedSlip(1, "第十二网格（滨江花园二期东区）", "滨江花园二期东区第二十八号楼", "3单元",
                      "BJHY-2Q-E-28-3-0602-室内登记编号-附加说明文字很长", "ABCDE-FGHJK",
                      datetime(2027, 3, 1, tzinfo=UTC))
    pdf = code_slips_pdf([slip], community_name="临江区清河街道滨江花园第二社区居民委员会",
                         address="https://yishi.example.cn", font_path=settings.font_path)
    text = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\x00", "").split())
    assert "ABCDE-FGHJK" in text and "临江区清河街道滨江花园第二社区" in text
    assert "…" in text  # the over-long household id is cut, not printed over the QR code


def _qr_pixels(png_or_image) -> tuple[tuple[int, int], bytes]:  # type: ignore[no-untyped-def]
    from PIL import Image

    image = png_or_image if isinstance(png_or_image, Image.Image) else Image.open(png_or_image)
    image = image.convert("L")
    return image.size, image.tobytes()


def _qr_of(url: str):  # type: ignore[no-untyped-def]
    """The QR symbol of ``url`` as the slips draw it (segno cannot decode, so we compare symbols)."""
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=8, border=1)
    buf.seek(0)
    return _qr_pixels(buf)


def test_slips_print_and_encode_the_communitys_own_address(session, hood, settings, monkeypatch):
    """In a street's deployment the bare address is the street's home: the slip sends residents
    to their community's home (?c=<slug>), in print and in the QR code."""
    from portal.services.identity.slips import issue_code_slips
    from portal.settings import get_settings
    from tests.pdf_text import pdf_text

    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://yishi.example.cn/")
    get_settings.cache_clear()
    assert hood.community.slug
    pdf, n = issue_code_slips(session, actor=hood.clerk, resident_ids=[r.id for r in hood.residents[:2]])
    session.commit()
    assert n == 2
    wanted = f"https://yishi.example.cn/?c={hood.community.slug}"
    assert wanted in pdf_text(pdf)
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert images, "the slip has no QR code"
    printed = _qr_pixels(images[0].image)
    assert printed == _qr_of(wanted)
    assert printed != _qr_of("https://yishi.example.cn")  # not the street's (or the bare) address
