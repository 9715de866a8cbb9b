"""Reading committees' spreadsheets, and writing results back safely: the one home for both.

Every spreadsheet that enters the project goes through :func:`read_rows` — the ``consult
themes`` command (via :func:`read_table`), the roster import and the bulk offline import (via
``portal/services/tables.py``, which maps the header). So encodings are detected the same way
(UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030, Big5) and the same bad file gets the same
Chinese sentence wherever it is read.

.xlsx files are read in streaming mode with hard bounds, so a hostile workbook is refused in
about a second instead of being parsed whole (openpyxl's normal mode built a 590 MB object tree
in 52–59 s for a 3.2 MB file before the row limit could say no):

- the declared uncompressed size of the archive (``max_unpacked``), checked before parsing;
- rows are read one by one and reading stops as soon as ``max_rows`` is passed, wherever the
  sheet is stored in the archive and however its XML is laid out;
- at most ``MAX_COLUMNS`` columns per row.

Results are written with :func:`write_csv_atomic` (temporary file beside the target, then an
atomic rename; cells neutralised with :func:`safe_frame` so Excel never runs them as formulas).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas costs ~0.3 s to import; the portal's roster import does not need it
    import pandas as pd

__all__ = [
    "InputError",
    "RawTable",
    "TooManyRows",
    "decode_bytes",
    "detect_encoding",
    "neutralise",
    "read_rows",
    "read_table",
    "safe_frame",
    "write_csv_atomic",
]

MAX_COLUMNS = 256  # more than any roster or opinion export; bounds the work per row
MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # for uploads: a 20,000-row roster is ~6 MB unpacked
CLI_MAX_XLSX_UNPACKED = 1024 * 1024 * 1024  # a command-line run may read 100k+ opinions
XLSX_MAX_ROWS = 1_048_576  # Excel's own limit: no genuine sheet has more
MAX_MERGED_FILL = 5_000_000  # cells filled in from merged ranges, at most
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ENCODING_LABELS = {
    "utf_8": "UTF-8",
    "utf_8_sig": "UTF-8（带 BOM）",
    "gb18030": "GBK/GB18030",
    "big5": "Big5",
    "utf_16": "UTF-16",
}

# The sentences users see; tests/test_bad_input_catalogue.py and docs/bad-input.md quote them.
MSG_EMPTY = "文件是空的。"
MSG_HEADER_ONLY = "文件只有列名，没有数据行。"
MSG_ENCODING = "无法识别文件的文字编码。请在 Excel 中“另存为”CSV UTF-8 或 .xlsx 格式后再上传。"
MSG_XLSX_BROKEN = (
    "无法打开这个 Excel 文件：文件可能已损坏，或不是 .xlsx 格式。请用 Excel 重新保存后再上传。"
)
MSG_XLS = "暂不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传。"
MSG_WRONG_TYPE = "只支持 CSV 或 Excel（.xlsx）文件。"


class InputError(ValueError):
    """Input the user must fix (message in Chinese, one line, shown as is)."""


@dataclass
class RawTable:
    """A spreadsheet's cells, row by row as the user sees them (row 1 = ``rows[0]``)."""

    rows: list[list[Any]]
    encoding: str = ""  # for CSV: what was detected, e.g. "GBK/GB18030"
    notes: list[str] = field(default_factory=list)  # e.g. merged cells that were filled in


# -- encodings ----------------------------------------------------------------------------


