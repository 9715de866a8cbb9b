"""Checking an uploaded file before anything is stored: what it really is, and whether it is safe.

The kind is read from the file's first bytes, never from its name, so a renamed program or
archive is refused whatever it is called. Images are opened with Pillow, refused above
``MAX_PIXELS`` (read from the header, before any pixel is decoded, so a decompression bomb costs
nothing), shrunk to ``MAX_SIDE`` and re-encoded from their pixels alone: EXIF (GPS position,
camera, time), XMP, ICC and text chunks are all left behind. PDFs are read with pypdf, every
object is walked, and a file that can run code or carries other files (JavaScript, an
OpenAction or additional action, a launch action, embedded files, XFA forms) is refused, as is
one whose streams inflate past ``PDF_MAX_INFLATED`` (a compression bomb).

Each refusal is an ``InvalidInput`` whose Chinese sentence the uploader sees as it is.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.services.errors import InvalidInput
from portal.settings import get_settings

MAX_PIXELS = 40_000_000  # a 50-megapixel photo is refused; phones give 12–24 MP
MAX_SIDE = 2000  # longer side of a stored image, in pixels
JPEG_QUALITY = 85
PDF_MAX_INFLATED = 100_000_000  # bytes all streams of one PDF may inflate to
PDF_MAX_OBJECTS = 200_000
PDF_MAX_PAGES = 500

IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF_TYPE = ("application/pdf", ".pdf")
ACCEPTED_TEXT = "JPG、PNG、WebP 图片或 PDF 文件"

# First bytes of kinds people try to upload that we refuse, with the words to say so.
_REFUSED_MAGIC: list[tuple[bytes, int, str]] = [
    (b"MZ", 0, "可执行程序（.exe）"),
    (b"\x7fELF", 0, "可执行程序"),
    (b"\xcf\xfa\xed\xfe", 0, "可执行程序"),
    (b"#!", 0, "脚本程序"),
    (b"PK\x03\x04", 0, "压缩包（zip，或 Word/Excel 文档）"),
    (b"PK\x05\x06", 0, "压缩包（zip）"),
    (b"Rar!", 0, "压缩包（rar）"),
    (b"7z\xbc\xaf\x27\x1c", 0, "压缩包（7z）"),
    (b"\x1f\x8b", 0, "压缩包（gz）"),
    (b"BZh", 0, "压缩包（bz2）"),
    (b"\xfd7zXZ\x00", 0, "压缩包（xz）"),
    (b"\xd0\xcf\x11\xe0", 0, "旧版 Office 文档"),
    (b"ftypheic", 4, "HEIC 格式的苹果手机照片"),
    (b"ftypheix", 4, "HEIC 格式的苹果手机照片"),
    (b"ftypmif1", 4, "HEIC 格式的苹果手机照片"),
    (b"ftyp", 4, "视频"),
    (b"GIF8", 0, "GIF 动图"),
    (b"<svg", 0, "SVG 图形"),
    (b"<?xml", 0, "XML 文件"),
    (b"<!DOCTYPE", 0, "网页文件"),
    (b"<html", 0, "网页文件"),
]
_HINTS = {
    "HEIC 格式的苹果手机照片": "请在手机“设置 → 相机 → 格式”中选“兼容性最佳”，或截图后上传。",
    "压缩包（zip，或 Word/Excel 文档）": "请把文档另存为 PDF 后上传。",
    "旧版 Office 文档": "请把文档另存为 PDF 后上传。",
}


@dataclass(frozen=True)
class Upload:
    """A file as it came from a form or a script: its name and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks, in the form it will be stored (images re-encoded)."""

    data: bytes
    media_type: str
    filename: str  # cleaned, with the extension of what the file really is
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


def _refuse(name: str, why: str) -> InvalidInput:
    return InvalidInput(f"文件“{name}”{why}")


def _harmless(filename: str | None) -> str:
    raw = PureWindowsPath(PurePosixPath(filename or "").name).name
    raw = unicodedata.normalize("NFC", raw)
    raw = re.sub(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", raw)
    return re.sub(r'[\\/:*?"<>|]', "_", raw).strip(" .")


def clean_filename(filename: str | None, extension: str) -> str:
    """A harmless display name: no folders, no control characters, the true extension."""
    raw = _harmless(filename)
    stem = raw.rsplit(".", 1)[0] if "." in raw else raw
    stem = stem[:80].strip(" .") or "附件"
    return stem + extension


def _display(filename: str | None) -> str:
    """The name as the uploader knows it (extension kept), made harmless, for messages."""
    name = _harmless(filename)
    return name if len(name) <= 40 else name[:30] + "…" + name[-8:]


def _sniff(data: bytes, name: str, accepted: str = ACCEPTED_TEXT) -> str:
    """'image', 'pdf', or an InvalidInput naming what the file really is."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n" or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    head = data[:64].lstrip().lower()
    for magic, offset, what in _REFUSED_MAGIC:
        sample = head if magic.startswith(b"<") else data[offset:offset + len(magic)]
        if sample.startswith(magic.lower() if magic.startswith(b"<") else magic):
            hint = _HINTS.get(what, "")
            raise _refuse(name, f"实际上是{what}，不能上传。只能上传{accepted}。{hint}")
    raise _refuse(name, f"不是可以识别的图片或 PDF（无论文件名是什么，都按内容判断）。只能上传{accepted}。")


