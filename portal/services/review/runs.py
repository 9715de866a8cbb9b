"""Run the text analysis for a consultation and store its results.

A run reads the consultation's public opinions, keeps every committee decision (curated themes
and the opinions a person assigned to them are the guide), asks ``analysis.ThemeModel`` for the
rest, and writes the new theme set, assignments, near-duplicate links and opinion groups in ONE
transaction: a run that fails or is killed leaves the previous theme set untouched.

Rule: any committee edit to a theme (rename, merge, move an opinion into it) marks it
``curated``; curated themes and committee assignments survive every re-run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from portal.models import (
    AnalysisRun,
    AssignmentSource,
    Opinion,
    Response,
    RunStatus,
    Theme,
    ThemeAssignment,
    Vote,
    VoteValue,
    utcnow,
)
from portal.services import audit, tenancy
from portal.services.actors import Actor, require
from portal.services.consultations import phases
from portal.services.errors import InvalidInput
from portal.services.queries import visible_opinions_of, vote_counts
from portal.services.review.fingerprint import input_fingerprint
from portal.services.review.locks import (  # noqa: F401 - re-exported for callers of runs
    STALE_RUN_AFTER,
    STALE_RUN_ERROR,
    AnalysisBusy,
    _worker,
    consultation_lock,
    is_stale,
    mark_stale_runs,
    uses_advisory_locks,
)

Progress = Callable[[float, str], None]
OTHER_LABEL = "其他"
def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _tokenizer():  # type: ignore[no-untyped-def]
    from portal.services.text import tokenizer

    return tokenizer()


def run_analysis(
    engine: Engine,
    *,
    actor: Actor,
    consultation_id: int,
    k: int | str = "auto",
    random_state: int = 0,
    progress: Progress | None = None,
) -> AnalysisRun:
    """Analyse a consultation's opinions and replace its model themes atomically. Holds the
    consultation's analysis lock (``locks``): a second process gets ``AnalysisBusy``."""
    require(actor, "run_analysis")
    with consultation_lock(engine, consultation_id) as held:
        if not held:
            raise AnalysisBusy("这个议题的意见分析正在进行中，请等它完成后再试。")
        return _run_locked(engine, actor=actor, consultation_id=consultation_id, k=k,
                           random_state=random_state, progress=progress,
                           sole=uses_advisory_locks(engine))


