"""Which pages use the whole width of the screen.

Staff pages that show tables (themes with their keywords, import errors with their 问题, the
roster, the audit log) need the room: in the centred column their last columns were cut off.
Everything residents read stays in the centred column, which is easier to read. The choice is
made from the current page before it runs (``st.set_page_config`` may be called again in a run;
the later call wins), so there is one list here and no page sets its own layout.
"""

from __future__ import annotations

from typing import Literal

WIDE_PAGES = frozenset({
    "dashboard", "roster", "offline", "participation", "themes", "audit", "users", "export", "overview",
    "community",
})


def page_layout(url_path: str) -> Literal["wide", "centered"]:
    """``"wide"`` for the staff pages with tables, ``"centered"`` for every other page."""
    return "wide" if url_path in WIDE_PAGES else "centered"
