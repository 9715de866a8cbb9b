"""Templates for the bulk imports: a file with exactly the columns the importer expects and one
example row, so a clerk starts from something that imports rather than from a blank sheet.

The columns come from the importers' own column tables (``ROSTER_COLUMNS``, ``OFFLINE_COLUMNS``),
so a template can never ask for a column the importer would not read.
"""

from __future__ import annotations

import io
from typing import Literal

import pandas as pd

from portal.services.errors import InvalidInput
from portal.services.identity.roster import AREA_COLUMN, ROSTER_COLUMNS
from portal.services.participation.offline import OFFLINE_COLUMNS
from portal.timefmt import today_local

Kind = Literal["roster", "offline"]
Format = Literal["xlsx", "csv"]

_NAMES = {"roster": "居民名册", "offline": "线下意见"}
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv"}


def _example(kind: Kind) -> dict[str, str]:
    if kind == "roster":
        # the owner's row of flat 3-2-301: 是否业主 and 专有部分面积 make it count in owners' votes
        return {"楼栋": "3号楼", "单元": "2单元", "年龄段": "60-69", "户号": "3-2-301", "网格": "第一网格",
                "是否业主": "是", AREA_COLUMN: "89.56"}
    return {"意见内容": "楼道里堆放的旧家具很久没人清理，存在消防隐患，希望物业尽快清走。",
            "渠道": "纸质", "收到日期": f"{today_local():%Y-%m-%d}", "楼栋": "3号楼"}


def import_template(kind: Kind, fmt: Format) -> tuple[str, bytes]:
    """(file name, bytes) of the ``kind`` template in ``fmt``: the header and one example row.
    The CSV is UTF-8 with a BOM, so Excel on Windows shows the Chinese headers correctly."""
    columns = {"roster": ROSTER_COLUMNS, "offline": OFFLINE_COLUMNS}.get(kind)
    if columns is None or fmt not in MIME:
        raise InvalidInput("没有这种模板。")
    example = _example(kind)
    frame = pd.DataFrame([{c: example.get(c, "") for c in columns}], columns=list(columns))
    name = f"{_NAMES[kind]}导入模板.{fmt}"
    if fmt == "csv":
        return name, frame.to_csv(index=False).encode("utf-8-sig")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=_NAMES[kind], index=False)
        sheet = writer.sheets[_NAMES[kind]]
        for idx, column in enumerate(frame.columns, start=1):
            width = max(len(str(column)), len(str(frame.iloc[0][column])))
            sheet.column_dimensions[sheet.cell(1, idx).column_letter].width = min(60, 4 + width * 1.8)
    return name, buf.getvalue()
