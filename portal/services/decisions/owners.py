"""Owners' votes (业主表决) under 《民法典》第二百七十八条.

A vote covers a building (or one unit of it). When it is created its roll is frozen from the
roster's owner households (``OwnerHousehold``: 专有部分 with owner and area), so later roster
edits do not move a tally. One ballot per household, whoever casts it — the owner or the
registered proxy on the web, or staff from a paper ballot — is guaranteed by the unique
constraint ``uq_owner_ballot_once``; a web ballot for a household that already has a paper one
(or the other way round) is refused with a Chinese sentence, so exactly one of them counts. The
tally (``thresholds.Tally``) is recomputed from the stored roll and ballots whenever asked
(``consult owners-vote tally ID``); the one stored at closing is kept for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from portal.models import (
    CHANNEL_LABELS,
    Area,
    Channel,
    Consultation,
    OwnerBallot,
    OwnerChoice,
    OwnerHousehold,
    OwnersVote,
    Resident,
    VoteMatter,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require, require_resident
from portal.services.consultations import can_vote, phases
from portal.services.decisions.thresholds import Tally, fmt_m2
from portal.services.errors import InvalidInput, NotFound, PhaseClosed
from portal.services.identity.households import parse_area, set_owner_household  # noqa: F401 - re-exported
from portal.timefmt import format_datetime

PAPER_CHANNELS = (Channel.PAPER, Channel.DOOR)


# ---------------------------------------------------------------- households on the roster


def household_label(h: OwnerHousehold, building: str = "") -> str:
    return " ".join(p for p in (building, h.unit, h.room) if p)


def list_households(session: Session, *, area_id: int, unit: str = "") -> list[OwnerHousehold]:
    stmt = select(OwnerHousehold).where(OwnerHousehold.area_id == area_id, col(OwnerHousehold.active).is_(True))
    if unit:
        stmt = stmt.where(OwnerHousehold.unit == unit)
    return list(session.exec(stmt.order_by(col(OwnerHousehold.unit), col(OwnerHousehold.room))))


def register_proxy(session: Session, *, actor: Actor, household_id: int, resident_id: int | None) -> OwnerHousehold:
    """Register (or with ``None`` remove) the roster entry who may vote for the owner (委托代理人)."""
    require(actor, "import_roster")
    h = session.get(OwnerHousehold, household_id)
    if h is None or not h.active:
        raise NotFound("找不到这一户的业主登记。")
    tenancy.require_for(actor, h.community_id)
    tenancy.require_for(actor, h.community_id)
    if resident_id is not None:
        r = session.get(Resident, resident_id)
        if r is None or not r.active or r.community_id != h.community_id:
            raise NotFound("找不到所选的代理人（须为名册中的居民）。")
        if resident_id == h.owner_resident_id:
            raise InvalidInput("代理人不能是业主本人。")
    before = h.proxy_resident_id
    h.proxy_resident_id = resident_id
    session.add(h)
    audit.record(session, actor=actor.audit_name, action="owners.proxy", target_type="household",
                 target_id=household_id, detail={"room": h.room, "before": before, "proxy": resident_id})
    return h


# ---------------------------------------------------------------- votes


def _consultation(session: Session, consultation_id: int) -> Consultation:
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    return c


def _vote(session: Session, vote_id: int) -> tuple[OwnersVote, Consultation]:
    v = session.get(OwnersVote, vote_id)
    if v is None:
        raise NotFound("找不到这次业主表决。")
    return v, _consultation(session, v.consultation_id)


def create_owners_vote(
    session: Session, *, actor: Actor, consultation_id: int, title: str, matter: VoteMatter | str,
    area_id: int, unit: str = "", closes_at: datetime | None = None,
) -> OwnersVote:
    """Start an owners' vote for a building (or a unit); its roll is the owner households now."""
    require(actor, "manage_decisions")
    c = tenancy.consultation_for(session, actor, consultation_id)
    title = (title or "").strip()
    if not 2 <= len(title) <= 100:
        raise InvalidInput("请填写表决事项（2 到 100 个字）。")
    try:
        matter = VoteMatter(matter)
    except ValueError:
        raise InvalidInput("请选择表决事项属于《民法典》第二百七十八条的哪一项。") from None
    area = session.get(Area, area_id)
    if area is None or area.community_id != c.community_id:
        raise NotFound("找不到所选的楼栋。")
    unit = (unit or "").strip()
    households = list_households(session, area_id=area_id, unit=unit)
    if not households:
        where = f"{area.name}{unit}"
        raise InvalidInput(f"{where}在名册中还没有登记业主和专有部分面积，无法发起业主表决。"
                           "请先导入带“专有部分面积”列的名册。")
    if closes_at is not None and phases._aware(closes_at) <= utcnow():
        raise InvalidInput("截止时间必须晚于现在。")
    v = OwnersVote(consultation_id=consultation_id, title=title, matter=matter, area_id=area_id, unit=unit,
                   roll=[[h.id, f"{h.area_m2:.2f}"] for h in households], closes_at=closes_at,
                   created_by=getattr(actor, "user_id", None))
    session.add(v)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="owners_vote.create", target_type="owners_vote",
                 target_id=v.id, detail={"consultation": consultation_id, "matter": str(matter),
                                         "households": len(households),
                                         "area": f"{sum((h.area_m2 for h in households), Decimal(0)):.2f}"})
    return v


