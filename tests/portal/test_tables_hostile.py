"""Hostile .xlsx uploads (issue 12, item 8): every layout is refused with a Chinese sentence
after reading at most the row limit, never the whole sheet.

Before the fix, a workbook whose rows were written ``<row\\n r=…>`` or whose sheet was stored
outside ``xl/worksheets/`` slipped past the raw row count and openpyxl parsed every row (52–59 s,
~590 MB for 3.2 MB). Timing belongs in ``bench/``; here the number of rows the XML parser
builds is counted instead, which is what made those files slow.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl.worksheet import _reader

import analysis.io as io_module
from portal.services.errors import InvalidInput
from portal.services.tables import HEADER_SEARCH_ROWS, MAX_ROWS, read_table
from tests.factories import xlsx_bytes

COLUMNS = {"building": ["楼栋"], "unit": ["单元"]}
ROWS = MAX_ROWS + 5_000  # just over the limit: enough to show where reading stops


def _rewrite(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """The workbook ``data`` with each member passed through ``edit(name, bytes) -> (name, bytes)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            name, body = edit(info.filename, src.read(info.filename))
            z.writestr(name, body)
    return out.getvalue()


def _rows_xml(n: int, row_open: str = "<row", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    return "".join(
        f'{row_open} r="{i}"><{p}c r="A{i}" t="inlineStr"><{p}is><{p}t>3号楼</{p}t></{p}is></{p}c>'
        f'<{p}c r="B{i}" t="inlineStr"><{p}is><{p}t>2单元</{p}t></{p}is></{p}c></{p}row>'
        for i in range(2, n + 2)
    )


_ENTITY_ROW = (
    '<!DOCTYPE worksheet [<!ENTITY r "<row><c t=\'inlineStr\'><is><t>3号楼</t></is></c></row>">]>'
)


def test_rows_made_by_xml_entities_are_refused_as_broken(parsed_rows):
    """A DTD could multiply rows that no count of the raw text sees: openpyxl refuses DTDs."""
    data = _with_rows("&r;" * ROWS, doctype=_ENTITY_ROW)
    with pytest.raises(InvalidInput, match="无法打开这个 Excel 文件"):
        read_table(data, "名册.xlsx", columns=COLUMNS, required=["building"])
    assert parsed_rows["rows"] == 0


def _with_rows(
    rows_xml: str, *, move_sheet: bool = False, root_prefix: str = "", doctype: str = ""
) -> bytes:
    base = xlsx_bytes([["楼栋", "单元"]])

    def edit(name: str, body: bytes) -> tuple[str, bytes]:
        if name == "xl/worksheets/sheet1.xml":
            text = body.decode().replace("</sheetData>", rows_xml + "</sheetData>")
            text = doctype + text
            if root_prefix:  # the whole sheet in a prefixed namespace, as some exporters write it
                ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
                text = text.replace(f'xmlns="{ns}"', f'xmlns="{ns}" xmlns:{root_prefix}="{ns}"')
            body = text.encode()
        if move_sheet:  # the sheet lives at xl/data/rows.xml; the workbook's links say so
            name = name.replace("worksheets/sheet1.xml", "data/rows.xml")
            body = body.replace(b"worksheets/sheet1.xml", b"data/rows.xml")
        return name, body

    return _rewrite(base, edit)


@pytest.fixture()
def parsed_rows(monkeypatch):
    """How many ``<row>`` elements openpyxl's parser turned into cells."""
    seen = {"rows": 0}
    original = _reader.WorkSheetParser.parse_row

    def counting(self, row):  # type: ignore[no-untyped-def]
        seen["rows"] += 1
        return original(self, row)

    monkeypatch.setattr(_reader.WorkSheetParser, "parse_row", counting)
    return seen


LIMIT = MAX_ROWS + HEADER_SEARCH_ROWS + 1


@pytest.mark.parametrize(
    "workbook",
    [
        pytest.param(lambda: _with_rows(_rows_xml(ROWS, "<row\n")), id="row-tag-with-newline"),
        pytest.param(lambda: _with_rows(_rows_xml(ROWS), move_sheet=True),
                     id="sheet-outside-worksheets"),
        pytest.param(lambda: _with_rows(_rows_xml(ROWS, "<row\t"), move_sheet=True),
                     id="both"),
        pytest.param(lambda: _with_rows(_rows_xml(ROWS, "<" + "s" * 70 + ":row", "s" * 70),
                                        root_prefix="s" * 70), id="long-namespace-prefix"),
    ],
)
def test_hostile_row_layouts_are_refused_before_reading_every_row(parsed_rows, workbook):
    """Refused by the quick count of row tags, before any row is parsed."""
    data = workbook()
    with pytest.raises(InvalidInput, match=f"文件超过 {MAX_ROWS} 行，请分批导入。"):
        read_table(data, "名册.xlsx", columns=COLUMNS, required=["building"])
    assert parsed_rows["rows"] == 0, parsed_rows


def test_streaming_read_alone_stops_at_the_row_limit(parsed_rows, monkeypatch):
    """Should a layout ever fool the quick count, the streaming read is the bound: it stops one
    row past the limit, however many rows the sheet holds."""
    monkeypatch.setattr(io_module, "_count_row_tags", lambda *args: None)
    data = _with_rows(_rows_xml(ROWS, "<row\n"), move_sheet=True)
    with pytest.raises(InvalidInput, match=f"文件超过 {MAX_ROWS} 行，请分批导入。"):
        read_table(data, "名册.xlsx", columns=COLUMNS, required=["building"])
    assert parsed_rows["rows"] == LIMIT + 1, parsed_rows


def test_archive_that_unpacks_beyond_the_limit_is_refused_unparsed(parsed_rows):
    # 80 MB of spaces inside the sheet: a ~80 KB file
    data = _with_rows(" " * (80 * 1024 * 1024))
    assert len(data) < 1024 * 1024
    with pytest.raises(InvalidInput, match="解压后超过 64 MB"):
        read_table(data, "名册.xlsx", columns=COLUMNS, required=["building"])
    assert parsed_rows["rows"] == 0


def test_moved_sheet_and_lying_dimension_are_still_read_whole():
    """Streaming must not trust the sheet's <dimension> (openpyxl's read-only rows stop there)."""
    rows = _rows_xml(3, "<row\n")

    def shrink(name: str, body: bytes) -> tuple[str, bytes]:
        return name, body.replace(b'<dimension ref="A1:B1" />', b'<dimension ref="A1:A1" />')

    data = _rewrite(_with_rows(rows, move_sheet=True), shrink)
    assert b'ref="A1:A1"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/data/rows.xml")
    table = read_table(data, "名册.xlsx", columns=COLUMNS, required=["building", "unit"])
    assert [(r.number, r.values) for r in table.rows] == [
        (n, {"building": "3号楼", "unit": "2单元"}) for n in (2, 3, 4)
    ]


def test_sheet_jumping_to_a_far_row_is_refused_without_building_the_gap(parsed_rows):
    far = '<row r="900000"><c r="A900000" t="inlineStr"><is><t>9号楼</t></is></c></row>'
    data = _with_rows(_rows_xml(2) + far)
    with pytest.raises(InvalidInput, match=f"文件超过 {MAX_ROWS} 行"):
        read_table(data, "名册.xlsx", columns=COLUMNS, required=["building"])
    assert parsed_rows["rows"] <= 4
