"""Bulk-import templates: the columns the importer expects and one example row that imports."""

import io

import pytest
from openpyxl import load_workbook

from portal.services.identity.roster import ROSTER_COLUMNS, preview_roster
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