def vote_is_open(v: OwnersVote, c: Consultation, now: datetime | None = None) -> bool:
    """Open while the consultation takes votes (the phase table), before its own closing time and
    until staff close it."""
    now = now or utcnow()
    return (v.closed_at is None and can_vote(c)
            and (v.closes_at is None or phases._aware(v.closes_at) > now))


def _ensure_open(v: OwnersVote, c: Consultation) -> None:
    if not vote_is_open(v, c):
        raise PhaseClosed(f"“{v.title}”的业主表决已经结束，不能再投票。")


def roll_of(v: OwnersVote) -> dict[int, Decimal]:
    """The households on the vote's roll (fixed when the vote was created) with their areas in m²."""
    return {int(hid): Decimal(str(a)) for hid, a in v.roll}


def _choice(choice: OwnerChoice | str) -> OwnerChoice:
    try:
        return OwnerChoice(choice)
    except ValueError:
        raise InvalidInput("请选择“同意”“反对”或“弃权”。") from None


@dataclass(frozen=True)
class BallotResult:
    ballot: OwnerBallot
    previous: OwnerChoice | None  # the choice it replaced (a changed or corrected vote)


def _insert_ballot(session: Session, row: OwnerBallot) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING on (vote, household): the id, or None if one exists."""
    table = OwnerBallot.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(table).values(**values)
            .on_conflict_do_nothing(index_elements=[table.c.vote_id, table.c.household_id])
            .returning(table.c.id))
    return conn.execute(stmt).scalar()


def _who(b: OwnerBallot) -> str:
    if Channel(b.channel) != Channel.WEB:
        return f"已按{CHANNEL_LABELS[Channel(b.channel)]}票录入"
    return "已由代理人在网上投票" if b.by_proxy else "已由业主本人在网上投票"


def _store_ballot(session: Session, *, v: OwnersVote, household: OwnerHousehold, choice: OwnerChoice,
                  channel: Channel, resident_id: int | None, by_proxy: bool, entered_by: int | None,
                  ) -> BallotResult:
    now = utcnow()
    row = OwnerBallot(vote_id=v.id, household_id=household.id, choice=choice, channel=channel,  # type: ignore[arg-type]
                      resident_id=resident_id, by_proxy=by_proxy, entered_by=entered_by,
                      created_at=now, updated_at=now)
    new_id = _insert_ballot(session, row)
    if new_id is not None:
        stored = session.get(OwnerBallot, new_id)
        assert stored is not None
        return BallotResult(stored, None)
    earlier = session.exec(select(OwnerBallot).where(OwnerBallot.vote_id == v.id,
                                                     OwnerBallot.household_id == household.id)
                           .with_for_update()).one()
    session.refresh(earlier)
    room = household.room
    if channel == Channel.WEB:
        if Channel(earlier.channel) != Channel.WEB:
            raise InvalidInput(f"{room}这一户的表决票{_who(earlier)}，网上不能再投；一户只计一票。"
                               "如需更正，请联系居委会。")
        if earlier.resident_id != resident_id:
            raise InvalidInput(f"{room}这一户{_who(earlier)}，一户只计一票。")
    elif Channel(earlier.channel) == Channel.WEB:
        raise InvalidInput(f"{room}这一户{_who(earlier)}（{OwnerChoice(earlier.choice).label}），"
                           "纸质票不能再计入；一户只计一票。")
    previous = OwnerChoice(earlier.choice)
    earlier.choice, earlier.updated_at = choice, now
    if entered_by is not None:
        earlier.entered_by = entered_by
        earlier.channel = channel
    session.add(earlier)
    session.flush()
    return BallotResult(earlier, previous)


def _households_of(session: Session, resident_id: int, v: OwnersVote) -> list[tuple[OwnerHousehold, bool]]:
    """The roll's households this resident may vote for: (household, as proxy)."""
    ids = list(roll_of(v))
    rows = session.exec(select(OwnerHousehold).where(
        col(OwnerHousehold.id).in_(ids),
        (OwnerHousehold.owner_resident_id == resident_id) | (OwnerHousehold.proxy_resident_id == resident_id),
    ).order_by(col(OwnerHousehold.room))).all()
    return [(h, h.owner_resident_id != resident_id) for h in rows]


