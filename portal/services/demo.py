"""The demo neighbourhood, generated deterministically from ``data/demo/corpus.json``.

The corpus holds hand-written opinions, comments and committee answers; this module decides,
with a seeded random generator, who wrote what, through which channel and when, who voted how
(with planted opinion groups, so the Pol.is view has something to find), which items were
reported and hidden, and then runs the real analysis and answers the themes the committee named.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from portal.db import unit_of_work
from portal.models import (
    Area,
    AssignmentSource,
    Channel,
    Comment,
    CommitteeUser,
    Community,
    Consultation,
    Decision,
    Opinion,
    Phase,
    Report,
    ReportTarget,
    Resident,
    Response,
    Role,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    ThemeStatus,
    Visibility,
    Vote,
    VoteValue,
)
from portal.services import audit, participants
from portal.services.demo_common import SYSTEM
from portal.services.identity import committee_actor, create_user
from portal.services.participation.opinions import new_opinion
from portal.services.queries import is_visible
from portal.services.review.runs import refresh_theme_stats, run_analysis
from portal.services.tenancy import ensure_street
from portal.services.text import public_text
from portal.settings import get_settings
from portal.timefmt import today_local

DEMO_ACCOUNTS = [
    ("admin", "Admin2026", "admin"),
    ("reviewer", "Review2026", "reviewer"),
    ("clerk", "Clerk2026", "clerk"),
]
AGE_BANDS = [("18-29", 0.10), ("30-44", 0.22), ("45-59", 0.25), ("60-69", 0.22), ("70-79", 0.15), ("80+", 0.06)]
RESIDENTS_PER_BUILDING = 50
OFFLINE_MIX = [(Channel.WEB, 0.78), (Channel.PAPER, 0.08), (Channel.PHONE, 0.05),
               (Channel.DOOR, 0.06), (Channel.HOTLINE, 0.03)]


def database_has_data(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Community)).one() > 0


def load_corpus(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "demo" / "corpus.json"
    return json.loads(path.read_text(encoding="utf-8"))


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OPEN_DAYS_LEFT = 21


def keep_collection_open(corpus: dict[str, Any], today: date) -> dict[str, Any]:
    """The corpus with every date moved forward, if needed, so its collecting consultation still
    has ``OPEN_DAYS_LEFT`` days to run: collection ends by itself at its closing date, and a demo
    built later than the corpus was written must still let residents give opinions. Same day,
    same seed, same data."""
    closes = [date.fromisoformat(s["closes_at"]) for s in corpus["consultations"]
              if s["phase"] == Phase.COLLECTING]
    shift = max([0] + [(today + timedelta(days=OPEN_DAYS_LEFT) - d).days for d in closes])

    def moved(value: Any) -> Any:
        if isinstance(value, str) and _ISO_DAY.match(value):
            return (date.fromisoformat(value) + timedelta(days=shift)).isoformat()
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    return moved(corpus) if shift else corpus


def _utc(d: str | date, hour: int = 9) -> datetime:
    day = date.fromisoformat(d) if isinstance(d, str) else d
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights, k=1)[0]


STREET = ("清河街道", "临江区")
# The second community of the demo street: its own roster, staff and issues (decision 0025).
SECOND_CORPUS = "yinxingyuan.json"
SECOND_ACCOUNTS = [
    ("yx_admin", "Yinxing2026", "admin"),
    ("yx_reviewer", "Yinxing2026", "reviewer"),
    ("yx_clerk", "Yinxing2026", "clerk"),
]
SECOND_RESIDENTS_PER_BUILDING = 20
STREET_ACCOUNT = ("street", "Street2026", "street_admin")
ALL_ACCOUNTS = [("梧桐里社区", a) for a in DEMO_ACCOUNTS] + [("银杏苑社区", a) for a in SECOND_ACCOUNTS] + [
    ("清河街道", STREET_ACCOUNT)]
STAFF_NAMES = {"admin": "王主任", "reviewer": "李委员", "clerk": "张社工"}
SECOND_STAFF_NAMES = {"admin": "陈书记", "reviewer": "周委员", "clerk": "刘社工"}


def build_demo(
    engine: Engine, *, seed: int = 2026, progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> str:
    """Fill an empty database with the demo street (临江区清河街道): 梧桐里社区 as it always was,
    银杏苑社区 with other issues, and a street admin; returns a one-paragraph summary. The same
    seed gives the same data; 梧桐里社区 does not depend on the second community."""
    say = progress or (lambda _m: None)
    day = today or today_local()
    data_dir = get_settings().data_dir
    street = unit_of_work(engine, lambda s: ensure_street(s, STREET[0], district=STREET[1]))
    first = _build_community(engine, keep_collection_open(load_corpus(data_dir), day), random.Random(seed),
                             seed=seed, street_id=street.id, accounts=DEMO_ACCOUNTS, names=STAFF_NAMES,
                             per_building=RESIDENTS_PER_BUILDING, say=say)
    from portal.services.notifications.demo_data import add_demo_notifications

    say("写入通知同意和待发送的通知 …")
    first += "\n" + add_demo_notifications(engine)  # 梧桐里社区's, before the second community exists
    from portal.services.decisions.demo_data import add_demo_decisions

    say("写入问卷和业主表决 …")
    decided = add_demo_decisions(engine, seed=seed)  # 梧桐里社区's too
    first += f"\n{decided}" if decided else ""
    from portal.services.documents.demo_data import add_demo_documents

    say("附上背景资料 …")
    documents = add_demo_documents(engine)  # 梧桐里社区's 加装电梯
    first += f"\n{documents}" if documents else ""
    second_corpus = json.loads((data_dir / "demo" / SECOND_CORPUS).read_text(encoding="utf-8"))
    _build_community(engine, keep_collection_open(second_corpus, day), random.Random(seed + 1),
                     seed=seed, street_id=street.id, accounts=SECOND_ACCOUNTS, names=SECOND_STAFF_NAMES,
                     per_building=SECOND_RESIDENTS_PER_BUILDING, say=say)
    username, password, role = STREET_ACCOUNT
    unit_of_work(engine, lambda s: create_user(s, actor=SYSTEM, username=username, password=password,
                                               role=Role(role), display_name="街道办", street_id=street.id))
    return first + f" 另有{second_corpus['community']['name']}（{STREET[0]}的第二个社区）和街道管理员账号。"


def _build_community(engine: Engine, corpus: dict[str, Any], rng: random.Random, *, seed: int,
                     street_id: int | None, accounts: list[tuple[str, str, str]], names: dict[str, str],
                     per_building: int, say: Callable[[str], None]) -> str:
    def people(session: Session) -> tuple[Community, list[Area], list[Resident], dict[str, CommitteeUser]]:
        say(f"创建{corpus['community']['name']}的楼栋和居民名册 …")
        community = Community(name=corpus["community"]["name"], district=corpus["community"]["district"],
                              street_id=street_id)
        session.add(community)
        session.flush()
        assert community.id is not None
        areas: list[Area] = []
        for grid, buildings in corpus["community"]["grids"].items():
            for name in buildings:
                areas.append(Area(community_id=community.id, name=name, grid=grid, position=len(areas)))
        session.add_all(areas)
        session.flush()
        residents: list[Resident] = []
        for area in areas:
            assert area.id is not None  # flushed above
            for i in range(per_building):
                residents.append(Resident(
                    community_id=community.id, area_id=area.id, unit=f"{i % 3 + 1}单元",
                    age_band=_pick(rng, AGE_BANDS), household_ref=f"{area.name}-{i // 2 + 1:03d}",
                ))
        session.add_all(residents)
        users = {}
        for username, password, role in accounts:
            users[role] = create_user(session, actor=SYSTEM, username=username, password=password,
                                      role=Role(role), display_name=names[role], community_id=community.id)
        return community, areas, residents, users

    community, areas, residents, users = unit_of_work(engine, people)

    def consultations(session: Session) -> list[tuple[int, dict[str, Any], dict[str, list[int]]]]:
        say("写入议题、意见、投票和留言 …")
        plans = []
        for spec in corpus["consultations"]:
            plans.append(_add_consultation(session, rng, community, areas, residents, users, spec))
        return plans

    plans = unit_of_work(engine, consultations)

    analysed = 0
    for consultation_id, spec, guide in plans:
        if spec["phase"] not in (Phase.PUBLISHED, Phase.REVIEWING):
            continue
        say(f"分析“{spec['title']}”的意见 …")
        _label_guide(engine, consultation_id, guide, users["reviewer"].id)
        run_analysis(engine, actor=SYSTEM, consultation_id=consultation_id, random_state=seed % 1000)
        _answer_themes(engine, consultation_id, spec, users, publish=spec["phase"] == Phase.PUBLISHED)
        analysed += 1

    ids = [cid for cid, _, _ in plans]
    with Session(engine) as session:
        mine = col(Opinion.consultation_id).in_(ids)
        n_op = session.exec(select(func.count()).select_from(Opinion).where(mine)).one()
        votes = select(Vote).join(Opinion, col(Opinion.id) == col(Vote.opinion_id)).where(mine).subquery()
        n_votes = session.exec(select(func.count()).select_from(votes)).one()
        n_voters = session.exec(select(func.count(func.distinct(votes.c.resident_id)))).one()
        n_comments = session.exec(select(func.count()).select_from(Comment)
                                  .join(Opinion, col(Opinion.id) == col(Comment.opinion_id)).where(mine)).one()
    return (f"演示数据已生成：{len(areas)} 栋楼、{len(residents)} 位居民、{len(plans)} 个议题、"
            f"{n_op} 条意见、{n_voters} 位居民投了 {n_votes} 票、{n_comments} 条留言；已分析 {analysed} 个议题。")


def _add_consultation(
    session: Session, rng: random.Random, community: Community, areas: list[Area],
    residents: list[Resident], users: dict[str, CommitteeUser], spec: dict[str, Any],
) -> tuple[int, dict[str, Any], dict[str, list[int]]]:
    assert community.id is not None
    opens, closes = _utc(spec["opens_at"]), _utc(spec["closes_at"], 18)
    phase = Phase(spec["phase"])
    c = Consultation(
        community_id=community.id, title=spec["title"], question=spec["question"],
        background=spec["background"], opens_at=opens, closes_at=closes,
        # a published consultation is built as it happened: reviewed first, published at the end
        phase=Phase.REVIEWING if phase == Phase.PUBLISHED else phase,
        created_by=users["admin"].id, created_at=opens - timedelta(days=7),
    )
    session.add(c)
    session.flush()
    assert c.id is not None
    audit.record(session, actor=SYSTEM.audit_name, action="consultation.create",
                 target_type="consultation", target_id=c.id, detail={"title": c.title})

    # Collecting consultations are still under way: opinions so far stop at "today" in the story.
    span_end = closes if phase != Phase.COLLECTING else opens + (closes - opens) * 0.45
    span = (span_end - opens).total_seconds()
    stance_of: dict[int, str] = {}  # opinion id -> theme key, for planted voting groups
    guide: dict[str, list[int]] = {}
    opinions: list[Opinion] = []
    abusive: set[int] = set()
    entries: list[tuple[str | None, str, str]] = []
    for theme in spec["themes"]:
        entries += [(theme["key"], theme["name"], text) for text in theme["opinions"]]
    entries += [(None, "off_topic", text) for text in spec.get("off_topic", [])]
    entries += [(None, "abusive", text) for text in spec.get("abusive", [])]
    rng.shuffle(entries)

    for key, kind, text in entries:
        author = rng.choice(residents)
        channel = _pick(rng, OFFLINE_MIX)
        elderly = author.age_band in ("70-79", "80+")
        if elderly and channel == Channel.WEB and rng.random() < 0.6:
            channel = rng.choice([Channel.PAPER, Channel.DOOR, Channel.PHONE])
        received = opens + timedelta(seconds=rng.random() * span)
        # The same path as every channel: cleaned, checked, redacted and flagged by the rules.
        op, _ = new_opinion(
            session, consultation_id=c.id, text=text, channel=channel, resident_id=author.id,
            area_id=author.area_id, anonymous=rng.random() < 0.3, received_at=received,
            created_at=received, entered_by=users["clerk"].id if channel != Channel.WEB else None,
        )
        opinions.append(op)
        assert op.id is not None
        if kind == "abusive":  # written to be reported and hidden in the story
            abusive.add(op.id)
        if key:
            stance_of[op.id] = key
            if len(guide.setdefault(kind, [])) < 3:
                guide[kind].append(op.id)

    _add_votes(session, rng, residents, opinions, stance_of, spec)
    session.flush()
    participants.rebuild(session, [c.id])  # the votes above were added row by row, not cast
    _add_comments_and_reports(session, rng, residents, opinions, abusive, spec, users, phase)
    return c.id, spec, guide


def _add_votes(session: Session, rng: random.Random, residents: list[Resident], opinions: list[Opinion],
               stance_of: dict[int, str], spec: dict[str, Any]) -> None:
    """Planted groups: each voter belongs to one of two camps with opposite views on two themes."""
    theme_keys = [t["key"] for t in spec["themes"]]
    contested = set(theme_keys[1:3])  # e.g. low-floor residents vs those who need the lift
    voters = rng.sample(residents, k=min(len(residents), 140 + rng.randrange(60)))
    for voter in voters:
        assert voter.id is not None  # residents were committed before
        camp = 0 if voter.age_band in ("18-29", "30-44", "45-59") and rng.random() < 0.8 else 1
        n = rng.randrange(8, 36)
        for op in rng.sample(opinions, k=min(n, len(opinions))):
            if op.resident_id == voter.id:
                continue
            assert op.id is not None  # every opinion was flushed when added
            key = stance_of.get(op.id)
            if key is None:
                p_agree, p_dis = 0.15, 0.45
            elif key in contested:
                p_agree, p_dis = ((0.75, 0.1) if (theme_keys.index(key) % 2 == camp) else (0.1, 0.75))
            else:
                p_agree, p_dis = 0.62, 0.12
            r = rng.random()
            value = VoteValue.AGREE if r < p_agree else VoteValue.DISAGREE if r < p_agree + p_dis else VoteValue.PASS
            at = op.received_at + timedelta(hours=rng.randrange(1, 96))
            session.add(Vote(opinion_id=op.id, resident_id=voter.id, value=value, created_at=at, updated_at=at))


def _add_comments_and_reports(session: Session, rng: random.Random, residents: list[Resident],
                              opinions: list[Opinion], abusive: set[int], spec: dict[str, Any],
                              users: dict[str, CommitteeUser], phase: Phase) -> None:
    topical = [o for o in opinions if o.id not in abusive]
    comments: list[Comment] = []
    for text in spec.get("comments", []):
        target = rng.choice(topical)
        parent = None
        if comments and rng.random() < 0.25:
            parent = rng.choice(comments)
            target = next(o for o in opinions if o.id == parent.opinion_id)
        public, _ = public_text(text)
        assert target.id is not None
        cm = Comment(opinion_id=target.id, parent_id=parent.id if parent else None,
                     resident_id=rng.choice(residents).id, text_original=text, text_public=public,
                     created_at=target.received_at + timedelta(hours=rng.randrange(2, 72)))
        session.add(cm)
        session.flush()
        comments.append(cm)
    reasons = spec.get("report_reasons") or ["与主题无关"]
    for op in opinions:
        if op.id in abusive:
            assert op.id is not None
            session.add(Report(target_type=ReportTarget.OPINION, target_id=op.id, consultation_id=op.consultation_id,
                               resident_id=rng.choice(residents).id, reason=rng.choice(reasons)))
            if phase in (Phase.PUBLISHED, Phase.REVIEWING):
                op.visibility = Visibility.HIDDEN
                op.moderation_reason = "含有人身攻击，违反议事规则"
                session.add(op)
                audit.record(session, actor=f"committee:{users['reviewer'].id}", action="opinion.hide",
                             target_type="opinion", target_id=op.id, detail={"reason": op.moderation_reason})


def _label_guide(engine: Engine, consultation_id: int, guide: dict[str, list[int]], reviewer_id: int | None) -> None:
    """The committee names themes by filing a few opinions under each (what a reviewer would do)."""
    def work(session: Session) -> None:
        for label, opinion_ids in guide.items():
            if label in ("off_topic", "abusive"):
                continue
            theme = Theme(consultation_id=consultation_id, label=label, curated=True)
            session.add(theme)
            session.flush()
            assert theme.id is not None
            for oid in opinion_ids:
                op = session.get(Opinion, oid)
                if op is None or not is_visible(op):
                    continue
                session.add(ThemeAssignment(opinion_id=oid, theme_id=theme.id,
                                            source=AssignmentSource.COMMITTEE, assigned_by=reviewer_id))

    unit_of_work(engine, work)


def _answer_themes(engine: Engine, consultation_id: int, spec: dict[str, Any],
                   users: dict[str, CommitteeUser], *, publish: bool) -> None:
    reviewer = users["reviewer"]

    def work(session: Session) -> None:
        themes = {t.label: t for t in session.exec(
            select(Theme).where(Theme.consultation_id == consultation_id, col(Theme.active).is_(True)))}
        for tspec in spec["themes"]:
            answer = tspec.get("answer")
            theme = themes.get(tspec["name"])
            if not answer or theme is None:
                continue
            assert theme.id is not None  # a stored row
            first = answer["status_updates"][0]["date"] if answer.get("status_updates") else spec["closes_at"]
            session.add(Response(
                theme_id=theme.id, decision=Decision(answer["decision"]), reasoning=answer["reasoning"],
                responsible_party=answer["responsible_party"],
                due_date=date.fromisoformat(answer["due_date"]) if answer.get("due_date") else None,
                created_by=reviewer.id, created_at=_utc(first), updated_at=_utc(first),
            ))
            for update in answer.get("status_updates", []):
                status = ThemeStatus(update["status"])
                session.add(StatusUpdate(theme_id=theme.id, status=status, note=update.get("note", ""),
                                         created_by=reviewer.id, created_at=_utc(update["date"], 10)))
                theme.status = status
            if tspec["key"] == spec["themes"][0]["key"]:
                theme.priority = True
            session.add(theme)
            audit.record(session, actor=f"committee:{reviewer.id}", action="theme.answer",
                         target_type="theme", target_id=theme.id, detail={"decision": answer["decision"]})
        refresh_theme_stats(session, consultation_id)
        if publish:
            _fold_small_themes(session, consultation_id, committee_actor(reviewer))
            c = session.get(Consultation, consultation_id)
            assert c is not None and c.closes_at is not None
            c.phase = Phase.PUBLISHED
            c.published_at = c.closes_at + timedelta(days=12)
            session.add(c)
            _review_summaries(session, consultation_id, reviewer.id, c.published_at - timedelta(days=1))
            audit.record(session, actor=f"committee:{users['admin'].id}", action="consultation.publish",
                         target_type="consultation", target_id=consultation_id)

    unit_of_work(engine, work)


def _review_summaries(session: Session, consultation_id: int, reviewer_id: int | None, at: datetime) -> None:
    """A published demo consultation went through review: its machine drafts were accepted as written."""
    session.flush()
    for theme in session.exec(select(Theme).where(Theme.consultation_id == consultation_id,
                                                  col(Theme.active).is_(True))):
        theme.summary_reviewed_at, theme.summary_reviewed_by = at, reviewer_id
        theme.summary_points = {**(theme.summary_points or {}), "reviewed_draft": theme.summary_draft}
        session.add(theme)


def _fold_small_themes(session: Session, consultation_id: int, reviewer: Any) -> None:
    """Before publishing, the committee folds the model's tiny leftover themes into 其他."""
    from portal.services.review import merge_themes

    themes = list(session.exec(select(Theme).where(Theme.consultation_id == consultation_id,
                                                   col(Theme.active).is_(True))))
    other = next((t for t in themes if t.is_other), None)
    # stored rows always have an id; the check only narrows the type
    small = [t.id for t in themes if t.id is not None and not t.curated and not t.is_other and t.size < 5]
    if other is not None and small:
        assert other.id is not None
        merge_themes(session, actor=reviewer, theme_ids=small, into_id=other.id)