def _run_locked(engine: Engine, *, actor: Actor, consultation_id: int, k: int | str, random_state: int,
                progress: Progress | None, sole: bool) -> AnalysisRun:
    from analysis import OpinionGroups, ThemeModel

    report = progress or (lambda _f, _m: None)
    with Session(engine, expire_on_commit=False) as session:
        consultation = tenancy.consultation_for(session, actor, consultation_id)
        # published results are what residents were shown: they are never recomputed
        phases.ensure_staff_can(consultation, phases.can_analyse, "不能再重新分析")
        opinions = list(
            session.exec(
                select(Opinion)
                .where(visible_opinions_of(consultation_id))
                .order_by(col(Opinion.id))
            )
        )
        if len(opinions) < 3:
            raise InvalidInput("意见少于 3 条，暂时无法分析。")
        # holding the advisory lock, any 'running' run is a crashed one: its process held the lock
        mark_stale_runs(session, consultation_id=consultation_id,
                        older_than=timedelta(0) if sole else STALE_RUN_AFTER)
        busy = session.exec(
            select(AnalysisRun).where(AnalysisRun.consultation_id == consultation_id,
                                      AnalysisRun.status == RunStatus.RUNNING)
        ).first()
        if busy is not None:
            session.commit()  # keep the stale marks
            raise AnalysisBusy("这个议题的意见分析正在进行中，请等它完成后再试。")
        run = AnalysisRun(consultation_id=consultation_id,
                          params={"k": k, "random_state": random_state, "worker": _worker(),
                                  "fingerprint": input_fingerprint(session, consultation_id)},
                          n_opinions=len(opinions),
                          created_by=getattr(actor, "user_id", None))
        session.add(run)
        try:
            # the unique index on running runs: of two replicas starting at once, one wins
            session.commit()  # the run is visible as 'running' while it works
        except IntegrityError:
            session.rollback()
            raise AnalysisBusy("这个议题的意见分析正在进行中，请等它完成后再试。") from None
        run_id = run.id

    try:
        with Session(engine, expire_on_commit=False) as session:
            report(0.05, "读取委员会已整理的主题")
            curated = {
                t.id: t
                for t in session.exec(
                    select(Theme).where(Theme.consultation_id == consultation_id,
                                        col(Theme.active).is_(True), col(Theme.curated).is_(True))
                )
                if t.id is not None  # always true for stored rows; narrows the key to int
            }
            committee_assign = {
                a.opinion_id: a
                for a in session.exec(
                    select(ThemeAssignment)
                    .join(Opinion, col(Opinion.id) == col(ThemeAssignment.opinion_id))
                    .where(Opinion.consultation_id == consultation_id,
                           ThemeAssignment.source == AssignmentSource.COMMITTEE)
                )
                if a.theme_id in curated
            }
            texts = [o.text_public for o in opinions]
            guide = [
                curated[committee_assign[o.id].theme_id].label if o.id in committee_assign else None
                for o in opinions
            ]
            report(0.15, "分词与主题建模")
            model = ThemeModel(k=k, random_state=random_state, tokenizer=_tokenizer())
            model.keep_features = True  # handed to the 确认归类 queue below
            # themes the committee named with keywords guide the run even before any answer
            seed_words = {t.label: list(t.seed_words) for t in curated.values() if t.seed_words and not t.is_other}
            model.fit(
                texts,
                guide=guide if any(guide) else None,
                **({"seed_words": seed_words} if seed_words else {}),
                progress=lambda f, m: report(0.15 + 0.6 * f, m),
            )
            # the 确认归类 queue reads the same visible opinions: its first call skips tokenising
            from portal.services.review import confirm

            confirm.keep_features(texts, getattr(model, "features_", None), random_state=random_state)
            model.features_ = None
            report(0.8, "计算意见分组")
            votes = list(
                session.exec(
                    select(Vote).join(Opinion, col(Opinion.id) == col(Vote.opinion_id))
                    .where(Opinion.consultation_id == consultation_id)
                )
            )
            report(0.85, "归纳主题摘要")
            drafts = _summaries(model, opinions, texts, votes)
            previous = latest_run(session, consultation_id)  # Pol.is' k smoother carries over
            summary = _opinion_groups(OpinionGroups, opinions, votes, random_state,
                                      k_state=(previous.summary or {}).get("k_state") if previous else None)

            report(0.9, "保存结果")
            stored = session.get(AnalysisRun, run_id)
            assert stored is not None
            run = stored
            _store(session, consultation_id, run, opinions, model, curated, committee_assign, drafts)
            summary["duplicate_groups"] = _duplicate_groups(opinions, model.duplicate_of_)
            run.summary = summary
            run.status = RunStatus.SUCCEEDED
            run.finished_at = utcnow()
            session.add(run)
            refresh_theme_stats(session, consultation_id)
            audit.record(session, actor=actor.audit_name, action="analysis.run",
                         target_type="consultation", target_id=consultation_id,
                         detail={"run": run_id, "themes": len(model.themes_), "opinions": len(opinions)})
            from portal.services.publishing.snapshot import refresh_snapshot

            refresh_snapshot(session, consultation_id)  # re-analysed after publishing: ready again
            session.commit()
            report(1.0, "完成")
            return run
    except Exception as exc:
        with Session(engine) as session:
            failed = session.get(AnalysisRun, run_id)
            if failed is not None:
                failed.status = RunStatus.FAILED
                failed.error = f"{type(exc).__name__}: {exc}"[:2000]
                failed.finished_at = utcnow()
                session.add(failed)
                session.commit()
        raise