def detect_encoding(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes; returns ``(text, codec)``.

    A byte-order mark first, then strict UTF-8, then the encodings Chinese offices use:
    charset-normalizer chooses between GB18030 (a superset of GBK/GB2312) and Big5, and the
    text must decode strictly and be printable. UTF-16 without a mark is not guessed: any
    even-length bytes "decode" to CJK characters. Raises :class:`InputError` otherwise.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf_8_sig"
        except UnicodeDecodeError:
            raise InputError(MSG_ENCODING) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf_16"
        except UnicodeDecodeError:
            raise InputError(MSG_ENCODING) from None
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5"]).best()
    guess = "big5" if best is not None and best.encoding == "big5" else "gb18030"
    for codec in dict.fromkeys([guess, "gb18030"]):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _mostly_printable(text):
            return text, codec
    raise InputError(MSG_ENCODING)


def decode_bytes(data: bytes) -> str:
    """The text of CSV bytes (see :func:`detect_encoding`)."""
    return detect_encoding(data)[0]


def _mostly_printable(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for c in text if not (c.isprintable() or c in "\r\n\t"))
    return bad / len(text) < 0.01


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first lines clearly use tab, semicolon or vertical bar."""
    head = "\n".join(text[:65536].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


# -- rows ---------------------------------------------------------------------------------


class TooManyRows(InputError):
    """The file has more rows than the caller allows (reading stopped there)."""


def _too_many_rows(max_rows: int) -> InputError:
    return TooManyRows(f"文件超过 {max_rows} 行，请分批导入。")


def read_rows(
    data: bytes,
    filename: str,
    *,
    max_rows: int | None = None,
    max_unpacked: int = MAX_XLSX_UNPACKED,
) -> RawTable:
    """The cells of a .csv / .txt / .tsv or .xlsx file (first sheet), as lists.

    CSV cells are strings; .xlsx cells keep their types (numbers, dates, ``None``), merged
    cells are filled with their top-left value. ``max_rows``: refuse a file with more rows
    than this (for .xlsx, reading stops there). Raises :class:`InputError` (Chinese) for an
    empty, broken or unsupported file.
    """
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise InputError(MSG_XLS)
    if not name.endswith((".xlsx", ".csv", ".txt", ".tsv")):
        raise InputError(MSG_WRONG_TYPE)
    if not data or not data.strip():
        raise InputError(MSG_EMPTY)
    if name.endswith(".xlsx"):
        return _xlsx_rows(data, max_rows, max_unpacked)
    text, codec = detect_encoding(data)
    delimiter = "\t" if name.endswith(".tsv") else _sniff_delimiter(text)
    rows: list[list[Any]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if max_rows is not None and len(rows) > max_rows:
                raise _too_many_rows(max_rows)
    except csv.Error as exc:
        raise InputError(f"CSV 文件格式有误，无法读取：{exc}。请检查分隔符和引号。") from exc
    return RawTable(rows, ENCODING_LABELS.get(codec, codec))


_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+[0-9]+):([A-Za-z]+[0-9]+)\"")


# A row element, with or without a namespace prefix and whatever whitespace follows its name:
# "<row r=", "<x:row>", "<row\nr=" (the layout that slipped past a count of "<row ").
_ROW_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s/>]")


def _check_archive(data: bytes, max_unpacked: int, max_rows: int | None) -> None:
    """Refuse before parsing: an archive that unpacks into more than ``max_unpacked`` bytes,
    or any XML part with more than ``max_rows`` row elements (wherever it is stored).

    The row count is a quick first answer (a 300,000-row bomb: ~0.2 s); the streaming read in
    :func:`_sheet_rows` is the guarantee, since a count of raw XML can be fooled."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            # Declared sizes are binding: zipfile stops at the declared size and fails the
            # CRC check when a member holds more, so a lying header reads as a broken file.
            if sum(i.file_size for i in infos) > max_unpacked:
                mb = max_unpacked // (1024 * 1024)
                raise InputError(
                    f"这个 Excel 文件解压后超过 {mb} MB（行数或格式过多），"
                    "请分批导入，或另存为 CSV 后再上传。"
                )
            if max_rows is None:
                return
            for info in infos:  # every member: the sheet's name need not end in .xml
                _count_row_tags(archive, info, max_rows)
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(MSG_XLSX_BROKEN) from exc


def _count_row_tags(archive: Any, info: Any, max_rows: int) -> None:
    rows, carry = 0, b""
    with archive.open(info) as fh:
        while chunk := fh.read(1 << 20):
            window = carry + chunk
            # every match starts with "<": count up to the last "<", carry the rest over
            cut = window.rfind(b"<")
            if cut < 0 or len(window) - cut > 4096:  # (a tag cut here goes uncounted)
                cut = len(window)
            rows += len(_ROW_TAG_RE.findall(window, 0, cut))
            carry = window[cut:]
            if rows > max_rows:
                raise _too_many_rows(max_rows)
    if len(_ROW_TAG_RE.findall(carry)) + rows > max_rows:
        raise _too_many_rows(max_rows)


def _xlsx_rows(data: bytes, max_rows: int | None, max_unpacked: int) -> RawTable:
    from openpyxl import load_workbook
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    _check_archive(data, max_unpacked, max_rows)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # zip, XML and schema errors of every kind: the file is broken
        raise InputError(MSG_XLSX_BROKEN) from exc
    try:
        if not wb.worksheets:
            raise InputError(MSG_XLSX_BROKEN)
        ws = wb.worksheets[0]
        try:
            rows = _sheet_rows(wb, ws, max_rows)
            merged = _merged_ranges(wb, ws)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(MSG_XLSX_BROKEN) from exc
    finally:
        wb.close()
    width = MAX_COLUMNS
    notes: list[str] = []
    budget = MAX_MERGED_FILL  # thousands of overlapping sheet-wide ranges must not loop forever
    for top_left, bottom_right in merged:
        try:
            c1, r1 = coordinate_from_string(top_left)
            c2, r2 = coordinate_from_string(bottom_right)
            col1, col2 = column_index_from_string(c1), column_index_from_string(c2)
        except ValueError:
            continue
        if not (1 <= r1 <= len(rows) and 1 <= col1 <= len(rows[r1 - 1])):
            continue
        value = rows[r1 - 1][col1 - 1]
        budget -= (min(r2, len(rows)) - r1 + 1) * (min(col2, width) - col1 + 1)
        if budget < 0:
            raise InputError("这个 Excel 文件的合并单元格太多，请取消合并单元格后再上传。")
        for r in range(r1, min(r2, len(rows)) + 1):
            row = rows[r - 1]
            for c in range(col1, min(col2, width) + 1):
                if c > len(row):
                    row.extend([None] * (c - len(row)))
                row[c - 1] = value
        if r2 > r1:
            shown = "" if value is None else str(value).strip()
            notes.append(f"{top_left}:{bottom_right} 是合并单元格，已按“{shown}”填到每一行")
    return RawTable(rows, "", notes)


def _sheet_rows(wb: Any, ws: Any, max_rows: int | None) -> list[list[Any]]:
    """The rows of a read-only sheet, parsed one ``<row>`` at a time and bounded.

    ``ws.iter_rows`` is not used: it trusts the sheet's own ``<dimension>`` (a workbook that
    declares ``A1:C1`` would be cut to one row, one that declares ``A1:XFD20000`` would pad
    every row to 16,384 cells). The same parser openpyxl's read-only rows use is driven here,
    cells beyond ``MAX_COLUMNS`` are dropped, and rows missing from the XML (a jump to row
    1,000,000) count towards ``max_rows`` before anything is allocated for them.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    rows: list[list[Any]] = []
    with ws._get_source() as src:
        parser = WorkSheetParser(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for number, cells in parser.parse():
            if number <= len(rows):
                continue  # a row number repeated or going backwards: keep the first
            if max_rows is not None and number > max_rows:
                raise _too_many_rows(max_rows)
            rows.extend([] for _ in range(number - 1 - len(rows)))
            values: list[Any] = []
            for cell in cells:
                column = cell["column"]
                if column <= MAX_COLUMNS and cell["value"] is not None:
                    if column > len(values):
                        values.extend([None] * (column - len(values)))
                    values[column - 1] = cell["value"]
            rows.append(values)
    return rows


def _merged_ranges(wb: Any, ws: Any) -> list[tuple[str, str]]:
    """Merged ranges of a read-only sheet (openpyxl only reads them in normal mode): a scan of
    the sheet's XML, bounded like the rows since it only runs once they were read."""
    path = getattr(ws, "_worksheet_path", None)
    if not path:
        return []
    found: list[tuple[str, str]] = []
    tail = b""
    with wb._archive.open(path) as fh:
        while chunk := fh.read(1 << 20):
            window = tail + chunk
            found += [(a.decode(), b.decode()) for a, b in _MERGE_RE.findall(window)]
            # a tag cut by the chunk border is found in the next window; one ending inside
            # the kept tail would be found twice, so keep only what follows the last '<'
            cut = window.rfind(b"<")
            tail = window[cut:] if cut >= 0 and len(window) - cut < 200 else b""
    return list(dict.fromkeys(found))


# -- the command line's DataFrame ---------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        text: str = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    return str(value)


def _column_names(header: list[Any]) -> list[str]:
    """Header cells as column names; blanks become ``Unnamed: j`` and repeats get ``.1``,
    ``.2`` as pandas names them, so every column can be addressed."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, cell in enumerate(header):
        name = _cell_text(cell).strip() or f"Unnamed: {j}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def read_table(path: Path, *, max_unpacked: int = CLI_MAX_XLSX_UNPACKED) -> pd.DataFrame:
    """Read a .csv / .txt / .tsv or .xlsx file into a DataFrame of strings ("" when empty).

    The first non-blank row is the header; blank rows are skipped. Raises
    :class:`InputError` (Chinese message) when the file is missing, of an unknown type,
    empty, without data rows, or unreadable (see :func:`read_rows`).
    """
    import pandas as pd

    path = Path(path)
    if not path.name.lower().endswith((".xlsx", ".xls", ".csv", ".txt", ".tsv")):
        raise InputError(MSG_WRONG_TYPE)
    if not path.is_file():
        raise InputError(f"找不到文件：{path}")
    xlsx = path.name.lower().endswith(".xlsx")
    raw = read_rows(
        path.read_bytes(),
        path.name,
        max_rows=XLSX_MAX_ROWS if xlsx else None,
        max_unpacked=max_unpacked,
    ).rows
    if xlsx:  # typed cells (numbers, dates) to the text the user sees; CSV cells are text
        raw = [[_cell_text(v) for v in r] for r in raw]
    rows = [r for r in raw if any(r)]  # blank lines, as pandas skips them
    if not rows:
        raise InputError(MSG_EMPTY)
    header = list(rows[0])
    while header and not header[-1].strip():
        header.pop()  # trailing empty header cells (Excel exports often end rows with commas)
    columns = _column_names(header)
    width = len(columns)
    body = rows[1:]
    for number, cells in enumerate(body, start=2):
        if len(cells) == width:
            continue
        if len(cells) > width:
            if any(c.strip() for c in cells[width:]):
                raise InputError(
                    f"第 {number} 行有 {len(cells)} 列，比列名多：请检查分隔符和引号。"
                )
            del cells[width:]
        else:
            cells += [""] * (width - len(cells))
    if not body:
        raise InputError(MSG_HEADER_ONLY)
    data = dict(zip(range(width), map(list, zip(*body, strict=True)), strict=True))
    df = pd.DataFrame(data, dtype=object)
    df.columns = pd.Index(columns, dtype=object)
    return df


# -- writing ------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Make a cell safe to open in a spreadsheet: text starting with = + - @ (or a tab or
    carriage return) gets a leading apostrophe, so Excel shows it instead of running it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name :func:`neutralise`-d."""
    import pandas as pd

    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV (UTF-8 with BOM, so Excel on Windows shows Chinese; formula-safe)
    without ever leaving a partial file under ``path``.

    The rows go to a temporary file beside ``path`` (same file system), which is flushed to
    disk and then renamed over ``path`` in one step: a run killed meanwhile leaves the old
    file (or none) and at most a hidden ``.name.*.part`` file. Raises ``OSError``.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777  # replacing a file keeps its permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # what open() would have given a new file
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(fd, mode)  # mkstemp creates it readable by its owner only
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            safe_frame(df).to_csv(fh, index=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
