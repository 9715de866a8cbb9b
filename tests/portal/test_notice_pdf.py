import io
import re

import pytest
from pypdf import PdfReader

from portal.services.errors import PhaseClosed
from portal.services.publishing.notice_pdf import notice_pdf
from tests.pdf_text import pdf_text
from tests.results_fixtures import HIDDEN_OPINION, PII, TITLE, seed_results


@pytest.fixture
def seeded(session):
    return seed_results(session)


def _extracted(pdf: bytes) -> str:
    """pypdf's own extract_text; it puts a NUL before each glyph of this CID font (see pdf_text)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))


def test_notice_is_an_a4_pdf_with_the_chinese_title_answers_and_a_qr_code(session, seeded, settings):
    pdf = notice_pdf(session, seeded.consultation_id)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert f"关于“{TITLE}”意见征集结果的公示" in _extracted(pdf)
    text = pdf_text(pdf)
    for expected in ["费用分摊", "低层住户顾虑", "施工与安全", "居委会决定：采纳", "部分采纳",
                     "责任方：物业公司", "共收到公开意见12条", "公示日期", "已超过完成时限", "梧桐里社区居民委员会"]:
        assert expected in text, expected
    assert "/results?id=" in text
    assert sum(len(p.images) for p in reader.pages) >= 1  # the QR code


def test_notice_has_no_personal_data_or_hidden_opinions(session, seeded, settings):
    text = pdf_text(notice_pdf(session, seeded.consultation_id))
    for secret in [*PII, HIDDEN_OPINION]:
        assert re.sub(r"\s+", "", secret) not in text


def test_no_notice_before_results_are_published(session, seeded, settings):
    with pytest.raises(PhaseClosed):
        notice_pdf(session, seeded.reviewing_id)