def _store(
    session: Session,
    consultation_id: int,
    run: AnalysisRun,
    opinions: list[Opinion],
    model: Any,
    curated: dict[int, Theme],
    committee_assign: dict[int, ThemeAssignment],
    drafts: list[tuple[str, dict[str, Any]]] | None = None,
) -> None:
    by_label = {t.label: t for t in curated.values()}
    # Retire the previous model themes and their assignments; curated ones stay.
    for old in session.exec(
        select(Theme).where(Theme.consultation_id == consultation_id, col(Theme.active).is_(True),
                            col(Theme.curated).is_(False))
    ):
        old.active = False
        session.add(old)
    opinion_ids = [o.id for o in opinions]
    session.exec(
        delete(ThemeAssignment).where(
            col(ThemeAssignment.opinion_id).in_(opinion_ids),
            col(ThemeAssignment.source) == AssignmentSource.MODEL,
        )
    )
    # Committee assignments to themes that are no longer curated become model-owned again.
    session.exec(
        delete(ThemeAssignment).where(
            col(ThemeAssignment.opinion_id).in_(opinion_ids),
            col(ThemeAssignment.opinion_id).not_in(list(committee_assign)),
        )
    )
    session.flush()

    theme_rows: list[Theme] = []
    for position, info in enumerate(model.themes_):
        row = by_label.get(info.label) if info.guided else None
        if row is None and info.is_other:  # one 其他 theme, even after the committee touched it
            row = next((t for t in curated.values() if t.is_other and all(t is not r for r in theme_rows)), None)
        if row is None:
            row = Theme(consultation_id=consultation_id, label=OTHER_LABEL if info.is_other else info.label,
                        is_other=info.is_other)
        row.run_id = run.id
        row.keywords = list(info.keywords)
        row.representative_ids = [opinions[i].id for i in info.representatives]
        row.position = position
        if drafts:
            _set_draft(row, *drafts[position])
        row.active = True
        row.updated_at = utcnow()
        session.add(row)
        theme_rows.append(row)
    session.flush()

    scores = getattr(model, "scores_", np.zeros(len(opinions)))
    for idx, opinion in enumerate(opinions):
        if opinion.id in committee_assign:
            continue
        theme = theme_rows[int(model.labels_[idx])]
        assert opinion.id is not None and theme.id is not None  # stored rows, flushed above
        session.add(ThemeAssignment(opinion_id=opinion.id, theme_id=theme.id,
                                    source=AssignmentSource.MODEL, score=float(scores[idx])))
        dup = model.duplicate_of_[idx]
        opinion.duplicate_of_id = opinions[dup].id if dup is not None else None
        session.add(opinion)
    for idx, opinion in enumerate(opinions):
        if opinion.id in committee_assign:
            dup = model.duplicate_of_[idx]
            opinion.duplicate_of_id = opinions[dup].id if dup is not None else None
            session.add(opinion)
    session.flush()
    # A curated theme the committee emptied (all its opinions moved away) and never answered
    # is retired, so it does not linger as an empty row beside the new themes.
    used = set(session.exec(select(ThemeAssignment.theme_id).where(
        col(ThemeAssignment.opinion_id).in_(opinion_ids))).all())
    answered = set(session.exec(select(Response.theme_id).where(
        col(Response.theme_id).in_([t.id for t in curated.values()]))).all())
    for theme in curated.values():
        if theme.id not in used and theme.id not in answered and all(theme is not r for r in theme_rows):
            theme.active = False
            session.add(theme)
    session.flush()


def _summaries(model: Any, opinions: list[Opinion], texts: list[str],
               votes: list[Vote]) -> list[tuple[str, dict[str, Any]]]:
    """Each theme's machine draft (text and structured form), in ``model.themes_`` order.

    Quotes are cut from the public (redacted) text; residents are counted by resident id (an
    opinion without one, e.g. from paper, counts as one resident); votes are summed per opinion.
    """
    agree: dict[int, int] = defaultdict(int)
    disagree: dict[int, int] = defaultdict(int)
    for v in votes:
        if v.value == VoteValue.AGREE:
            agree[v.opinion_id] += 1
        elif v.value == VoteValue.DISAGREE:
            disagree[v.opinion_id] += 1
    ids = [o.id or 0 for o in opinions]
    if not hasattr(model, "summaries"):  # a stand-in model (tests) writes no drafts
        return []
    try:
        summaries = model.summaries(texts, authors=[o.resident_id for o in opinions],
                                    agree=[agree[i] for i in ids], disagree=[disagree[i] for i in ids])
    except ValueError:  # a model without phrase samples: themes without a draft, run still stored
        return []
    return [(s.text(), _summary_json(s, ids)) for s in summaries]


def _summary_json(s: Any, ids: list[int]) -> dict[str, Any]:
    """The structured draft with opinion ids (not positions), as stored in ``Theme.summary_points``."""
    return {
        "n_opinions": s.n_opinions, "n_authors": s.n_authors, "agree": s.agree, "disagree": s.disagree,
        "points": [
            {"phrase": p.phrase, "n_opinions": p.n_opinions, "n_authors": p.n_authors,
             "agree": p.agree, "disagree": p.disagree, "quotes": list(p.quotes),
             "opinion_ids": [ids[i] for i in p.opinions],
             "quote_opinion_ids": [ids[i] for i in p.quote_opinions]}
            for p in s.points
        ],
    }


def _set_draft(theme: Theme, text: str, points: dict[str, Any]) -> None:
    """Store a run's draft. A reviewed summary is the committee's and stays as it is (it survives
    re-runs like a curated name); the draft beside it shows what changed since the review."""
    reviewed_draft = (theme.summary_points or {}).get("reviewed_draft")
    theme.summary_draft = text
    theme.summary_points = {**points, **({"reviewed_draft": reviewed_draft} if reviewed_draft else {})}
    if theme.summary_reviewed_at is None:
        theme.summary = text


