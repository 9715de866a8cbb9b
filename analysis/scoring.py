"""Hot-issue score for a theme."""

from __future__ import annotations

import math

__all__ = ["hot_score", "HALF_LIFE_DAYS"]

HALF_LIFE_DAYS = 14.0


def hot_score(
    *,
    n_distinct: int,
    n_residents: int,
    support: int,
    opposition: int = 0,
    days_since_last: float = 0.0,
) -> float:
    """How pressing a theme is, for ranking themes (higher = hotter; 0 for nothing).

    Formula::

        base  = ln(1 + n_distinct) + 0.5·ln(1 + n_residents) + ln(1 + support)
                − 0.5·ln(1 + opposition)
        score = max(base, 0) · 2^(−days_since_last / 14)

    - ``n_distinct``: distinct opinions (near-duplicates counted once), so a copy-paste campaign
      does not outrank many different voices;
    - ``n_residents``: distinct residents who wrote them (breadth);
    - ``support`` / ``opposition``: 同意 / 不同意 votes on the theme's opinions; opposition
      lowers the score only half as much (a contested issue is still an issue);
    - ``days_since_last``: age of the newest opinion; the score halves every 14 days.

    Logarithms give diminishing returns: the 100th opinion adds less than the 2nd.
    """
    for name, value in (
        ("n_distinct", n_distinct),
        ("n_residents", n_residents),
        ("support", support),
        ("opposition", opposition),
        ("days_since_last", days_since_last),
    ):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    base = (
        math.log1p(n_distinct)
        + 0.5 * math.log1p(n_residents)
        + math.log1p(support)
        - 0.5 * math.log1p(opposition)
    )
    decay = 2.0 ** (-float(days_since_last) / HALF_LIFE_DAYS)
    return round(max(base, 0.0) * decay, 6)
