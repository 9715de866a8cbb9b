"""Word-cloud images with a CJK font (named ``cloud`` so it does not shadow ``wordcloud``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PIL import Image

__all__ = ["word_cloud", "cloud_words", "DEFAULT_FONT"]

DEFAULT_FONT = Path(__file__).resolve().parent.parent / "data" / "fonts" / "NotoSansSC-GB2312.otf"


def cloud_words(frequencies: Mapping[str, float], *, filter_unfit: bool = True) -> dict[str, float]:
    """The words a cloud shows: positive weights only and, with ``filter_unfit``, none of the
    words that may not label a theme either (filler such as 有没有, stance words, redaction
    placeholders such as 手机号: :func:`analysis.labels.is_unfit_word`)."""
    from analysis.labels import is_unfit_word, unfit_words

    unfit = unfit_words()
    return {
        str(w).strip(): float(f)
        for w, f in frequencies.items()
        if w
        and str(w).strip()
        and f
        and f > 0
        and not (filter_unfit and is_unfit_word(str(w).strip(), unfit))
    }


def word_cloud(
    frequencies: Mapping[str, float],
    *,
    font_path: Path = DEFAULT_FONT,
    width: int = 800,
    height: int = 400,
    background_color: str = "white",
    max_words: int = 100,
    random_state: int = 0,
    filter_unfit: bool = True,
) -> Image.Image:
    """Render ``frequencies`` (word → weight) as a word cloud and return a PIL image.

    ``font_path`` must have CJK glyphs (the bundled Noto Sans SC GB2312 subset by default),
    otherwise Chinese words render as empty boxes. Non-positive weights are ignored; with no
    words left a blank image of the requested size is returned. Deterministic for a given
    ``random_state``. Words unfit for a theme label (:func:`cloud_words`) are left out unless
    ``filter_unfit`` is false.
    """
    from wordcloud import WordCloud

    font = Path(font_path)
    if not font.is_file():
        raise FileNotFoundError(f"font not found: {font}")
    freqs = cloud_words(frequencies, filter_unfit=filter_unfit)
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