def _duplicate_groups(opinions: list[Opinion], duplicate_of: list[int | None]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for idx, dup in enumerate(duplicate_of):
        if dup is not None:
            groups[dup].append(idx)
    return [
        [opinions[root].id] + [opinions[i].id for i in members]  # type: ignore[misc]
        for root, members in sorted(groups.items(), key=lambda kv: -len(kv[1]))
    ]


def _opinion_groups(model_cls: Any, opinions: list[Opinion], votes: list[Vote], random_state: int,
                    k_state: dict[str, int] | None = None) -> dict[str, Any]:
    """Pol.is-style groups from the vote matrix; empty (with ``group_note`` saying why) when too
    few people voted. ``k_state`` is the previous run's, so the number of groups does not flip."""
    from analysis.groups import NOT_ENOUGH, KState

    if not votes:
        return {"groups": [], "consensus": [], "divisive": [], "group_note": NOT_ENOUGH}
    residents = sorted({v.resident_id for v in votes})
    r_index = {r: i for i, r in enumerate(residents)}
    o_index = {o.id: j for j, o in enumerate(opinions)}
    matrix = np.full((len(residents), len(opinions)), np.nan)
    for v in votes:
        if v.opinion_id in o_index:
            matrix[r_index[v.resident_id], o_index[v.opinion_id]] = VoteValue(v.value).score
    try:
        extra = {"k_state": KState(**k_state)} if k_state else {}
    except TypeError:  # a summary stored by another version: start the smoother afresh
        extra = {}
    try:
        groups = model_cls(random_state=random_state, **extra).fit(matrix)
    except ValueError:
        return {"groups": [], "consensus": [], "divisive": [], "group_note": NOT_ENOUGH}
    # labels_ and coords_ cover every participant (−1 / nan for those skipped for too few votes).
    labels = np.asarray(groups.labels_)
    coords = np.asarray(groups.coords_)
    kept = [int(p) for p in groups.participants_
            if labels[p] >= 0 and np.isfinite(coords[p]).all()]  # JSON has no NaN
    out_groups = [
        {
            "id": g,
            "size": int(np.sum(labels == g)),
            "representative": [
                {"opinion_id": opinions[j].id, "agree_share": float(share), "repness": float(score)}
                | _stance(getattr(groups, "representatives_", None), g, j)
                for j, share, score in rep[:5]
            ],
        }
        for g, rep in enumerate(groups.repness_)
    ]
    points = [
        {"resident_id": residents[p], "group": int(labels[p]),
         "x": float(coords[p][0]), "y": float(coords[p][1])}
        for p in kept
    ]
    return {
        "groups": out_groups,
        "points": points,
        "consensus": [opinions[j].id for j in groups.consensus_],
        "divisive": [opinions[j].id for j in groups.divisive_],
        "group_note": str(getattr(groups, "confidence_", "")),
        "group_strength": str(getattr(groups, "strength_", "")),
        "k_state": vars(groups.k_state_) if getattr(groups, "k_state_", None) else None,
    }


def _stance(representatives: Any, g: int, j: int) -> dict[str, Any]:
    """Whether group ``g`` stands out on statement ``j`` by agreeing or by disagreeing, and the
    share voting that way (Pol.is' significance tests passed; see analysis.groups)."""
    for r in (representatives[g] if representatives else []):
        if r.statement == j:
            return {"direction": r.direction, "share": float(r.share), "confidence": float(r.confidence)}
    return {}


def refresh_theme_stats(session: Session, consultation_id: int) -> None:
    """Recompute size, distinct, residents, support, opposition and hot score of active themes."""
    from analysis import hot_score

    session.flush()
    themes = list(session.exec(select(Theme).where(Theme.consultation_id == consultation_id,
                                                   col(Theme.active).is_(True))))
    rows = session.exec(
        select(ThemeAssignment.theme_id, Opinion)
        .join(Opinion, col(Opinion.id) == col(ThemeAssignment.opinion_id))
        .where(visible_opinions_of(consultation_id))
    ).all()
    members: dict[int, list[Opinion]] = defaultdict(list)
    for theme_id, opinion in rows:
        members[theme_id].append(opinion)
    tally = vote_counts(session, [opinion.id for _, opinion in rows])
    now = utcnow()
    for theme in themes:
        ops = members.get(theme.id or 0, [])
        theme.size = len(ops)
        theme.n_distinct = sum(1 for o in ops if o.duplicate_of_id is None)
        theme.n_residents = len({o.resident_id for o in ops if o.resident_id is not None})
        theme.support = sum(tally[o.id or 0].agree for o in ops)
        theme.opposition = sum(tally[o.id or 0].disagree for o in ops)
        last = max((_aware(o.received_at) for o in ops), default=now)
        theme.hot_score = 0.0 if not ops else float(hot_score(
            n_distinct=theme.n_distinct, n_residents=theme.n_residents, support=theme.support,
            opposition=theme.opposition, days_since_last=(now - last).total_seconds() / 86400,
        ))
        session.add(theme)


def latest_run(session: Session, consultation_id: int) -> AnalysisRun | None:
    return session.exec(
        select(AnalysisRun)
        .where(AnalysisRun.consultation_id == consultation_id, AnalysisRun.status == RunStatus.SUCCEEDED)
        .order_by(col(AnalysisRun.id).desc())
    ).first()
