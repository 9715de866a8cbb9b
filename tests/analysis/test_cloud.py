from pathlib import Path

import numpy as np
import pytest
import wordcloud
from PIL import ImageFont

from analysis import word_cloud
from analysis.cloud import DEFAULT_FONT

NO_CJK_FONT = Path(wordcloud.__file__).with_name("DroidSansMono.ttf")
FREQS = {"加装电梯": 10, "停车难": 8, "垃圾分类": 7, "充电桩": 6, "物业费": 5, "长者食堂": 4}


def test_bundled_font_has_distinct_cjk_glyphs():
    font = ImageFont.truetype(str(DEFAULT_FONT), 48)
    masks = {ch: bytes(font.getmask(ch)) for ch in "加装电梯停车"}
    assert len(set(masks.values())) == len(masks)  # tofu boxes would all be identical
    fallback = ImageFont.truetype(str(NO_CJK_FONT), 48)
    assert len({bytes(fallback.getmask(ch)) for ch in "加装电梯停车"}) == 1  # the control: boxes


def strokes(image) -> int:
    """Connected ink components: an empty box is one per character, real glyphs are several."""
    from scipy import ndimage

    return int(ndimage.label(np.asarray(image.convert("L")) < 200)[1])


def ink(image):
    arr = np.asarray(image.convert("L"))
    return int((arr < 200).sum())


def test_word_cloud_renders_glyphs_not_boxes():
    image = word_cloud(FREQS, font_path=DEFAULT_FONT, width=400, height=200)
    assert image.size == (400, 200)
    boxes = word_cloud(FREQS, font_path=NO_CJK_FONT, width=400, height=200)
    # Real glyphs have many separate strokes; a missing glyph is one rectangle outline.
    assert strokes(image) > 2 * strokes(boxes)
    assert len(np.unique(np.asarray(image.convert("L")))) > 20


def test_deterministic_and_empty():
    a = np.asarray(word_cloud(FREQS, font_path=DEFAULT_FONT, width=300, height=150))
    b = np.asarray(word_cloud(FREQS, font_path=DEFAULT_FONT, width=300, height=150))
    assert (a == b).all()
    blank = word_cloud({"停车": 0, "": 3}, font_path=DEFAULT_FONT, width=120, height=60)
    assert blank.size == (120, 60) and ink(blank) == 0


def test_missing_font():
    with pytest.raises(FileNotFoundError):
        word_cloud(FREQS, font_path=Path("/nonexistent/font.otf"))
