"""What checking an upload costs, as ratios against the unavoidable work measured in the same run.

- Photo: ``check_upload`` on a 12-megapixel phone JPEG (with EXIF/GPS) against the baseline a
  naive uploader would do anyway: Pillow decodes it fully and saves it again at the same size.
- Bomb: refusing a 50-MP header-only PNG and a PDF whose stream inflates to 80 MB, against the
  photo baseline (refusal must cost far less than accepting a real photo).
- PDF: ``check_upload`` on a 60-page PDF (walks every object, inflates every stream) against
  pypdf just reading it and counting its pages.

    .venv/bin/python bench/bench_uploads.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) if repeat < 3 else statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="bench-uploads-"))
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")

    from PIL import Image
    from pypdf import PdfReader

    from portal.services.documents.checks import Upload, check_upload
    from portal.services.errors import InvalidInput
    from tests import files

    photo = files.photo((4000, 3000))
    pdf = files.pdf(pages=60)
    header_bomb = files.png_header_only(8165, 6124)
    stream_bomb = files.pdf_bomb(1, 80)

    def baseline_photo() -> None:
        with Image.open(io.BytesIO(photo)) as im:
            im.load()
            im.save(io.BytesIO(), "JPEG", quality=85)

    def refused(data: bytes, name: str) -> None:
        try:
            check_upload(Upload(name, data))
        except InvalidInput:
            return
        raise AssertionError(f"{name} was accepted")

    def baseline_pdf() -> None:
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 60

    rows = [
        ("photo 12 MP: baseline decode+save", _best(baseline_photo, args.repeat)),
        ("photo 12 MP: check_upload (draft, upright, 2000 px, no EXIF)",
         _best(lambda: check_upload(Upload("p.jpg", photo)), args.repeat)),
        ("50 MP header-only PNG refused", _best(lambda: refused(header_bomb, "b.png"), args.repeat)),
        ("PDF stream inflating to 80 MB refused", _best(lambda: refused(stream_bomb, "b.pdf"), args.repeat)),
        ("PDF 60 pages: baseline pypdf read", _best(baseline_pdf, args.repeat)),
        ("PDF 60 pages: check_upload (every object, every stream)",
         _best(lambda: check_upload(Upload("d.pdf", pdf)), args.repeat)),
    ]
    base_photo, base_pdf = rows[0][1], rows[4][1]
    print(f"{'case':58} {'seconds':>8} {'ratio':>7}")
    for i, (name, t) in enumerate(rows):
        base = base_pdf if i >= 4 else base_photo
        print(f"{name:58} {t:8.3f} {t / base:7.2f}")
    print(f"(ratios: rows 1-4 against the photo baseline, rows 5-6 against the PDF baseline; "
          f"median of {args.repeat})")


if __name__ == "__main__":
    main()
