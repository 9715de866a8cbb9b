"""Exact text of the notice PDFs, read with pypdf.

pypdf's ``extract_text`` decodes fpdf2's CID-keyed CFF font (custom code→CID encoding) one byte
at a time, so glyphs with codes above 255 come out garbled (poppler's pdftotext reads them
right). A leak test must not depend on that, so this helper decodes the two-byte codes of every
text operator through the font's own ToUnicode map.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from pypdf.generic import ContentStream


def _to_unicode(font) -> dict[int, str]:  # type: ignore[no-untyped-def]
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}
    for code, uni in re.findall(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", cmap):
        out[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    return out


def pdf_text(pdf: bytes) -> str:
    """All text shown on all pages, in drawing order, without whitespace between glyphs."""
    reader = PdfReader(io.BytesIO(pdf))
    chunks: list[str] = []
    for page in reader.pages:
        fonts = {name: _to_unicode(ref.get_object())
                 for name, ref in page["/Resources"]["/Font"].items()}
        current: dict[int, str] = {}
        content = ContentStream(page.get_contents(), reader)
        for operands, op in content.operations:
            if op == b"Tf":
                current = fonts.get(operands[0], {})
            elif op in (b"Tj", b"'", b'"'):
                chunks.append(_decode(operands[-1], current))
            elif op == b"TJ":
                chunks.extend(_decode(item, current) for item in operands[0] if not isinstance(item, (int, float)))
    return re.sub(r"\s+", "", "".join(chunks))


def _decode(raw, cmap: dict[int, str]) -> str:  # type: ignore[no-untyped-def]
    data = raw.original_bytes if hasattr(raw, "original_bytes") else bytes(raw)
    return "".join(cmap.get(int.from_bytes(data[i:i + 2], "big"), "") for i in range(0, len(data) - 1, 2))
