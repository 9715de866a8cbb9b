"""Polls (问卷) inside a consultation: single choice, multiple choice with a maximum, ranking.

One response per participation code (``uq_poll_response_once`` on poll and resident), changeable
until the poll closes. A poll is open while its consultation takes votes (the phase table),
before its own closing time and until staff close it. Staff enter paper ballots with their
channel, like offline opinions; a resident who answered on the web is not answered for again on
paper (and the other way round). "其他（请说明）" text is an opinion of the consultation, made by
the one ``new_opinion`` path, so it joins the themes like any other.

Results count each option and its share of the respondents who answered the question, by
building, grid or age band beside the roster's numbers; staff may hide them until the poll closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from portal.models import (
    CHANNEL_LABELS,
    Area,
    Channel,
    Consultation,
    Poll,
    PollKind,
    PollQuestion,
    PollResponse,
    Resident,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require, require_resident
from portal.services.consultations import can_vote, phases
from portal.services.errors import InvalidInput, NotFound, PhaseClosed
from portal.services.participation.idempotency import derived_token
from portal.services.participation.offline import OFFLINE_CHANNELS
from portal.services.participation.opinions import new_opinion

OTHER_LABEL = "其他（请说明）"
MAX_OPTIONS = 12
MAX_QUESTIONS = 20
BREAKDOWNS = {"building": "楼栋", "grid": "网格", "age_band": "年龄段"}


# ---------------------------------------------------------------- making a poll


@dataclass(frozen=True)
class QuestionDraft:
    text: str
    kind: PollKind | str
    options: list[str]
    max_choices: int | None = None
    allow_other: bool = False


def _clean_options(options: list[str]) -> list[str]:
    return [o.strip() for o in options if o and o.strip()]


def _check_question(n: int, q: QuestionDraft) -> QuestionDraft:
    where = f"第 {n} 题"
    text = (q.text or "").strip()
    if not 2 <= len(text) <= 200:
        raise InvalidInput(f"{where}的题目请写 2 到 200 个字。")
    try:
        kind = PollKind(q.kind)
    except ValueError:
        raise InvalidInput(f"{where}请选择题型：单选、多选或排序。") from None
    options = _clean_options(q.options)
    if len(options) < 2:
        raise InvalidInput(f"{where}至少需要两个选项。")
    if len(options) > MAX_OPTIONS:
        raise InvalidInput(f"{where}最多 {MAX_OPTIONS} 个选项。")
    if len(set(options)) != len(options):
        raise InvalidInput(f"{where}有重复的选项，请合并。")
    if any(len(o) > 100 for o in options):
        raise InvalidInput(f"{where}的选项每个最多 100 个字。")
    if OTHER_LABEL in options or "其他" in options:
        raise InvalidInput(f"{where}不用自己写“其他”选项，勾选“允许填写其他（请说明）”即可。")
    max_choices = q.max_choices
    if kind == PollKind.MULTIPLE:
        limit = len(options) + (1 if q.allow_other else 0)
        if max_choices is None:
            max_choices = limit
        if not 1 <= max_choices <= limit:
            raise InvalidInput(f"{where}最多可选的项数应在 1 到 {limit} 之间。")
    else:
        max_choices = None
    if kind == PollKind.RANKING and q.allow_other:
        raise InvalidInput(f"{where}是排序题，不能加“其他（请说明）”。")
    return QuestionDraft(text, kind, options, max_choices, bool(q.allow_other))


def create_poll(
    session: Session, *, actor: Actor, consultation_id: int, title: str, questions: list[QuestionDraft],
    intro: str = "", hide_results_until_close: bool = False, closes_at: datetime | None = None,
) -> Poll:
    """Add a poll with its questions to a consultation (all checked first; nothing half-saved)."""
    require(actor, "manage_decisions")
    tenancy.consultation_for(session, actor, consultation_id)
    title = (title or "").strip()
    if not 2 <= len(title) <= 100:
        raise InvalidInput("请填写问卷标题（2 到 100 个字）。")
    if len(intro or "") > 1000:
        raise InvalidInput("问卷说明最多 1000 个字。")
    if not questions:
        raise InvalidInput("问卷至少需要一道题。")
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput(f"一份问卷最多 {MAX_QUESTIONS} 道题。")
    checked = [_check_question(i, q) for i, q in enumerate(questions, start=1)]
    if closes_at is not None and phases._aware(closes_at) <= utcnow():
        raise InvalidInput("截止时间必须晚于现在。")
    poll = Poll(consultation_id=consultation_id, title=title, intro=(intro or "").strip(),
                hide_results_until_close=hide_results_until_close, closes_at=closes_at,
                created_by=getattr(actor, "user_id", None))
    session.add(poll)
    session.flush()
    for position, q in enumerate(checked):
        session.add(PollQuestion(poll_id=poll.id, position=position, text=q.text, kind=PollKind(q.kind),  # type: ignore[arg-type]
                                 options=q.options, max_choices=q.max_choices, allow_other=q.allow_other))
    session.flush()
    audit.record(session, actor=actor.audit_name, action="poll.create", target_type="poll", target_id=poll.id,
                 detail={"consultation": consultation_id, "questions": len(checked)})
    return poll


def close_poll(session: Session, *, actor: Actor, poll_id: int) -> Poll:
    require(actor, "manage_decisions")
    poll, c = _poll(session, poll_id)
    tenancy.require_for(actor, c.community_id)
    if poll.closed_at is not None:
        raise InvalidInput("这份问卷已经结束。")
    poll.closed_at = utcnow()
    session.add(poll)
    audit.record(session, actor=actor.audit_name, action="poll.close", target_type="poll", target_id=poll_id)
    return poll


# ---------------------------------------------------------------- open or closed


def _poll(session: Session, poll_id: int) -> tuple[Poll, Consultation]:
    poll = session.get(Poll, poll_id)
    if poll is None:
        raise NotFound("找不到这份问卷。")
    c = session.get(Consultation, poll.consultation_id)
    assert c is not None
    return poll, c


def poll_is_open(poll: Poll, c: Consultation, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (poll.closed_at is None and can_vote(c)
            and (poll.closes_at is None or phases._aware(poll.closes_at) > now))


def _ensure_open(poll: Poll, c: Consultation) -> None:
    if not poll_is_open(poll, c):
        raise PhaseClosed(f"问卷“{poll.title}”已经结束，不能再作答或修改。")


def questions_of(session: Session, poll_id: int) -> list[PollQuestion]:
    return list(session.exec(select(PollQuestion).where(PollQuestion.poll_id == poll_id)
                             .order_by(col(PollQuestion.position), col(PollQuestion.id))))


# ---------------------------------------------------------------- answering


def _check_answers(questions: list[PollQuestion], answers: dict[int, list[int]],
                   other_texts: dict[int, str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for n, q in enumerate(questions, start=1):
        picked = [int(i) for i in (answers.get(q.id) or [])]  # type: ignore[arg-type]
        n_opts = len(q.options) + (1 if q.allow_other else 0)
        where = f"第 {n} 题“{q.text}”"
        if not picked:
            raise InvalidInput(f"{where}还没有作答。")
        if len(set(picked)) != len(picked) or any(not 0 <= i < n_opts for i in picked):
            raise InvalidInput(f"{where}的选择无效，请重新选择。")
        kind = PollKind(q.kind)
        if kind == PollKind.SINGLE and len(picked) != 1:
            raise InvalidInput(f"{where}是单选题，只能选一项。")
        if kind == PollKind.MULTIPLE and q.max_choices and len(picked) > q.max_choices:
            raise InvalidInput(f"{where}最多选 {q.max_choices} 项，您选了 {len(picked)} 项。")
        if kind == PollKind.RANKING and len(picked) != len(q.options):
            raise InvalidInput(f"{where}请给全部 {len(q.options)} 个选项排好顺序。")
        if q.allow_other and len(q.options) in picked and not (other_texts.get(q.id) or "").strip():  # type: ignore[arg-type]
            raise InvalidInput(f"{where}选了“{OTHER_LABEL}”，请写下具体内容。")
        out[str(q.id)] = picked
    return out


def _other_opinions(
    session: Session, *, c: Consultation, questions: list[PollQuestion], checked: dict[str, list[int]],
    other_texts: dict[int, str], channel: Channel, resident_id: int | None, area_id: int | None,
    entered_by: int | None, poll_id: int,
) -> dict[str, int]:
    """Each 其他 text becomes an opinion through ``new_opinion`` (same cleaning and refusals)."""
    made: dict[str, int] = {}
    for q in questions:
        if not q.allow_other or len(q.options) not in checked[str(q.id)]:
            continue
        text = other_texts.get(q.id) or ""  # type: ignore[arg-type]
        try:
            op, _ = new_opinion(
                session, consultation_id=c.id, text=text, channel=channel, resident_id=resident_id,  # type: ignore[arg-type]
                area_id=area_id, anonymous=True, entered_by=entered_by,
                client_token=derived_token("poll-other", poll_id, resident_id, entered_by, q.id, text.strip()))
        except InvalidInput as exc:
            raise InvalidInput(f"“{q.text}”的{OTHER_LABEL}：{exc}") from None
        made[str(q.id)] = int(op.id)  # type: ignore[arg-type]
    return made


@dataclass(frozen=True)
class AnswerResult:
    response: PollResponse
    changed: bool  # an earlier answer was replaced


def _insert_response(session: Session, row: PollResponse) -> int | None:
    table = PollResponse.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(table).values(**values)
            .on_conflict_do_nothing(index_elements=[table.c.poll_id, table.c.resident_id])
            .returning(table.c.id))
    return conn.execute(stmt).scalar()


def _store(session: Session, *, poll: Poll, resident_id: int | None, checked: dict[str, list[int]],
           others: dict[str, int], channel: Channel, entered_by: int | None) -> AnswerResult:
    now = utcnow()
    row = PollResponse(poll_id=poll.id, resident_id=resident_id, answers=checked, other_opinions=others,  # type: ignore[arg-type]
                       channel=channel, entered_by=entered_by, created_at=now, updated_at=now)
    if resident_id is None:  # an unnamed paper ballot: counted, never matched to anyone
        session.add(row)
        session.flush()
        return AnswerResult(row, False)
    new_id = _insert_response(session, row)
    if new_id is not None:
        stored = session.get(PollResponse, new_id)
        assert stored is not None
        return AnswerResult(stored, False)
    earlier = session.exec(select(PollResponse).where(PollResponse.poll_id == poll.id,
                                                      PollResponse.resident_id == resident_id)
                           .with_for_update()).one()
    session.refresh(earlier)
    web_now, web_before = channel == Channel.WEB, Channel(earlier.channel) == Channel.WEB
    if web_now and not web_before:
        raise InvalidInput(f"您的问卷已由居委会按{CHANNEL_LABELS[Channel(earlier.channel)]}答卷录入，"
                           "网上不能再答；如需更改请联系居委会。")
    if not web_now and web_before:
        raise InvalidInput("这位居民已在网上填写了这份问卷，纸质答卷不能再计入；每人只计一份。")
    earlier.answers = checked
    earlier.other_opinions = {**(earlier.other_opinions or {}), **others}
    earlier.updated_at = now
    if not web_now:
        earlier.channel, earlier.entered_by = channel, entered_by
    session.add(earlier)
    session.flush()
    return AnswerResult(earlier, True)


def answer_poll(
    session: Session, *, actor: Actor | None, poll_id: int, answers: dict[int, list[int]],
    other_texts: dict[int, str] | None = None,
) -> AnswerResult:
    """A resident answers (or changes the answer to) a poll. Every question must be answered."""
    resident = require_resident(actor)
    poll, c = _poll(session, poll_id)
    if c.community_id != resident.community_id:
        raise NotFound("找不到这份问卷。")
    _ensure_open(poll, c)
    questions = questions_of(session, poll_id)
    other_texts = other_texts or {}
    checked = _check_answers(questions, answers, other_texts)
    others = _other_opinions(session, c=c, questions=questions, checked=checked, other_texts=other_texts,
                             channel=Channel.WEB, resident_id=resident.resident_id, area_id=resident.area_id,
                             entered_by=None, poll_id=poll_id)
    return _store(session, poll=poll, resident_id=resident.resident_id, checked=checked, others=others,
                  channel=Channel.WEB, entered_by=None)


def enter_paper_poll_answer(
    session: Session, *, actor: Actor, poll_id: int, answers: dict[int, list[int]],
    other_texts: dict[int, str] | None = None, resident_id: int | None = None,
    channel: Channel = Channel.PAPER,
) -> AnswerResult:
    """Staff enter a paper (phone, door) answer, for a roster resident when known. Entering it again
    for the same resident corrects it, and the correction is audited."""
    require(actor, "enter_offline")
    if Channel(channel) not in OFFLINE_CHANNELS:
        raise InvalidInput("请选择线下渠道：纸质、电话、上门走访或 12345 热线。")
    poll, c = _poll(session, poll_id)
    tenancy.require_for(actor, c.community_id)
    _ensure_open(poll, c)
    area_id = None
    if resident_id is not None:
        r = session.get(Resident, resident_id)
        if r is None or not r.active or r.community_id != c.community_id:
            raise NotFound("找不到所选的居民记录。")
        area_id = r.area_id
    questions = questions_of(session, poll_id)
    other_texts = other_texts or {}
    checked = _check_answers(questions, answers, other_texts)
    entered_by = getattr(actor, "user_id", None)
    others = _other_opinions(session, c=c, questions=questions, checked=checked, other_texts=other_texts,
                             channel=Channel(channel), resident_id=resident_id, area_id=area_id,
                             entered_by=entered_by, poll_id=poll_id)
    before = None
    if resident_id is not None:
        prior = session.exec(select(PollResponse).where(PollResponse.poll_id == poll_id,
                                                        PollResponse.resident_id == resident_id)).first()
        before = dict(prior.answers) if prior is not None else None
    result = _store(session, poll=poll, resident_id=resident_id, checked=checked, others=others,
                    channel=Channel(channel), entered_by=entered_by)
    audit.record(session, actor=actor.audit_name,
                 action="poll.paper_corrected" if result.changed else "poll.paper_answer",
                 target_type="poll", target_id=poll_id,
                 detail={"response": result.response.id, "resident": resident_id, "channel": str(channel),
                         "answers": checked, "before": before})
    return result


def correct_paper_poll_answer(
    session: Session, *, actor: Actor, response_id: int, answers: dict[int, list[int]],
    other_texts: dict[int, str] | None = None,
) -> AnswerResult:
    """Correct a paper answer already entered (a typing mistake), audited with before and after."""
    require(actor, "enter_offline")
    resp = session.get(PollResponse, response_id)
    if resp is None:
        raise NotFound("找不到这份答卷。")
    if Channel(resp.channel) == Channel.WEB:
        raise InvalidInput("这是居民在网上填写的答卷，只有居民本人可以修改。")
    poll, c = _poll(session, resp.poll_id)
    tenancy.require_for(actor, c.community_id)
    _ensure_open(poll, c)
    questions = questions_of(session, poll.id)  # type: ignore[arg-type]
    other_texts = other_texts or {}
    checked = _check_answers(questions, answers, other_texts)
    r = session.get(Resident, resp.resident_id) if resp.resident_id else None
    others = _other_opinions(session, c=c, questions=questions, checked=checked, other_texts=other_texts,
                             channel=Channel(resp.channel), resident_id=resp.resident_id,
                             area_id=r.area_id if r else None, entered_by=getattr(actor, "user_id", None),
                             poll_id=poll.id)  # type: ignore[arg-type]
    before = dict(resp.answers)
    resp.answers = checked
    resp.other_opinions = {**(resp.other_opinions or {}), **others}
    resp.updated_at = utcnow()
    session.add(resp)
    audit.record(session, actor=actor.audit_name, action="poll.paper_corrected", target_type="poll",
                 target_id=poll.id, detail={"response": response_id, "before": before, "answers": checked})
    return AnswerResult(resp, True)


def my_poll_answer(session: Session, *, actor: Actor | None, poll_id: int) -> PollResponse | None:
    resident = require_resident(actor)
    return session.exec(select(PollResponse).where(PollResponse.poll_id == poll_id,
                                                   PollResponse.resident_id == resident.resident_id)).first()


@dataclass(frozen=True)
class PaperAnswerRow:
    response_id: int
    resident: str  # "5号楼 2单元 60-69" or "未登记"
    channel: str
    entered: datetime
    answers: dict = field(default_factory=dict)  # question id (str) -> chosen option indices


def paper_answers(session: Session, *, actor: Actor, poll_id: int, limit: int = 50) -> list[PaperAnswerRow]:
    """The latest answers staff entered for a poll (to find one to correct)."""
    require(actor, "enter_offline")
    tenancy.require_for(actor, _poll(session, poll_id)[1].community_id, write=False)
    rows = session.exec(select(PollResponse, Resident, Area)
                        .join(Resident, col(Resident.id) == col(PollResponse.resident_id), isouter=True)
                        .join(Area, col(Area.id) == col(Resident.area_id), isouter=True)
                        .where(PollResponse.poll_id == poll_id, PollResponse.channel != Channel.WEB)
                        .order_by(col(PollResponse.updated_at).desc()).limit(limit)).all()
    return [PaperAnswerRow(resp.id, " ".join(p for p in (a.name if a else "", r.unit if r else "",  # type: ignore[arg-type]
                                                          r.age_band if r else "") if p) or "未登记",
                           CHANNEL_LABELS[Channel(resp.channel)], resp.updated_at, dict(resp.answers or {}))
            for resp, r, a in rows]


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class PollCard:
    poll_id: int
    consultation_id: int
    title: str
    intro: str
    open: bool
    closes_at: datetime | None
    hide_results_until_close: bool
    n_responses: int
    questions: list[PollQuestion]


def polls_of(session: Session, *, consultation_id: int) -> list[PollCard]:
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFound("找不到这个议题。")
    polls = session.exec(select(Poll).where(Poll.consultation_id == consultation_id).order_by(col(Poll.id))).all()
    counts = dict(session.exec(select(PollResponse.poll_id, func.count()).where(
        col(PollResponse.poll_id).in_([p.id for p in polls])).group_by(col(PollResponse.poll_id))).all())
    return [PollCard(p.id, p.consultation_id, p.title, p.intro, poll_is_open(p, c), p.closes_at,  # type: ignore[arg-type]
                     p.hide_results_until_close, int(counts.get(p.id, 0)), questions_of(session, p.id))  # type: ignore[arg-type]
            for p in polls]


def open_polls_for(session: Session, *, actor: Actor | None) -> list[tuple[Consultation, PollCard]]:
    """Polls this resident can answer now, with their consultation."""
    resident = require_resident(actor)
    out = []
    cs = session.exec(select(Consultation).join(Poll, col(Poll.consultation_id) == col(Consultation.id))
                      .where(Consultation.community_id == resident.community_id).distinct()
                      .order_by(col(Consultation.id))).all()
    for c in cs:
        for card in polls_of(session, consultation_id=c.id):  # type: ignore[arg-type]
            if card.open:
                out.append((c, card))
    return out


def answers_as_labels(question: PollQuestion, picked: list[int]) -> list[str]:
    labels = list(question.options) + ([OTHER_LABEL] if question.allow_other else [])
    return [labels[i] for i in picked if 0 <= i < len(labels)]
