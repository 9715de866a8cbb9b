"""Bulk-import templates: the columns the importer expects and one example row that imports."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from portal.models import OwnerHousehold, Resident, VoteMatter
from portal.services.decisions import create_owners_vote
from portal.services.errors import InvalidInput
from portal.services.identity.roster import ROSTER_COLUMNS, import_roster, preview_roster
from portal.services.import_templates import import_template
from portal.services.participation.offline import OFFLINE_COLUMNS, preview_offline_import
from tests.ops_support import build_hood


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_roster_template_imports_cleanly(session, fmt):
    build_hood(session)
    name, data = import_template("roster", fmt)
    assert name == f"居民名册导入模板.{fmt}"
    preview = preview_roster(session, data=data, filename=name)
    assert not preview.errors
    assert [(r.building, r.unit, r.age_band) for r in preview.rows] == [("3号楼", "2单元", "60-69")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_roster_template_as_filled_in_gives_an_owner_the_owners_vote_counts(session, fmt):
    """The template's example row is an owner with the flat's area: imported as it stands, the
    flat is on the owners' roll of 3号楼 with that area and that resident as its owner."""
    hood = build_hood(session)
    name, data = import_template("roster", fmt)
    header = (next(load_workbook(io.BytesIO(data)).active.iter_rows(max_row=2, values_only=True))
              if fmt == "xlsx" else data.decode("utf-8-sig").splitlines()[0].split(","))
    assert "是否业主" in header and "专有部分面积（m²）" in header
    import_roster(session, actor=hood.clerk, data=data, filename=name)
    session.commit()
    flat = session.exec(select(OwnerHousehold)).one()
    owner = session.get(Resident, flat.owner_resident_id)
    assert (flat.room, flat.unit, flat.area_m2) == ("3-2-301", "2单元", Decimal("89.56"))
    assert (owner.household_ref, owner.age_band, owner.area_id) == ("3-2-301", "60-69", flat.area_id)
    vote = create_owners_vote(session, actor=hood.admin, consultation_id=hood.collecting.id,
                              title="3号楼加装电梯", matter=VoteMatter.REBUILD, area_id=flat.area_id)
    assert vote.roll == [[flat.id, "89.56"]]


_HEADER = "楼栋,单元,年龄段,户号,是否业主,专有部分面积（m²）\n"


@pytest.mark.parametrize(("cell", "area"), [
    ("85㎡", "85.00"), ("85平方米", "85.00"), ("85.5", "85.50"), ("85.5 m²", "85.50"), ("85平", "85.00"),
    ("８５．５", "85.50"), ('"1,085.5"', "1085.50"), ("89.555", "89.56"),
])
def test_areas_written_the_usual_ways_are_read(session, cell, area):
    hood = build_hood(session)
    data = f"{_HEADER}3号楼,2单元,60-69,3-2-301,是,{cell}\n".encode()
    preview = preview_roster(session, data=data, filename="名册.csv", actor=hood.clerk)
    assert not preview.errors, preview.errors
    assert preview.rows[0].area_m2 == Decimal(area)


@pytest.mark.parametrize(("cell", "message"), [
    ("-85", "专有部分面积“-85”须大于 0"),
    ("0", "专有部分面积“0”须大于 0"),
    ("八十", "专有部分面积“八十”无法识别，请写成 89.50 这样的平方米数"),
    ("约85", "专有部分面积“约85”无法识别，请写成 89.50 这样的平方米数"),
    ('"85,5"', "专有部分面积“85,5”无法识别，请写成 89.50 这样的平方米数"),
    ("85m²左右", "专有部分面积“85m²左右”无法识别，请写成 89.50 这样的平方米数"),
    ("12000", "专有部分面积“12000”超过 10000 平方米，请核对"),
])
def test_a_nonsense_area_refuses_the_whole_roster_naming_the_row(session, cell, message):
    hood = build_hood(session)
    before = session.exec(select(func.count()).select_from(Resident)).one()
    data = (f"{_HEADER}3号楼,2单元,60-69,3-2-301,是,89.5\n"
            f"3号楼,2单元,30-44,3-2-301,否,\n"
            f"3号楼,2单元,70-79,3-2-302,是,{cell}\n").encode()
    with pytest.raises(InvalidInput) as exc:
        import_roster(session, actor=hood.clerk, data=data, filename="名册.csv")
    assert str(exc.value) == f"名册有 1 行有误，未导入任何记录。第 4 行：{message}。"
    session.rollback()
    assert session.exec(select(func.count()).select_from(Resident)).one() == before
    assert session.exec(select(OwnerHousehold)).all() == []


def test_owner_column_and_area_must_agree(session):
    hood = build_hood(session)
    data = (f"{_HEADER}3号楼,2单元,60-69,3-2-301,是,\n"
            "3号楼,2单元,30-44,3-2-301,否,89.5\n"
            "3号楼,2单元,45-59,3-2-302,房东,89.5\n"
            "3号楼,2单元,45-59,3-2-303,,76\n"  # no 是否业主: a row with an area is the owner (older files)
            "3号楼,2单元,80+,3-2-304,√,76.3\n").encode()
    preview = preview_roster(session, data=data, filename="名册.csv", actor=hood.clerk)
    assert [(p.number, p.message) for p in preview.errors] == [
        (2, "标为业主的行须填写专有部分面积（平方米），用于业主表决。"),
        (3, "专有部分面积只填在业主本人那一行，是否业主为“否”的行请留空。"),
        (4, "是否业主“房东”无法识别，业主本人填“是”，其他家庭成员填“否”或留空。")]
    assert [(r.household_ref, r.area_m2) for r in preview.rows] == [("3-2-303", Decimal("76.00")),
                                                                     ("3-2-304", Decimal("76.30"))]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_offline_template_imports_cleanly(session, fmt):
    hood = build_hood(session)
    name, data = import_template("offline", fmt)
    preview = preview_offline_import(session, consultation_id=hood.collecting.id, data=data, filename=name)
    assert preview.ok, [r.problem for r in preview.rows]
    assert len(preview.items) == 1 and preview.rows[0].text.startswith("楼道里堆放的旧家具")


def test_templates_carry_exactly_the_importers_columns():
    wb = load_workbook(io.BytesIO(import_template("roster", "xlsx")[1]))
    assert [c.value for c in next(wb.active.iter_rows(max_row=1))] == list(ROSTER_COLUMNS)
    csv = import_template("offline", "csv")[1]
    assert csv.startswith(b"\xef\xbb\xbf")  # Excel on Windows reads the BOM as UTF-8
    assert csv.decode("utf-8-sig").splitlines()[0].split(",") == list(OFFLINE_COLUMNS)
