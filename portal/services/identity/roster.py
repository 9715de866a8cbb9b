"""The resident roster (居民名册): import from CSV/xlsx, list with code status, issue codes in bulk.

A roster holds no names: building, unit, age band and optionally the committee's own household
id. An import is all-or-nothing: every row is checked first, and one bad row means nothing is
saved, so a half-imported roster never has to be cleaned up by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from portal.models import Area, Community, ParticipationCode, Resident, utcnow
from portal.services import audit, tenancy
from portal.services.actors import Actor, SystemActor, require
from portal.services.errors import InvalidInput, NotFound
from portal.services.identity.accounts import _aware, issue_code
from portal.services.identity.households import BadArea, parse_area, set_owner_household
from portal.services.tables import read_table

AREA_COLUMN = "专有部分面积（m²）"
ROSTER_COLUMNS = {
    "楼栋": ["楼号", "楼", "栋", "building", "楼栋号"],
    "单元": ["单元号", "unit"],
    "年龄段": ["年龄", "年龄组", "age band", "age_band", "age"],
    "户号": ["户编号", "住户编号", "household", "household id", "household_id"],
    "网格": ["所属网格", "grid"],
    # optional, for owners' votes (业主表决): the owner's row of a flat carries its area (户号
    # required); a row with an area and no 是否业主 is the owner too (files made before the column)
    "是否业主": ["是否为业主", "业主本人", "owner", "is owner"],
    AREA_COLUMN: ["专有部分面积", "专有部分面积(平方米)", "面积", "专有面积", "房屋面积", "建筑面积",
                  "area_m2", "area m2"],
}
_YES = {"是", "业主", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "不是", "n", "no", "false", "0", "×"}
ROSTER_REQUIRED = ["楼栋", "单元", "年龄段"]

_RANGE = re.compile(r"^(\d{1,3})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,3})\s*岁?$")
_PLUS = re.compile(r"^(\d{1,3})\s*(?:\+|岁以上|岁及以上|以上|及以上)$")
_UNDER = re.compile(r"^(\d{1,3})\s*岁?以下$")
_DIGITS = re.compile(r"^\d{1,3}$")


def normalise_age_band(text: str) -> str:
    """'60～69岁' → '60-69', '80岁以上' → '80+', '' → ''; raises ValueError otherwise."""
    text = text.replace(" ", "")
    if not text:
        return ""
    if m := _RANGE.match(text):
        low, high = int(m[1]), int(m[2])
        if low < high <= 120:
            return f"{low}-{high}"
    elif m := _PLUS.match(text):
        if int(m[1]) <= 120:
            return f"{int(m[1])}+"
    elif m := _UNDER.match(text):
        return f"<{int(m[1])}"
    raise ValueError(text)


def normalise_building(text: str) -> str:
    text = text.replace(" ", "")
    if _DIGITS.match(text):
        return f"{int(text)}号楼"
    if re.fullmatch(r"\d{1,3}(号|栋|幢)", text):
        return f"{int(text[:-1])}号楼"
    return text


def normalise_unit(text: str) -> str:
    text = text.replace(" ", "")
    if _DIGITS.match(text):
        return f"{int(text)}单元"
    return text


# ---------------------------------------------------------------- import


def _owner_area(owner_text: str, area_text: str, household: str) -> tuple[Decimal | None, list[str]]:
    """The flat's area when this row is its owner's, and what is wrong with the two cells."""
    owner_text, area_text = owner_text.strip(), area_text.strip()
    flag = owner_text.lower()
    if flag and flag not in _YES | _NO:
        return None, [f"是否业主“{owner_text}”无法识别，业主本人填“是”，其他家庭成员填“否”或留空"]
    if flag in _NO:
        return None, ["专有部分面积只填在业主本人那一行，是否业主为“否”的行请留空"] if area_text else []
    if not area_text:
        return None, ["标为业主的行须填写专有部分面积（平方米），用于业主表决"] if flag else []
    problems = [] if household else ["填写了专有部分面积的业主行须同时填写户号"]
    try:
        return parse_area(area_text), problems
    except BadArea as exc:
        return None, [str(exc), *problems]


@dataclass(frozen=True)
class RowProblem:
    number: int  # spreadsheet row
    message: str


@dataclass(frozen=True)
class RosterRow:
    number: int
    building: str
    grid: str
    unit: str
    age_band: str
    household_ref: str
    area_m2: Decimal | None = None  # 专有部分面积: this row is the flat's owner

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.building, self.unit, self.age_band, self.household_ref)


@dataclass
class RosterPreview:
    rows: list[RosterRow]
    errors: list[RowProblem]
    duplicates: list[RowProblem]
    new_buildings: list[str]
    encoding: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class RosterImportResult:
    n_residents: int
    new_buildings: list[str]


def community_for(session: Session, community_id: int | None = None, actor: Actor | None = None) -> Community:
    """The community to work on: the given one, else the actor's own (the only one of a
    single-community database for the system); checked against the actor (decision 0025)."""
    if community_id is None and actor is None:
        actor = SystemActor()
    try:
        return tenancy.home_community(session, actor, community_id)
    except NotFound:
        if community_id is not None:
            raise
        raise NotFound("数据库中还没有社区，请先创建社区（或运行 consult demo 生成演示数据）。") from None


def preview_roster(
    session: Session, *, data: bytes, filename: str, community_id: int | None = None,
    actor: Actor | None = None,
) -> RosterPreview:
    """Check every row of an uploaded roster without saving anything.

    Raises InvalidInput when the file itself cannot be read (empty, broken, missing columns).
    """
    community = community_for(session, community_id, actor)
    table = read_table(data, filename, columns=ROSTER_COLUMNS, required=ROSTER_REQUIRED)
    areas = list(session.exec(select(Area).where(Area.community_id == community.id)))
    by_name = {a.name: a for a in areas}
    by_number: dict[int, list[Area]] = {}
    for a in areas:
        if m := re.match(r"^(\d+)", a.name):
            by_number.setdefault(int(m[1]), []).append(a)

    rows: list[RosterRow] = []
    errors: list[RowProblem] = []
    new_buildings: list[str] = []
    for row in table.rows:
        v = row.values
        problems = []
        building = normalise_building(v.get("楼栋", ""))
        if not building:
            problems.append("楼栋为空")
        elif building not in by_name:
            m = re.match(r"^(\d+)", building)
            same_number = by_number.get(int(m[1]), []) if m else []
            if len(same_number) == 1:
                building = same_number[0].name  # “3栋” in the file is our “3号楼”
            elif len(building) > 50:
                problems.append("楼栋名称超过 50 个字")
            elif building not in new_buildings:
                new_buildings.append(building)
        unit = normalise_unit(v.get("单元", ""))
        if len(unit) > 20:
            problems.append("单元超过 20 个字")
        try:
            age_band = normalise_age_band(v.get("年龄段", ""))
        except ValueError:
            age_band = ""
            problems.append(f"年龄段“{v.get('年龄段', '')}”无法识别，请写成 60-69 或 80+ 这样的形式")
        household = v.get("户号", "")
        if len(household) > 50:
            problems.append("户号超过 50 个字")
        grid = v.get("网格", "")
        if len(grid) > 50:
            problems.append("网格名称超过 50 个字")
        area_m2, owner_problems = _owner_area(v.get("是否业主", ""), v.get(AREA_COLUMN, ""), household)
        problems += owner_problems
        if problems:
            errors.append(RowProblem(row.number, "；".join(problems) + "。"))
        else:
            rows.append(RosterRow(row.number, building, grid, unit, age_band, household, area_m2))

    duplicates: list[RowProblem] = []
    first_seen: dict[tuple[str, str, str, str], int] = {}
    for r in rows:
        if r.key in first_seen:
            duplicates.append(RowProblem(
                r.number, f"与第 {first_seen[r.key]} 行的楼栋、单元、年龄段和户号完全相同，可能重复登记。"))
        else:
            first_seen[r.key] = r.number
    existing = Counter(
        (name, unit, band, ref)
        for name, unit, band, ref in session.exec(
            select(Area.name, Resident.unit, Resident.age_band, Resident.household_ref)
            .join(Area, col(Area.id) == col(Resident.area_id))
            .where(Resident.community_id == community.id, col(Resident.active).is_(True),
                   Resident.household_ref != "")
        )
    )
    for r in rows:
        if r.household_ref and existing.get(r.key):
            duplicates.append(RowProblem(
                r.number, "名册里已有楼栋、单元、年龄段和户号都相同的居民，可能是重复导入。"))
    owner_seen: dict[tuple[str, str, str], int] = {}
    for r in rows:
        if r.area_m2 is not None:
            flat = (r.building, r.unit, r.household_ref)
            if flat in owner_seen:
                errors.append(RowProblem(r.number, f"与第 {owner_seen[flat]} 行是同一户（{r.building} {r.unit} "
                                                   f"{r.household_ref}），每户只能有一行填写专有部分面积。"))
            else:
                owner_seen[flat] = r.number
    errors.sort(key=lambda p: p.number)
    duplicates.sort(key=lambda p: p.number)
    return RosterPreview(rows, errors, duplicates, new_buildings, table.encoding, table.notes)


def import_roster(
    session: Session, *, actor: Actor, data: bytes, filename: str,
    community_id: int | None = None, accept_duplicates: bool = False,
) -> RosterImportResult:
    """Import a roster, all or nothing. The caller commits the session."""
    require(actor, "import_roster")
    community = community_for(session, community_id, actor)
    tenancy.require_for(actor, community.id)
    assert community.id is not None
    preview = preview_roster(session, data=data, filename=filename, community_id=community.id, actor=actor)
    if preview.errors:
        first = "；".join(f"第 {p.number} 行：{p.message}" for p in preview.errors[:3])
        raise InvalidInput(f"名册有 {len(preview.errors)} 行有误，未导入任何记录。{first}")
    if preview.duplicates and not accept_duplicates:
        raise InvalidInput(
            f"名册中有 {len(preview.duplicates)} 行疑似重复，未导入任何记录。"
            "请核对后删除重复行，或确认它们是不同的居民后再导入。"
        )
    areas = {a.name: a for a in session.exec(select(Area).where(Area.community_id == community.id))}
    position = max((a.position for a in areas.values()), default=-1) + 1
    grids = {r.building: r.grid for r in preview.rows if r.grid}
    for name in preview.new_buildings:
        area = Area(community_id=community.id, name=name, grid=grids.get(name, ""), position=position)
        position += 1
        session.add(area)
        areas[name] = area
    session.flush()
    owners = 0
    for r in preview.rows:
        resident = Resident(community_id=community.id, area_id=areas[r.building].id,  # type: ignore[arg-type]
                            unit=r.unit, age_band=r.age_band, household_ref=r.household_ref)
        session.add(resident)
        if r.area_m2 is not None:
            session.flush()
            set_owner_household(session, community_id=community.id, area_id=areas[r.building].id,  # type: ignore[arg-type]
                                unit=r.unit, room=r.household_ref, area_m2=r.area_m2,
                                owner_resident_id=resident.id)
            owners += 1
    session.flush()
    audit.record(session, actor=actor.audit_name, action="roster.import", target_type="community",
                 target_id=community.id,
                 detail={"file": filename, "residents": len(preview.rows),
                         "new_buildings": preview.new_buildings,
                         "duplicates_accepted": len(preview.duplicates), "owner_households": owners})
    return RosterImportResult(len(preview.rows), preview.new_buildings)


# ---------------------------------------------------------------- listing and codes

CODE_STATES = ("未发放", "有效", "已使用", "已过期", "已作废")


@dataclass(frozen=True)
class RosterEntry:
    resident_id: int
    grid: str
    building: str
    unit: str
    age_band: str
    household_ref: str
    code_state: str  # one of CODE_STATES
    code_hint: str
    issued_at: datetime | None


def list_roster(
    session: Session, *, actor: Actor, community_id: int | None = None,
    area_ids: list[int] | None = None,
) -> list[RosterEntry]:
    """Active residents with the state of their latest participation code."""
    require(actor, "issue_codes")
    community = community_for(session, community_id, actor)
    tenancy.require_for(actor, community.id)
    stmt = (
        select(Resident, Area)
        .join(Area, col(Area.id) == col(Resident.area_id))
        .where(Resident.community_id == community.id, col(Resident.active).is_(True))
    )
    if area_ids:
        stmt = stmt.where(col(Resident.area_id).in_(area_ids))
    pairs = list(session.exec(stmt.order_by(col(Area.position), col(Area.id), col(Resident.unit),
                                            col(Resident.id))))
    latest: dict[int, ParticipationCode] = {}  # resident id -> newest code
    ids = [r.id for r, _ in pairs]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        for row in session.exec(
            select(ParticipationCode).where(col(ParticipationCode.resident_id).in_(chunk))
            .order_by(col(ParticipationCode.id))
        ):
            latest[row.resident_id] = row
    now = utcnow()
    out = []
    for resident, area in pairs:
        code: ParticipationCode | None = latest.get(resident.id)  # type: ignore[arg-type]
        if code is None:
            state = "未发放"
        elif code.revoked_at is not None:
            state = "已作废"
        elif (exp := _aware(code.expires_at)) is not None and exp < now:
            state = "已过期"
        elif code.last_used_at is not None:
            state = "已使用"
        else:
            state = "有效"
        out.append(RosterEntry(
            resident.id, area.grid, area.name, resident.unit, resident.age_band,  # type: ignore[arg-type]
            resident.household_ref, state, code.hint if code else "",
            _aware(code.issued_at) if code else None,
        ))
    return out


@dataclass(frozen=True)
class IssuedSlip:
    """One printed slip. ``code`` exists only in memory, at issue time."""

    resident_id: int
    grid: str
    building: str
    unit: str
    household_ref: str
    code: str
    expires_at: datetime | None


def issue_codes(
    session: Session, *, actor: Actor, resident_ids: list[int], valid_days: int | None = 120,
) -> list[IssuedSlip]:
    """Issue a fresh code for each resident (revoking any earlier code). The caller commits and
    must print the returned slips right away: only hashes are stored."""
    require(actor, "issue_codes")
    if not resident_ids:
        raise InvalidInput("请至少选择一位居民。")
    if len(resident_ids) > 5000:
        raise InvalidInput("一次最多发放 5000 个参与码，请按楼栋分批发放。")
    slips = []
    for rid in dict.fromkeys(resident_ids):
        resident = session.get(Resident, rid)
        if resident is not None:
            tenancy.require_for(actor, resident.community_id)
        if resident is None or not resident.active:
            raise NotFound("所选居民中有记录已不存在或已停用，请刷新后重试。")
        code = issue_code(session, actor=actor, resident_id=rid, valid_days=valid_days)
        area = session.get(Area, resident.area_id)
        session.flush()
        row = session.exec(
            select(ParticipationCode).where(ParticipationCode.resident_id == rid)
            .order_by(col(ParticipationCode.id).desc())
        ).first()
        slips.append(IssuedSlip(rid, area.grid if area else "", area.name if area else "",
                                resident.unit, resident.household_ref, code,
                                _aware(row.expires_at) if row else None))
    return slips


def resident_ids_for(
    session: Session, *, actor: Actor, area_ids: list[int] | None = None,
    only_without_code: bool = True, community_id: int | None = None,
) -> list[int]:
    """Residents to issue codes to: in the given buildings, by default only those without a
    usable code (never issued, revoked or expired)."""
    entries = list_roster(session, actor=actor, community_id=community_id, area_ids=area_ids)
    if only_without_code:
        return [e.resident_id for e in entries if e.code_state in ("未发放", "已作废", "已过期")]
    return [e.resident_id for e in entries]


def deactivate_resident(session: Session, *, actor: Actor, resident_id: int) -> int:
    """Take someone off the roster (moved away, duplicate entry): their codes are revoked and the
    entry leaves the participation figures. Opinions and votes already given stay. Returns the
    number of codes revoked; the caller commits."""
    require(actor, "import_roster")
    resident = session.get(Resident, resident_id)
    if resident is not None:
        tenancy.require_for(actor, resident.community_id)
    if resident is None or not resident.active:
        raise NotFound("找不到这位居民，或已从名册中移除。")
    from portal.services.identity import revoke_codes

    n = revoke_codes(session, actor=actor, resident_id=resident_id)
    resident.active = False
    session.add(resident)
    audit.record(session, actor=actor.audit_name, action="roster.deactivate", target_type="resident",
                 target_id=resident_id)
    return n


def list_areas(session: Session, *, community_id: int | None = None, actor: Actor | None = None) -> list[Area]:
    """The community's buildings (the actor's own community when none is named)."""
    try:
        community = community_for(session, community_id, actor)
    except NotFound:
        return []
    return list(session.exec(select(Area).where(Area.community_id == community.id)
                             .order_by(col(Area.position), col(Area.id))))
