"""Reading the spreadsheets that committees actually have: CSV in UTF-8, UTF-8 with BOM or GBK,
and .xlsx files with a title row above the header or merged cells.

The result is a plain :class:`UploadedTable` of strings with the spreadsheet's own row numbers,
so an import can say “第 7 行：……” and the clerk finds that line in Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from portal.services.errors import InvalidInput

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10  # a title such as “梧桐里社区居民名册” may stand above the header

ENCODING_LABELS = {
    "utf_8": "UTF-8",
    "utf_8_sig": "UTF-8（带 BOM）",
    "gb18030": "GBK/GB18030",
    "gbk": "GBK/GB18030",
    "gb2312": "GBK/GB18030",
    "big5": "Big5",
    "utf_16": "UTF-16",
}


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


def detect_encoding(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes; returns (text, codec). UTF-8 (with or without BOM) first, then
    charset-normalizer among the encodings Chinese offices use (GBK/GB18030, Big5, UTF-16)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf_8_sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf_16"
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "gbk", "gb2312", "big5", "utf_16"]).best()
    codec = best.encoding if best is not None else "gb18030"
    if codec in {"gbk", "gb2312"}:
        codec = "gb18030"  # a superset: decodes every GBK file and the rare characters beyond it
    try:
        return data.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                "无法识别文件的文字编码。请在 Excel 中“另存为”CSV UTF-8 或 .xlsx 格式后再上传。"
            ) from exc


def _raw_rows_from_csv(data: bytes) -> tuple[list[list[str]], str]:
    text, codec = detect_encoding(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InvalidInput(f"CSV 文件格式有误，无法读取：{exc}。") from exc
    return rows, ENCODING_LABELS.get(codec, codec)


MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # a 20,000-row roster is ~6 MB unpacked


def _check_xlsx_size(data: bytes) -> None:
    """Refuse an .xlsx that unpacks into far more than a roster before openpyxl parses it.

    openpyxl reads every sheet completely: a 4 MB file holding 400,000 rows took 70 s and
    900 MB to reject (measured), blocking the portal meanwhile. Counting rows in the raw XML
    takes a fraction of a second.
    """
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # openpyxl says it clearly below
    sheets = [i for i in archive.infolist()
              if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
    if sum(i.file_size for i in archive.infolist()) > MAX_XLSX_UNPACKED:
        raise InvalidInput("这个 Excel 文件解压后超过 64 MB（行数或格式过多），请分批导入，或另存为 CSV 后再上传。")
    for info in sheets:
        rows, tail = 0, b""
        with archive.open(info) as fh:
            while chunk := fh.read(1 << 20):
                window = tail + chunk
                rows += window.count(b"<row ") + window.count(b"<row>") + window.count(b":row ")
                tail = window[-4:]
                if rows > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                    raise InvalidInput(f"文件超过 {MAX_ROWS} 行，请分批导入。")


def _raw_rows_from_xlsx(data: bytes) -> tuple[list[list[object]], list[str]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    _check_xlsx_size(data)
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(
            "无法打开这个 Excel 文件：文件可能已损坏，或不是 .xlsx 格式。请用 Excel 重新保存后再上传。"
        ) from exc
    ws = wb.worksheets[0]
    notes: list[str] = []
    fills: dict[tuple[int, int], object] = {}
    for merged in list(ws.merged_cells.ranges):
        top_left = ws.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                fills[(r, c)] = top_left
        if merged.max_row > merged.min_row:
            notes.append(f"{merged.coord} 是合并单元格，已按“{clean_cell(top_left)}”填到每一行")
    rows: list[list[object]] = []
    for r_idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
        rows.append([fills.get((r_idx, c_idx), v) for c_idx, v in enumerate(row, start=1)])
        if r_idx > MAX_ROWS + HEADER_SEARCH_ROWS:
            break
    return rows, notes


def read_table(
    data: bytes, filename: str, *, columns: Mapping[str, Iterable[str]], required: Iterable[str]
) -> UploadedTable:
    """Read an uploaded CSV or .xlsx into canonical columns.

    ``columns`` maps each canonical name to the header spellings accepted for it (Chinese and
    English). Raises InvalidInput, in a complete Chinese sentence, for an empty, broken or
    unsupported file, or when a required column is missing.
    """
    name = (filename or "").lower()
    if not data or not data.strip():
        raise InvalidInput("上传的文件是空的。")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("文件超过 10 MB，请分批导入。")
    notes: list[str] = []
    encoding = ""
    raw: list[list[object]]
    if name.endswith(".xlsx"):
        raw, notes = _raw_rows_from_xlsx(data)
    elif name.endswith(".xls"):
        raise InvalidInput("暂不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传。")
    elif name.endswith((".csv", ".txt")):
        text_rows, encoding = _raw_rows_from_csv(data)
        raw = [list[object](row) for row in text_rows]
    else:
        raise InvalidInput("只支持 CSV 或 Excel（.xlsx）文件。")

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
            raise InvalidInput("上传的文件是空的。")
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
        raise InvalidInput("文件只有列名，没有数据行。")
    return UploadedTable(columns=sorted(set(mapping.values())), rows=rows, encoding=encoding,
                         notes=notes)
