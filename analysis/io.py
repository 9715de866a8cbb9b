"""Reading committees' spreadsheets: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected) or xlsx."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

__all__ = ["InputError", "read_table", "decode_bytes"]


class InputError(ValueError):
    """Input the user must fix (message in Chinese, one line, shown as is)."""


def decode_bytes(data: bytes) -> str:
    """Decode CSV bytes: BOM, then strict UTF-8, then charset-normalizer's guess, then GB18030.

    Raises :class:`InputError` when no encoding fits.
    """
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # GB18030 is a superset of GBK/GB2312: Chinese Excel exports are usually one of those.
    try:
        text = data.decode("gb18030")
        if "\ufffd" not in text and _mostly_printable(text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding and best.chaos < 0.3:
        text = str(best)
        if _mostly_printable(text):
            return text
    raise InputError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 文件")


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first lines clearly use tab, semicolon or vertical bar."""
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _mostly_printable(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for c in text if not (c.isprintable() or c in "\r\n\t"))
    return bad / len(text) < 0.01


def read_table(path: Path) -> pd.DataFrame:
    """Read a .csv or .xlsx file into a DataFrame of strings (empty cells become "").

    Raises :class:`InputError` (Chinese message) when the file is missing, of an unknown type,
    empty, without data rows, or unreadable.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx", ".txt", ".tsv"}:
        raise InputError(
            f"不支持的文件类型“{path.suffix or '无扩展名'}”：请使用 .csv 或 .xlsx 文件"
        )
    if not path.is_file():
        raise InputError(f"找不到文件：{path}")
    if suffix == ".xlsx":
        try:
            df = pd.read_excel(path, dtype=str, engine="openpyxl")
        except Exception as exc:  # zip/xml errors from openpyxl
            raise InputError(f"无法读取 Excel 文件 {path.name}：文件损坏或不是 .xlsx 格式") from exc
    else:
        data = path.read_bytes()
        if not data.strip():
            raise InputError(f"文件是空的：{path.name}")
        text = decode_bytes(data)
        sep = "\t" if suffix == ".tsv" else _sniff_delimiter(text)
        try:
            df = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, engine="python"
            )
        except pd.errors.EmptyDataError as exc:
            raise InputError(f"文件是空的：{path.name}") from exc
        except (pd.errors.ParserError, csv.Error) as exc:
            raise InputError(f"无法解析 CSV 文件 {path.name}：请检查分隔符和引号") from exc
    df = df.fillna("")
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[1] == 0:
        raise InputError(f"文件是空的：{path.name}")
    if len(df) == 0:
        raise InputError(f"文件只有表头，没有数据行：{path.name}")
    return df
