"""The thresholds of 《民法典》第二百七十八条, computed exactly (no database, no floats).

Art. 278 (2021) para. 2: a matter decided by the owners needs owners holding at least two
thirds of the 专有部分 area **and** at least two thirds of the owners to take part; matters
(六) raising the maintenance fund, (七) rebuilding or altering buildings (加装电梯) and (八) changing
the use of common parts need at least three quarters of the participating area **and** of the
participating owners to agree; every other matter (including (五) using the fund) more than half
of both. Areas are ``Decimal`` (two places, as on the property register) and every comparison is
made on ``fractions.Fraction`` so that exactly 2/3 or 3/4 counts as reached.

Head count: one 专有部分 counts as one owner (最高人民法院《关于审理建筑物区分所有权纠纷案件适用
法律若干问题的解释》第九条); area: the 专有部分 area on the roster (第八条).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from portal.models import VoteMatter

PARTICIPATION = Fraction(2, 3)
SUPERMAJORITY = Fraction(3, 4)
MAJORITY = Fraction(1, 2)
SUPERMAJORITY_MATTERS = frozenset({VoteMatter.RAISE_FUND, VoteMatter.REBUILD, VoteMatter.CHANGE_USE})
CENT = Decimal("0.01")


def needs_supermajority(matter: VoteMatter | str) -> bool:
    return VoteMatter(matter) in SUPERMAJORITY_MATTERS


def rule_text(matter: VoteMatter | str) -> str:
    """Which rule of Art. 278 applies, in one sentence."""
    m = VoteMatter(matter)
    agree = ("参与表决专有部分面积四分之三以上的业主且参与表决人数四分之三以上的业主同意"
             if needs_supermajority(m) else
             "参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意")
    return (f"本次表决事项属于《民法典》第二百七十八条第一款{m.label}：须由专有部分面积占比三分之二以上"
            f"的业主且人数占比三分之二以上的业主参与表决，并经{agree}。")


def _m2(value: Fraction) -> Decimal:
    """A non-negative area in m², rounded up to the cent (what is still missing)."""
    if value <= 0:
        return Decimal("0.00")
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_CEILING)


def fmt_m2(value: Decimal) -> str:
    """86.00 → '86', 86.50 → '86.5'."""
    text = f"{value.quantize(CENT):f}".rstrip("0").rstrip(".")
    return text or "0"


def _share(part: Decimal | int, whole: Decimal | int) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


@dataclass(frozen=True)
class Tally:
    """The figures of one owners' vote and whether each threshold holds."""

    matter: VoteMatter
    eligible_households: int
    eligible_area: Decimal
    voted_households: int
    voted_area: Decimal
    agree_households: int
    agree_area: Decimal
    oppose_households: int
    oppose_area: Decimal
    abstain_households: int
    abstain_area: Decimal

    # ---- participation: ≥ 2/3 of the area and ≥ 2/3 of the owners took part

    @property
    def participation_area_share(self) -> Fraction:
        return _share(self.voted_area, self.eligible_area)

    @property
    def participation_head_share(self) -> Fraction:
        return _share(self.voted_households, self.eligible_households)

    @property
    def participation_area_met(self) -> bool:
        return self.eligible_area > 0 and self.participation_area_share >= PARTICIPATION

    @property
    def participation_heads_met(self) -> bool:
        return self.eligible_households > 0 and self.participation_head_share >= PARTICIPATION

    @property
    def participation_met(self) -> bool:
        return self.participation_area_met and self.participation_heads_met

    @property
    def missing_participation_households(self) -> int:
        need = math.ceil(PARTICIPATION * self.eligible_households)
        return max(0, need - self.voted_households)

    @property
    def missing_participation_area(self) -> Decimal:
        return _m2(PARTICIPATION * Fraction(self.eligible_area) - Fraction(self.voted_area))

    # ---- agreement among those who took part

    @property
    def supermajority(self) -> bool:
        return needs_supermajority(self.matter)

    @property
    def agree_area_share(self) -> Fraction:
        return _share(self.agree_area, self.voted_area)

    @property
    def agree_head_share(self) -> Fraction:
        return _share(self.agree_households, self.voted_households)

    def _reached(self, share: Fraction, whole: Decimal | int) -> bool:
        if not whole:
            return False
        return share >= SUPERMAJORITY if self.supermajority else share > MAJORITY

    @property
    def agreement_area_met(self) -> bool:
        return self._reached(self.agree_area_share, self.voted_area)

    @property
    def agreement_heads_met(self) -> bool:
        return self._reached(self.agree_head_share, self.voted_households)

    @property
    def agreement_met(self) -> bool:
        return self.agreement_area_met and self.agreement_heads_met

    @property
    def missing_agree_households(self) -> int:
        """More households among those who took part that would have to agree."""
        n = self.voted_households
        need = math.ceil(SUPERMAJORITY * n) if self.supermajority else n // 2 + 1
        return max(0, need - self.agree_households) if n else 0

    @property
    def missing_agree_area(self) -> Decimal:
        total = Fraction(self.voted_area)
        if self.supermajority:
            return _m2(SUPERMAJORITY * total - Fraction(self.agree_area))
        gap = MAJORITY * total - Fraction(self.agree_area)
        if gap < 0 or not total:
            return Decimal("0.00")
        # "more than half": reaching half exactly is not enough, the next cent above it is
        return Decimal(math.floor(gap * 100) + 1) * CENT

    @property
    def passed(self) -> bool:
        return self.participation_met and self.agreement_met

    # ---- words

    def missing_participation_text(self) -> str:
        """'还差 2 户和 86 m² 参与' (empty when participation is reached)."""
        parts = []
        if not self.participation_heads_met:
            parts.append(f"{self.missing_participation_households} 户")
        if not self.participation_area_met:
            parts.append(f"{fmt_m2(self.missing_participation_area)} m²")
        return f"还差 {'和 '.join(parts)} 参与" if parts else ""

    def missing_agreement_text(self) -> str:
        parts = []
        if not self.agreement_heads_met:
            parts.append(f"{self.missing_agree_households} 户")
        if not self.agreement_area_met:
            parts.append(f"{fmt_m2(self.missing_agree_area)} m²")
        return f"参与者中还差 {'和 '.join(parts)} 同意" if parts else ""

    def outcome_text(self) -> str:
        if self.passed:
            return "参与和同意两项门槛均已达到：表决通过。"
        missing = [t for t in (self.missing_participation_text(), self.missing_agreement_text()) if t]
        return "未达到法定门槛：" + "；".join(missing) + "。"

    def as_dict(self) -> dict[str, object]:
        """The stored, comparable form (areas as strings with two places)."""
        return {
            "matter": str(self.matter),
            "eligible_households": self.eligible_households, "eligible_area": f"{self.eligible_area:.2f}",
            "voted_households": self.voted_households, "voted_area": f"{self.voted_area:.2f}",
            "agree_households": self.agree_households, "agree_area": f"{self.agree_area:.2f}",
            "oppose_households": self.oppose_households, "oppose_area": f"{self.oppose_area:.2f}",
            "abstain_households": self.abstain_households, "abstain_area": f"{self.abstain_area:.2f}",
            "participation_met": self.participation_met, "agreement_met": self.agreement_met,
            "passed": self.passed,
        }


def percent(share: Fraction) -> str:
    """A share for people, one decimal place: Fraction(2, 3) → '66.7%'."""
    return f"{float(share) * 100:.1f}%"