def cast_owner_ballot(
    session: Session, *, actor: Actor | None, vote_id: int, choice: OwnerChoice | str,
    household_id: int | None = None,
) -> BallotResult:
    """An owner (or the registered proxy) votes on the web; changeable until the vote closes."""
    resident = require_resident(actor)
    wanted = _choice(choice)
    v, c = _vote(session, vote_id)
    if c.community_id != resident.community_id:
        raise NotFound("找不到这次业主表决。")
    _ensure_open(v, c)
    mine = _households_of(session, resident.resident_id, v)
    if not mine:
        raise InvalidInput("名册中没有登记您是本次表决范围内的业主或受托代理人，不能参加这次表决。"
                           "如有疑问请联系居委会。")
    if household_id is None:
        if len(mine) > 1:
            raise InvalidInput("您可以为多户表决，请先选择为哪一户投票。")
        household, by_proxy = mine[0]
    else:
        found = [(h, p) for h, p in mine if h.id == household_id]
        if not found:
            raise InvalidInput("您不是这一户的业主或受托代理人，不能为这一户投票。")
        household, by_proxy = found[0]
    return _store_ballot(session, v=v, household=household, choice=wanted, channel=Channel.WEB,
                         resident_id=resident.resident_id, by_proxy=by_proxy, entered_by=None)


def enter_paper_owner_ballot(
    session: Session, *, actor: Actor, vote_id: int, household_id: int, choice: OwnerChoice | str,
    channel: Channel = Channel.PAPER,
) -> BallotResult:
    """Staff record a paper ballot (who typed it is kept); entering it again corrects it (audited)."""
    require(actor, "enter_offline")
    wanted = _choice(choice)
    if Channel(channel) not in PAPER_CHANNELS:
        raise InvalidInput("业主表决的线下票请选择“纸质”或“上门走访”。")
    v, c = _vote(session, vote_id)
    tenancy.require_for(actor, c.community_id)
    _ensure_open(v, c)
    if household_id not in roll_of(v):
        raise InvalidInput("所选的户不在本次表决的范围内。")
    household = session.get(OwnerHousehold, household_id)
    assert household is not None
    result = _store_ballot(session, v=v, household=household, choice=wanted, channel=Channel(channel),
                           resident_id=None, by_proxy=False, entered_by=getattr(actor, "user_id", None))
    action = "owners_vote.paper_ballot" if result.previous is None else "owners_vote.ballot_corrected"
    audit.record(session, actor=actor.audit_name, action=action, target_type="owners_vote", target_id=vote_id,
                 detail={"household": household_id, "room": household.room, "choice": str(wanted),
                         "channel": str(channel),
                         "before": str(result.previous) if result.previous else None})
    return result


# ---------------------------------------------------------------- the tally


