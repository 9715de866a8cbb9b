"""Word-cloud images with a CJK font (named ``cloud`` so it does not shadow ``wordcloud``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PIL import Image

__all__ = ["word_cloud", "DEFAULT_FONT"]

DEFAULT_FONT = Path(__file__).resolve().parent.parent / "data" / "fonts" / "NotoSansSC-GB2312.otf"


def word_cloud(
    frequencies: Mapping[str, float],
    *,
    font_path: Path = DEFAULT_FONT,
    width: int = 800,
    height: int = 400,
    background_color: str = "white",
    max_words: int = 100,
    random_state: int = 0,
) -> Image.Image:
    """Render ``frequencies`` (word → weight) as a word cloud and return a PIL image.

    ``font_path`` must have CJK glyphs (the bundled Noto Sans SC GB2312 subset by default),
    otherwise Chinese words render as empty boxes. Non-positive weights are ignored; with no
    words left a blank image of the requested size is returned. Deterministic for a given
    ``random_state``.
    """
    from wordcloud import WordCloud

    font = Path(font_path)
    if not font.is_file():
        raise FileNotFoundError(f"font not found: {font}")
    freqs = {
        str(w): float(f) for w, f in frequencies.items() if w and str(w).strip() and f and f > 0
    }
    if not freqs:
        return Image.new("RGB", (width, height), background_color)
    wc = WordCloud(
        font_path=str(font),
        width=width,
        height=height,
        background_color=background_color,
        max_words=max_words,
        random_state=random_state,
        prefer_horizontal=0.95,
        collocations=False,
    )
    return wc.generate_from_frequencies(freqs).to_image()
