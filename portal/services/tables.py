"""Uploaded spreadsheets (roster, offline opinions) as canonical columns.

Files are read by :func:`analysis.io.read_rows`, the one reader the ``consult themes`` command
uses too (same encodings, same bounds on hostile .xlsx files, same Chinese sentences); this
module only finds the header (a title such as “梧桐里社区居民名册” may stand above it), maps
its spellings to canonical names and applies the upload limits.

The result is a plain :class:`UploadedTable` of strings with the spreadsheet's own row numbers,
so an import can say “第 7 行：……” and the clerk finds that line in Excel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from analysis.io import (
    MAX_XLSX_UNPACKED,
    MSG_EMPTY,
    MSG_HEADER_ONLY,
    InputError,
    TooManyRows,
    read_rows,
)
from portal.services.errors import InvalidInput

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10  # a title such as “梧桐里社区居民名册” may stand above the header


@dataclass(frozen=True)
class TableRow:
    number: int  # the row number the user sees in Excel / a text editor (header = its own row)
    values: dict[str, str]  # canonical column name -> cell text (stripped, "" when empty)


@dataclass
class UploadedTable:
    columns: list[str]  # canonical names found
    rows: list[TableRow]
    encoding: str = ""  # for CSV: what was detected, e.g. "GBK/GB18030"
    notes: list[str] = field(default_factory=list)  # e.g. merged cells that were filled in


# Full-width letters and digits (Ａ-Ｚ, ０-９) typed with a Chinese input method → ASCII. Chinese
# punctuation (，。：) is left alone: it is part of what residents wrote.
_FULL_WIDTH_ALNUM = {cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                                 *range(0xFF41, 0xFF5B))}
_FULL_WIDTH_ALNUM.update({0x3000: 0x20, 0xFF0B: 0x2B, 0xFF0D: 0x2D})  # ideographic space, ＋, －


def clean_cell(value: object) -> str:
    """Cell text as a person reads it: trimmed, full-width digits → ASCII, no '.0' floats."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "strftime") and not isinstance(value, str):
        return value.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    return str(value).translate(_FULL_WIDTH_ALNUM).strip()


def _header_key(text: str) -> str:
    return "".join(clean_cell(text).lower().split()).replace("（", "(").replace("）", ")")


def read_table(
    data: bytes, filename: str, *, columns: Mapping[str, Iterable[str]], required: Iterable[str]
) -> UploadedTable:
    """Read an uploaded CSV or .xlsx into canonical columns.

    ``columns`` maps each canonical name to the header spellings accepted for it (Chinese and
    English). Raises InvalidInput, in a complete Chinese sentence, for an empty, broken or
    unsupported file, or when a required column is missing.
    """
    if data and data.strip() and len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("文件超过 10 MB，请分批导入。")
    try:
        table = read_rows(data, filename, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS + 1,
                          max_unpacked=MAX_XLSX_UNPACKED)
    except TooManyRows as exc:  # counted in raw rows; the user's limit is in data rows
        raise InvalidInput(f"文件超过 {MAX_ROWS} 行，请分批导入。") from exc
    except InputError as exc:
        raise InvalidInput(str(exc)) from exc
    raw, notes, encoding = table.rows, table.notes, table.encoding

    lookup: dict[str, str] = {}
    for canonical, spellings in columns.items():
        for spelling in [canonical, *spellings]:
            lookup[_header_key(spelling)] = canonical
    required = list(required)

    header_index = None
    mapping: dict[int, str] = {}
    for i, row in enumerate(raw[:HEADER_SEARCH_ROWS]):
        found = {j: lookup[_header_key(str(v))] for j, v in enumerate(row)
                 if v is not None and _header_key(str(v)) in lookup}
        if found and set(required) <= set(found.values()):
            header_index, mapping = i, found
            break
        if found and header_index is None and len(found) > len(mapping):
            mapping = found  # best partial header, to name what is missing
    if header_index is None:
        if not any(any(clean_cell(v) for v in row) for row in raw):
            raise InvalidInput(MSG_EMPTY)
        missing = [c for c in required if c not in mapping.values()]
        raise InvalidInput(
            f"文件缺少必填列：{'、'.join(missing)}。请确认第一行是列名（如：{'、'.join(required)}）。"
        )
    rows: list[TableRow] = []
    for offset, row in enumerate(raw[header_index + 1:], start=header_index + 2):
        values = dict.fromkeys(set(mapping.values()), "")
        for j, canonical in mapping.items():
            if j < len(row) and not values[canonical]:
                values[canonical] = clean_cell(row[j])
        if not any(values.values()):
            continue  # blank lines in between or at the end
        rows.append(TableRow(offset, values))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"文件超过 {MAX_ROWS} 行，请分批导入。")
    if not rows:
        raise InvalidInput(MSG_HEADER_ONLY)
    return UploadedTable(columns=sorted(set(mapping.values())), rows=rows, encoding=encoding,
                         notes=notes)