def tally_owners_vote(session: Session, *, vote_id: int) -> Tally:
    """Recompute the tally from the stored roll and ballots."""
    v, _ = _vote(session, vote_id)
    roll = roll_of(v)
    ballots = session.exec(select(OwnerBallot).where(OwnerBallot.vote_id == vote_id)).all()
    counts = {ch: [0, Decimal("0.00")] for ch in OwnerChoice}
    for b in ballots:
        if b.household_id not in roll:  # pragma: no cover - paper entry checks the roll
            continue
        counts[OwnerChoice(b.choice)][0] += 1  # type: ignore[operator]
        counts[OwnerChoice(b.choice)][1] += roll[b.household_id]  # type: ignore[operator]
    n = {ch: int(c[0]) for ch, c in counts.items()}
    a = {ch: Decimal(c[1]) for ch, c in counts.items()}
    return Tally(
        matter=VoteMatter(v.matter), eligible_households=len(roll),
        eligible_area=sum(roll.values(), Decimal("0.00")),
        voted_households=sum(n.values()), voted_area=sum(a.values(), Decimal("0.00")),
        agree_households=n[OwnerChoice.AGREE], agree_area=a[OwnerChoice.AGREE],
        oppose_households=n[OwnerChoice.OPPOSE], oppose_area=a[OwnerChoice.OPPOSE],
        abstain_households=n[OwnerChoice.ABSTAIN], abstain_area=a[OwnerChoice.ABSTAIN],
    )


def close_owners_vote(session: Session, *, actor: Actor, vote_id: int) -> Tally:
    """End the vote now; the tally at this moment is stored beside the ballots and audited."""
    require(actor, "manage_decisions")
    v, c = _vote(session, vote_id)
    tenancy.require_for(actor, c.community_id)
    if v.closed_at is not None:
        raise InvalidInput("这次业主表决已经结束。")
    tally = tally_owners_vote(session, vote_id=vote_id)
    v.closed_at = utcnow()
    v.published_tally = tally.as_dict()
    session.add(v)
    audit.record(session, actor=actor.audit_name, action="owners_vote.close", target_type="owners_vote",
                 target_id=vote_id, detail=tally.as_dict())
    return tally


def publish_owners_vote(session: Session, *, actor: Actor, vote_id: int, as_passed: bool) -> Tally:
    """Publish the result. It can be published as passed only when both thresholds hold (and as
    not passed only when they do not)."""
    require(actor, "publish_results")
    v, c = _vote(session, vote_id)
    tenancy.require_for(actor, c.community_id)
    tenancy.require_for(actor, c.community_id)
    if v.closed_at is None and vote_is_open(v, c):
        raise InvalidInput("表决还没有结束，请先结束表决再公布结果。")
    tally = tally_owners_vote(session, vote_id=vote_id)
    if as_passed and not tally.passed:
        raise InvalidInput("不能公布为“通过”：" + tally.outcome_text())
    if not as_passed and tally.passed:
        raise InvalidInput("参与和同意均已达到法定门槛，表决已通过，不能公布为“未通过”。")
    now = utcnow()
    v.closed_at = v.closed_at or now
    v.published_at, v.published_passed, v.published_tally = now, tally.passed, tally.as_dict()
    session.add(v)
    audit.record(session, actor=actor.audit_name, action="owners_vote.publish", target_type="owners_vote",
                 target_id=vote_id, detail=tally.as_dict())
    return tally


@dataclass(frozen=True)
class TallyCheck:
    vote: OwnersVote
    tally: Tally
    stored: dict[str, object]  # what was stored at closing / publishing ({} when still open)

    @property
    def matches(self) -> bool | None:
        return None if not self.stored else self.stored == self.tally.as_dict()


def recompute_tally(session: Session, *, vote_id: int) -> TallyCheck:
    """For ``consult owners-vote tally``: the tally from the stored ballots beside the stored one."""
    v, _ = _vote(session, vote_id)
    return TallyCheck(v, tally_owners_vote(session, vote_id=vote_id), dict(v.published_tally or {}))


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class OwnersVoteCard:
    vote_id: int
    consultation_id: int
    title: str
    matter: VoteMatter
    scope: str  # "5号楼" / "5号楼 2单元"
    open: bool
    closes_at: datetime | None
    published: bool
    published_passed: bool | None
    tally: Tally

    @property
    def closes_text(self) -> str:
        return format_datetime(self.closes_at) if self.closes_at else "随议题投票阶段结束"


