"""Test files made on the spot (no binary is committed): photos with GPS, hostile PDFs, bombs."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import ExifTags, Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

# 上海 人民广场, as a phone would write it
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 13.0, 58.8),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 29.4),
}


def photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", *, gps: bool = True, orientation: int | None = None,
          colour: tuple[int, int, int] = (200, 120, 40), label: str = "") -> bytes:
    """A small picture of a broken lamp post, with a phone's EXIF (camera, time, GPS)."""
    im = Image.new("RGB", size, (90, 110, 140))
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.rectangle([w // 3, h // 5, w // 3 + max(4, w // 20), h - 10], fill=colour)
    draw.ellipse([w // 3 - 20, h // 5 - 20, w // 3 + 30, h // 5 + 20], fill=(250, 230, 90))
    if label:
        draw.text((10, 10), label, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Huawei"
    exif[ExifTags.Base.Model] = "Mate 60"
    exif[ExifTags.Base.DateTime] = "2026:11:28 19:42:10"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    if fmt == "PNG":
        info = PngInfo()
        info.add_text("Author", "3号楼 王建国 13912345678")
        im.save(out, "PNG", exif=exif.tobytes(), pnginfo=info)
    else:
        im.save(out, fmt, exif=exif.tobytes(), **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` pixels, with almost no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def png_text_bomb() -> bytes:
    """A 16×16 PNG whose compressed text chunk inflates to 50 MB (Pillow stops reading it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    text = b"Comment\0\0" + zlib.compress(b"A" * 50_000_000, 9)
    pixels = zlib.compress(b"".join(b"\0" + b"\x80" * 48 for _ in range(16)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"zTXt", text) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def pdf(*, extra=None, pages: int = 1) -> bytes:  # type: ignore[no-untyped-def]
    """A plain PDF (``pages`` blank A4 pages); ``extra(writer)`` may add hostile parts."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if extra:
        extra(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    """A link on page 1 that runs JavaScript when clicked."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    def add(w):  # type: ignore[no-untyped-def]
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                   NameObject("/JS"): TextStringObject("app.alert('请输入业主密码');")})
        link = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                                 NameObject("/Rect"): ArrayObject([NumberObject(v) for v in (50, 50, 300, 100)]),
                                 NameObject("/A"): action})
        w.pages[0][NameObject("/Annots")] = ArrayObject([w._add_object(link)])
    return pdf(extra=add)


def pdf_with_launch_action() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def add(w):  # type: ignore[no-untyped-def]
        w._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    return pdf(extra=add)


def pdf_with_embedded_file() -> bytes:
    return pdf(extra=lambda w: w.add_attachment("费用明细.exe", b"MZ\x90\x00" + b"\0" * 60))


def pdf_opening_at_page_one() -> bytes:
    """A harmless OpenAction: a destination (open at page 1), not an action."""
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    def add(w):  # type: ignore[no-untyped-def]
        w._root_object[NameObject("/OpenAction")] = ArrayObject(
            [w.pages[0].indirect_reference, NameObject("/XYZ"), NumberObject(0), NumberObject(842), NumberObject(0)])
    return pdf(extra=add)


def pdf_bomb(streams: int, inflated_mb: int) -> bytes:
    """A PDF carrying ``streams`` Flate streams of zeros, each inflating to ``inflated_mb`` MB."""
    from pypdf.generic import ArrayObject, NameObject, NumberObject, StreamObject

    packed = zlib.compress(b"\0" * (inflated_mb * 1_000_000), 9)

    def add(w):  # type: ignore[no-untyped-def]
        refs = []
        for _ in range(streams):
            s = StreamObject()
            s.set_data(b"")
            s._data = packed
            s[NameObject("/Filter")] = NameObject("/FlateDecode")
            s[NameObject("/Length")] = NumberObject(len(packed))
            refs.append(w._add_object(s))
        w._root_object[NameObject("/PieceInfo")] = ArrayObject(refs)
    return pdf(extra=add)


def pdf_with_unknown_filter() -> bytes:
    """A scanned-looking PDF whose image stream uses a filter pypdf cannot decode by itself."""
    from pypdf.generic import NameObject, NumberObject, StreamObject

    def add(w):  # type: ignore[no-untyped-def]
        s = StreamObject()
        s._data = b"\x97JB2\r\n\x1a\n" + b"\x00" * 200
        s[NameObject("/Filter")] = NameObject("/JBIG2Decode")
        s[NameObject("/Length")] = NumberObject(len(s._data))
        w._root_object[NameObject("/PieceInfo")] = w._add_object(s)
    return pdf(extra=add)


def encrypted_pdf() -> bytes:
    return pdf(extra=lambda w: w.encrypt("8888"))


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("方案.txt", "0" * 10_000_000)
    return out.getvalue()


WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 48 + b"This program cannot be run in DOS mode."