def check_upload(upload: Upload, *, images_only: bool = False) -> CheckedFile:
    """Check one upload and return it as it will be stored, or raise InvalidInput in Chinese."""
    name = _display(upload.filename) or "附件"
    data = bytes(upload.data or b"")
    limit_mb = get_settings().upload_max_mb
    if not data:
        raise _refuse(name, "是空的（0 字节），请重新选择文件。")
    if len(data) > limit_mb * 1024 * 1024:
        raise _refuse(name, f"太大了（{len(data) / 1024 / 1024:.1f} MB），每个文件最大 {limit_mb} MB。"
                            "照片可以先用手机“编辑 → 调整大小”或截图后再上传。")
    kind = _sniff(data, name, "JPG、PNG 或 WebP 照片" if images_only else ACCEPTED_TEXT)
    if kind == "pdf":
        if images_only:
            raise _refuse(name, "是 PDF 文件；意见只能附照片（JPG、PNG、WebP）。")
        check_pdf(data, name)
        return CheckedFile(data, PDF_TYPE[0], clean_filename(upload.filename, PDF_TYPE[1]))
    return reencode_image(data, name, upload.filename)


# ---------------------------------------------------------------- images


def reencode_image(data: bytes, name: str, filename: str | None) -> CheckedFile:
    """Open, verify, size-check and re-encode an image from its pixels only (no metadata)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                w, h = probe.size
                if fmt not in IMAGE_TYPES:
                    raise _refuse(name, f"的图片格式（{fmt or '未知'}）不支持。只能上传{ACCEPTED_TEXT}。")
                if w * h > MAX_PIXELS:
                    raise _refuse(name, f"像素太多（{w}×{h}，约 {w * h / 10_000:.0f} 万像素），最多 "
                                        f"{MAX_PIXELS // 10_000} 万像素。请缩小后再上传。")
                probe.verify()
            with Image.open(io.BytesIO(data)) as im:
                # JPEG: decode at 1/2, 1/4 or 1/8 scale when that still leaves MAX_SIDE on the long side
                scale = MAX_SIDE / max(w, h)
                if scale < 1:
                    im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
                im.load()
                frame = ImageOps.exif_transpose(im)  # upright as the camera meant, then forget EXIF
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, "的像素数量异常巨大，疑似“解压炸弹”，不能上传。") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(name, "已损坏或不完整，无法作为图片打开。请重新拍摄或导出后上传。") from None
    if frame.mode not in ("RGB", "RGBA", "L", "LA"):
        frame = frame.convert("RGBA" if "A" in frame.getbands() or "transparency" in frame.info else "RGB")
    if max(frame.size) > MAX_SIDE:
        frame.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # A new image from the pixels alone: nothing of the original's info (EXIF, GPS, XMP, ICC,
    # comments, PNG text chunks) can come along.
    clean = Image.frombytes(frame.mode, frame.size, frame.tobytes())
    media_type, ext = IMAGE_TYPES[fmt]
    out = io.BytesIO()
    if fmt == "JPEG":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=JPEG_QUALITY)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        if clean.mode not in ("RGB", "RGBA"):
            clean = clean.convert("RGBA" if "A" in clean.mode else "RGB")
        clean.save(out, "WEBP", quality=JPEG_QUALITY, method=4)
    return CheckedFile(out.getvalue(), media_type, clean_filename(filename, ext), clean.width, clean.height)


# ---------------------------------------------------------------- PDF

# Keys whose presence means the PDF can act on its own or carries other files.
_ACTIVE_KEYS = {
    "/JS": "JavaScript 脚本",
    "/JavaScript": "JavaScript 脚本",
    "/AA": "打开或翻页时自动执行的动作",
    "/EmbeddedFiles": "嵌入的其他文件",
    "/EmbeddedFile": "嵌入的其他文件",
    "/XFA": "XFA 动态表单",
    "/RichMedia": "多媒体插件内容",
}
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript 脚本",
    "/Launch": "启动外部程序的动作",
    "/ImportData": "导入外部数据的动作",
    "/SubmitForm": "向外部提交表单的动作",
    "/RichMediaExecute": "多媒体插件内容",
    "/GoToE": "打开嵌入文件的动作",
}


def _pdf_finding(obj: Any, budget: list[int]) -> str | None:
    """Walk every object reachable from ``obj``; the first active content found, if any.

    ``budget`` is [objects left, inflated bytes left]; a stream's data is decoded once to count
    what it inflates to (pypdf stops any single stream at its own limit).
    """
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        StreamObject,
    )

    seen: set[tuple[int, int]] = set()
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            budget[0] -= 1
            if budget[0] < 0:
                return "__too_many__"
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key in item:
                if key in _ACTIVE_KEYS:
                    return _ACTIVE_KEYS[key]
            action = item.get("/S")
            if isinstance(action, NameObject) and action in _ACTIVE_ACTIONS:
                return _ACTIVE_ACTIONS[action]
            if item.get("/Subtype") == "/FileAttachment":
                return "嵌入的其他文件"
            if "/OpenAction" in item:
                opening: Any = item["/OpenAction"]
                if isinstance(opening, IndirectObject):
                    opening = opening.get_object()
                if isinstance(opening, DictionaryObject):  # an action; an array is only "open at page N"
                    return "打开文件时自动执行的动作（OpenAction）"
            if isinstance(item, StreamObject):
                budget[1] -= _inflated_size(item)
                if budget[1] < 0:
                    return "__bomb__"
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _inflated_size(stream: Any) -> int:
    """What a stream inflates to; a filter pypdf cannot decode (JBIG2 without its tool, a broken
    stream) counts as its stored size: it cannot be a bomb if nobody can inflate it."""
    from pypdf.errors import LimitReachedError

    try:
        return len(stream.get_data())
    except LimitReachedError:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds for filters it does not know
        return len(getattr(stream, "_data", b"") or b"")


def check_pdf(data: bytes, name: str) -> None:
    """Refuse a PDF that is broken, encrypted, huge when inflated, or able to run anything."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise _refuse(name, "设置了密码或加密，无法检查内容，请上传未加密的 PDF。")
            n_pages = len(reader.pages)
            if n_pages == 0:
                raise _refuse(name, "没有任何页面，请检查后重新导出 PDF。")
            if n_pages > PDF_MAX_PAGES:
                raise _refuse(name, f"有 {n_pages} 页，最多 {PDF_MAX_PAGES} 页，请拆分后上传。")
            finding = _pdf_finding(reader.trailer, [PDF_MAX_OBJECTS, PDF_MAX_INFLATED])
    except InvalidInput:
        raise
    except LimitReachedError:
        finding = "__bomb__"
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, AssertionError):
        raise _refuse(name, "已损坏，无法作为 PDF 打开。请重新导出后上传。") from None
    if finding == "__bomb__":
        raise _refuse(name, "解压后的内容异常巨大，疑似“压缩炸弹”，不能上传。")
    if finding == "__too_many__":
        raise _refuse(name, "结构过于复杂（对象数量异常），不能上传。请重新导出后上传。")
    if finding:
        raise _refuse(name, f"含有{finding}，出于安全考虑不能上传。请用“打印为 PDF”重新生成一份再上传。")