def _card(session: Session, v: OwnersVote, c: Consultation) -> OwnersVoteCard:
    area = session.get(Area, v.area_id)
    scope = " ".join(p for p in ((area.name if area else ""), v.unit) if p)
    return OwnersVoteCard(v.id, v.consultation_id, v.title, VoteMatter(v.matter), scope,  # type: ignore[arg-type]
                          vote_is_open(v, c), v.closes_at, v.published_at is not None, v.published_passed,
                          tally_owners_vote(session, vote_id=v.id))  # type: ignore[arg-type]


def owners_votes_of(session: Session, *, consultation_id: int, public: bool = False) -> list[OwnersVoteCard]:
    """The consultation's owners' votes; for the public only published ones."""
    c = _consultation(session, consultation_id)
    stmt = select(OwnersVote).where(OwnersVote.consultation_id == consultation_id)
    if public:
        stmt = stmt.where(col(OwnersVote.published_at).is_not(None))
    return [_card(session, v, c) for v in session.exec(stmt.order_by(col(OwnersVote.id)))]


def get_owners_vote_card(session: Session, *, vote_id: int) -> OwnersVoteCard:
    v, c = _vote(session, vote_id)
    return _card(session, v, c)


@dataclass(frozen=True)
class HouseholdRow:
    household_id: int
    label: str
    area_m2: Decimal
    choice: OwnerChoice | None
    channel: Channel | None
    how: str  # "业主本人网上" / "代理人网上" / "纸质（录入：clerk）" / ""


def ballot_sheet(session: Session, *, actor: Actor, vote_id: int) -> list[HouseholdRow]:
    """Staff: every household of the roll with its ballot, if any (the paper form's pick list)."""
    require(actor, "view_committee")
    v, c = _vote(session, vote_id)
    tenancy.require_for(actor, c.community_id, write=False)
    roll = roll_of(v)
    households = {h.id: h for h in session.exec(select(OwnerHousehold).where(col(OwnerHousehold.id).in_(list(roll))))}
    ballots = {b.household_id: b for b in session.exec(select(OwnerBallot).where(OwnerBallot.vote_id == vote_id))}
    area = session.get(Area, v.area_id)
    out = []
    for hid in sorted(roll, key=lambda i: (households[i].unit, households[i].room)):
        h, b = households[hid], ballots.get(hid)
        how = ""
        if b is not None:
            if Channel(b.channel) == Channel.WEB:
                how = "代理人网上" if b.by_proxy else "业主本人网上"
            else:
                how = CHANNEL_LABELS[Channel(b.channel)]
        out.append(HouseholdRow(hid, household_label(h, area.name if area else ""), roll[hid],
                                OwnerChoice(b.choice) if b else None, Channel(b.channel) if b else None, how))
    return out


@dataclass(frozen=True)
class MyOwnerVote:
    card: OwnersVoteCard
    households: list[tuple[int, str, bool, OwnerChoice | None, str]]  # id, label, as proxy, my ballot, note


def my_owners_votes(session: Session, *, actor: Actor | None) -> list[MyOwnerVote]:
    """Open owners' votes in which this resident may vote (as owner or proxy), with their ballots."""
    resident = require_resident(actor)
    out = []
    for v in session.exec(select(OwnersVote).join(Consultation, col(Consultation.id) == col(OwnersVote.consultation_id))
                          .where(Consultation.community_id == resident.community_id,
                                 col(OwnersVote.closed_at).is_(None)).order_by(col(OwnersVote.id))):
        c = _consultation(session, v.consultation_id)
        if not vote_is_open(v, c):
            continue
        mine = _households_of(session, resident.resident_id, v)
        if not mine:
            continue
        ballots = {b.household_id: b for b in session.exec(select(OwnerBallot).where(OwnerBallot.vote_id == v.id))}
        area = session.get(Area, v.area_id)
        rows = []
        for h, proxy in mine:
            b = ballots.get(h.id)  # type: ignore[arg-type]
            note = _who(b) if b is not None else ""
            rows.append((h.id, household_label(h, area.name if area else ""), proxy,  # type: ignore[arg-type]
                         OwnerChoice(b.choice) if b else None, note))
        out.append(MyOwnerVote(_card(session, v, c), rows))
    return out


def area_text(value: Decimal) -> str:
    return f"{fmt_m2(value)} m²"
