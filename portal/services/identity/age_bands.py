"""Age bands as participation figures report them: one scheme, whatever the rosters typed."""

from __future__ import annotations

import re

# The one scheme participation figures are reported in: rosters typed with other bands (30-39
# next to 30-44) would otherwise split the table into overlapping rows.
AGE_SCHEME = ("18-29", "30-44", "45-59", "60-69", "70-79", "80+")
_SCHEME_LOWS = [(18, "18-29"), (30, "30-44"), (45, "45-59"), (60, "60-69"), (70, "70-79"), (80, "80+")]


def reporting_age_band(band: str) -> str:
    """A stored band put onto ``AGE_SCHEME`` by the middle of its range: '30-39' → '30-44',
    '50-59' → '45-59', '85+' → '80+', '<18' stays. A band the scheme cannot hold without
    guessing ('60+' spans three bands) and '' come back as they are."""
    if m := re.fullmatch(r"(\d+)-(\d+)", band):
        middle = (int(m[1]) + int(m[2])) / 2
    elif (m := re.fullmatch(r"(\d+)\+", band)) and int(m[1]) >= 80:
        middle = int(m[1])
    else:
        return band
    if middle < 18:
        return "<18"
    return [name for low, name in _SCHEME_LOWS if middle >= low][-1]


def age_band_order(band: str) -> tuple[int, str]:
    """Sort key: by the band's first number, bands without one ('未登记') last."""
    digits = "".join(ch if ch.isdigit() else " " for ch in band).split()
    return (int(digits[0]) if digits else 999, band)
