"""How long the roster upload takes to refuse hostile .xlsx files (issue 12, item 8).

Builds ~3 MB workbooks of 300,000 rows in the layouts that once took 52–59 s and ~590 MB to
refuse (rows written ``<row\\n``, the sheet stored outside ``xl/worksheets/``), the ordinary
layout, and a sheet whose rows only the streaming read can count (the quick count switched
off), then times ``portal.services.tables.read_table`` on each, with a genuine 20,000-row
roster read in full as the reference.

    .venv/bin/python bench/bench_xlsx_guard.py
"""

from __future__ import annotations

import io
import resource
import time
import zipfile

import _common  # noqa: F401  (puts the repository on sys.path)
from openpyxl import Workbook

import analysis.io as io_module
from portal.services.errors import InvalidInput
from portal.services.tables import read_table

COLUMNS = {"building": ["楼栋"], "unit": ["单元"], "age": ["年龄段"]}


def _base(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def hostile(n: int, row_open: str = "<row ", move: bool = False) -> bytes:
    base = zipfile.ZipFile(io.BytesIO(_base([["楼栋", "单元", "年龄段"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in base.infolist():
            name, data = info.filename, base.read(info.filename)
            if name == "xl/worksheets/sheet1.xml":
                rows = "".join(
                    f'{row_open}r="{i}"><c r="A{i}" t="inlineStr"><is><t>3号楼</t></is></c>'
                    f'<c r="B{i}" t="inlineStr"><is><t>2单元</t></is></c></row>'
                    for i in range(2, n + 2)
                )
                data = data.decode().replace("</sheetData>", rows + "</sheetData>").encode()
            if move:
                name = name.replace("worksheets/sheet1.xml", "data/rows.xml")
                data = data.replace(b"worksheets/sheet1.xml", b"data/rows.xml")
            z.writestr(name, data)
    return out.getvalue()


def timed(data: bytes) -> tuple[float, str]:
    t0 = time.perf_counter()
    try:
        table = read_table(data, "名册.xlsx", columns=COLUMNS, required=["building"])
        outcome = f"read {len(table.rows):,d} rows"
    except InvalidInput as exc:
        outcome = str(exc)
    return time.perf_counter() - t0, outcome


def main() -> None:
    genuine = _base([["楼栋", "单元", "年龄段"]] + [[f"{i % 30}号楼", "1单元", "60-69"]
                                                   for i in range(19_990)])
    cases = [
        ("genuine roster, 19,990 rows (read in full)", genuine, True),
        ("300k rows, ordinary layout", hostile(300_000), True),
        ("300k rows written <row\\n", hostile(300_000, "<row\n"), True),
        ("300k rows, sheet outside xl/worksheets/", hostile(300_000, move=True), True),
        ("300k rows <row\\n + moved, streaming read only", hostile(300_000, "<row\n", True), False),
    ]
    print(f"{'case':48s} {'size':>8s} {'seconds':>8s}  outcome")
    for label, data, quick in cases:
        original = io_module._count_row_tags
        if not quick:
            io_module._count_row_tags = lambda *args: None  # type: ignore[assignment]
        try:
            secs, outcome = timed(data)
        finally:
            io_module._count_row_tags = original
        print(f"{label:48s} {len(data) / 1e6:6.1f}MB {secs:8.2f}  {outcome}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
