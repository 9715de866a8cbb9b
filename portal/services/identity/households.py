"""Owner households (专有部分) on the roster: the flat, its owner and its area, for owners' votes
(``services.decisions.owners``). Filled by the roster import's optional column 专有部分面积."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlmodel import Session, select

from portal.models import OwnerHousehold

MAX_AREA = Decimal("10000")
# full-width digits and punctuation typed with a Chinese input method
_FULL_WIDTH = {**{cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}, 0xFF0E: ord("."), 0xFF0C: ord(","),
               0x3000: ord(" ")}


class BadArea(ValueError):
    """A 专有部分面积 that :func:`parse_area` refuses; ``str()`` is a Chinese sentence naming it."""


_UNITS = ("平方米", "平米", "m²", "m2", "㎡", "平")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")  # 89.5, 1,085.50 — not 85,5


def parse_area(text: str | Decimal | float | int | None) -> Decimal:
    """'89.5' / '89.50㎡' / '89.5 平方米' / '８９．５' → Decimal('89.50'); :class:`BadArea` (a
    ValueError) for anything else: words ('八十'), a sign, zero, over 10000 m², '85,5'."""
    shown = str(text if text is not None else "").strip()
    raw = shown.translate(_FULL_WIDTH).replace(" ", "").lower()
    for unit in _UNITS:
        if raw.endswith(unit):
            raw = raw[: -len(unit)]
            break
    negative = raw[:1] in ("-", "－", "−")
    number = raw[1:] if negative else raw
    if not _NUMBER.match(number):
        raise BadArea(f"专有部分面积“{shown}”无法识别，请写成 89.50 这样的平方米数")
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
        raise BadArea(f"专有部分面积“{shown}”无法识别，请写成 89.50 这样的平方米数") from None
    if negative or value <= 0:
        raise BadArea(f"专有部分面积“{shown}”须大于 0")
    if value > MAX_AREA:
        raise BadArea(f"专有部分面积“{shown}”超过 {MAX_AREA} 平方米，请核对")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_owner_household(
    session: Session, *, community_id: int, area_id: int, unit: str, room: str, area_m2: Decimal,
    owner_resident_id: int | None,
) -> OwnerHousehold:
    """Record (or update) one 专有部分 with its owner and area; the caller checked permission."""
    h = session.exec(select(OwnerHousehold).where(OwnerHousehold.area_id == area_id,
                                                  OwnerHousehold.unit == unit,
                                                  OwnerHousehold.room == room)).first()
    if h is None:
        h = OwnerHousehold(community_id=community_id, area_id=area_id, unit=unit, room=room,
                           area_m2=area_m2, owner_resident_id=owner_resident_id)
    else:
        h.area_m2, h.owner_resident_id, h.active = area_m2, owner_resident_id, True
    session.add(h)
    session.flush()
    return h
