"""Owner households (专有部分) on the roster: the flat, its owner and its area, for owners' votes
(``services.decisions.owners``). Filled by the roster import's optional column 专有部分面积."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from portal.models import OwnerHousehold

MAX_AREA = Decimal("10000")


def parse_area(text: str | Decimal | float | int | None) -> Decimal:
    """'89.5' / '89.50㎡' / '89.5 m²' → Decimal('89.50'); ValueError otherwise."""
    raw = str(text if text is not None else "").strip()
    for unit in ("平方米", "平米", "m²", "m2", "㎡", "M2"):
        raw = raw.replace(unit, "")
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value <= 0 or value > MAX_AREA:
        raise ValueError(text)
    return value.quantize(Decimal("0.01"))


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
