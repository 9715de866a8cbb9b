"""The 确认归类 queue: the committee names a theme with keywords, the system chooses one opinion at
a time, each answer is stored once (属于 / 不属于 / 改到…), and answers and named themes survive
the next analysis run, which is guided by them."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from portal.models import (
    AssignmentSource,
    AuditEvent,
    Opinion,
    Theme,
    ThemeAssignment,
    ThemeRejection,
)
from portal.services import review
from portal.services.errors import InvalidInput, PermissionDenied
from portal.services.review.runs import run_analysis
from tests.portal.review_world import build_world


def _assignment(session: Session, opinion_id: int) -> ThemeAssignment:
    return session.exec(select(ThemeAssignment).where(ThemeAssignment.opinion_id == opinion_id)).one()


def _n_events(session: Session, action: str) -> int:
    return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_queue_needs_a_named_theme_and_then_proposes_one_opinion_at_a_time(session):
    world = build_world(session)
    with pytest.raises(InvalidInput, match="请先命名一个主题"):
        review.confirm_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    gate = review.name_theme(session, actor=world.reviewer, consultation_id=world.consultation_id,
                             label="门禁管理", keywords="门卫、外来车辆 进出")
    assert gate.curated and gate.seed_words == ["门卫", "外来车辆", "进出"]
    item = review.confirm_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert item is not None and item.theme_label == "门禁管理" and item.n_answered == 0
    assert item.n_left == 11 and 0 <= item.confidence <= 1
    # skipping puts it aside for this sitting only
    other = review.confirm_queue(session, actor=world.reviewer, consultation_id=world.consultation_id,
                                 skip=[item.opinion_id])
    assert other is not None and other.opinion_id != item.opinion_id and other.n_left == 10


def test_answers_are_stored_once_and_answered_opinions_leave_the_queue(session):
    world = build_world(session)
    cid = world.consultation_id
    gate = review.name_theme(session, actor=world.reviewer, consultation_id=cid, label="门禁管理",
                             keywords="门卫、外来车辆")
    charging = world.themes["电动车充电"]
    yes, no, moved = world.opinions["外来车辆"][0], world.opinions["车位不足"][0], world.opinions["电动车充电"][1]
    for _ in range(2):  # a double click stores one answer and one event
        review.answer_opinion(session, actor=world.reviewer, opinion_id=yes, theme_id=gate.id, belongs=True)
    assert _n_events(session, "theme.confirm") == 1
    a = _assignment(session, yes)
    assert (a.theme_id, a.source) == (gate.id, AssignmentSource.COMMITTEE)

    assert review.answer_opinion(session, actor=world.reviewer, opinion_id=no, theme_id=gate.id, belongs=False)
    assert not review.answer_opinion(session, actor=world.reviewer, opinion_id=no, theme_id=gate.id, belongs=False)
    assert session.exec(select(ThemeRejection).where(ThemeRejection.opinion_id == no)).one().theme_id == gate.id
    assert _assignment(session, no).theme_id == world.themes["车位不足"]  # 不属于 alone moves nothing

    review.answer_opinion(session, actor=world.reviewer, opinion_id=moved, theme_id=gate.id, belongs=False,
                          to_theme_id=charging)
    assert _assignment(session, moved).theme_id == charging
    assert session.get(Theme, charging).curated  # a committee edit, kept by re-runs
    # one confirmed opinion does not confirm the theme's other members: they stay in the queue
    assert _assignment(session, world.opinions["电动车充电"][0]).source == AssignmentSource.MODEL
    assert _n_events(session, "theme.confirm") == 3

    shown = set()
    item = review.confirm_queue(session, actor=world.reviewer, consultation_id=cid)
    while item is not None:
        shown.add(item.opinion_id)
        item = review.confirm_queue(session, actor=world.reviewer, consultation_id=cid, skip=list(shown))
    assert not shown & {yes, no, moved}
    with pytest.raises(PermissionDenied):
        review.answer_opinion(session, actor=world.clerk, opinion_id=no, theme_id=gate.id, belongs=True)
    with pytest.raises(InvalidInput, match="关键词.*手机号"):
        review.set_seed_words(session, actor=world.reviewer, theme_id=gate.id, keywords="门卫 13912345678")


def test_named_themes_and_answers_survive_a_rerun_that_they_guide(engine):
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        gate = review.name_theme(session, actor=world.reviewer, consultation_id=world.consultation_id,
                                 label="门禁管理", keywords="门卫、外来车辆")
        yes = world.opinions["外来车辆"][0]
        no = world.opinions["车位不足"][0]
        review.answer_opinion(session, actor=world.reviewer, opinion_id=yes, theme_id=gate.id, belongs=True)
        review.answer_opinion(session, actor=world.reviewer, opinion_id=no, theme_id=gate.id, belongs=False)
        session.commit()
    run_analysis(engine, actor=world.reviewer, consultation_id=world.consultation_id)
    with Session(engine) as session:
        theme = session.get(Theme, gate.id)
        assert theme.active and theme.label == "门禁管理" and theme.seed_words == ["门卫", "外来车辆"]
        a = _assignment(session, yes)
        assert (a.theme_id, a.source) == (gate.id, AssignmentSource.COMMITTEE)
        assert session.exec(select(ThemeRejection).where(ThemeRejection.opinion_id == no)).one()
        # the other 外来车辆 opinion shares the keyword: the guided run files it with the named theme
        other = _assignment(session, world.opinions["外来车辆"][1])
        assert other.theme_id == gate.id, session.get(Theme, other.theme_id).label
        active = session.exec(select(Theme.label).where(Theme.consultation_id == world.consultation_id,
                                                        col(Theme.active).is_(True))).all()
        assert len(active) == len(set(active))
        assert all(_assignment(session, o).theme_id for o in session.exec(select(Opinion.id)).all())


def test_the_first_queue_call_after_a_run_reuses_its_features_and_proposes_the_same(engine):
    """The run hands its TF-IDF/LSA features to the queue (no second tokenising of every
    opinion); what the queue proposes is the same as when it computes them itself."""
    from portal.services.review import confirm

    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        cid = world.consultation_id
        review.name_theme(session, actor=world.reviewer, consultation_id=cid, label="门禁管理",
                          keywords="门卫、外来车辆")
        session.commit()
    with Session(engine) as session:
        texts = [o.text_public for o in session.exec(
            select(Opinion).where(Opinion.consultation_id == cid).order_by(col(Opinion.id)))]
    key = confirm._key(texts, confirm.QUEUE_RANDOM_STATE)

    confirm._FEATURES.clear()
    run_analysis(engine, actor=world.reviewer, consultation_id=cid, random_state=7)
    assert key not in confirm._FEATURES  # another seed's features would change the queue's choice
    run_analysis(engine, actor=world.reviewer, consultation_id=cid)
    assert key in confirm._FEATURES
    handed = confirm._FEATURES[key]
    with Session(engine) as session:
        warm = review.confirm_queue(session, actor=world.reviewer, consultation_id=cid)
    assert confirm._FEATURES[key] is handed  # used as handed over, not recomputed

    confirm._FEATURES.clear()
    with Session(engine) as session:
        cold = review.confirm_queue(session, actor=world.reviewer, consultation_id=cid)
    assert warm is not None and cold is not None
    assert (warm.opinion_id, warm.theme_label, warm.n_left) == (cold.opinion_id, cold.theme_label, cold.n_left)
    assert warm.confidence == pytest.approx(cold.confidence, abs=1e-6)
