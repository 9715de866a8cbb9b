"""Results snapshot: published results are stored ready, read back by the first visitor on any
replica, and recomputed when anything shown on the page changed."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from portal.models import Decision, ResultsSnapshot, ThemeStatus
from portal.services import review
from portal.services.errors import PhaseClosed
from portal.services.participation import moderation
from portal.services.publishing.results import load_results, results_version
from portal.services.publishing.snapshot import current_results, snapshot_version
from tests.portal.review_world import build_world

SOON = date.today() + timedelta(days=30)


def _answer_all_and_publish(session, world) -> None:
    for label, tid in world.themes.items():
        if label != "其他":
            review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.PARTIAL,
                                 reasoning=f"关于{label}，居委会将与物业协商具体办法，下月公布方案。",
                                 responsible_party="居委会", due_date=SOON)
    review.publish_results(session, actor=world.admin, consultation_id=world.consultation_id,
                           confirm_unanswered=True, confirm_unreviewed=True)
    session.commit()


class Statements:
    """Counts the SQL statements a block sends (SQLAlchemy's own event hook)."""

    def __init__(self, engine):
        self.engine, self.n = engine, 0

    def _count(self, *args, **kwargs):
        self.n += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def world(session):
    w = build_world(session)
    session.commit()
    return w


def test_publishing_stores_the_snapshot_the_first_visitor_reads(engine, session, world):
    assert snapshot_version(session, world.consultation_id) is None
    _answer_all_and_publish(session, world)
    with Session(engine) as visitor:  # a new session, as on another replica
        version = results_version(visitor, world.consultation_id)
        assert snapshot_version(visitor, world.consultation_id) == version
        with Statements(engine) as from_snapshot:
            ready = current_results(visitor, world.consultation_id, version=version)
        with Statements(engine) as computed:
            fresh = load_results(visitor, world.consultation_id)
    assert from_snapshot.n <= 2 < computed.n  # one row, not the whole computation
    assert ready.themes == fresh.themes and ready.groups == fresh.groups
    assert ready.areas.equals(fresh.areas) and ready.age_bands.equals(fresh.age_bands)
    assert all(t.answer is not None for t in ready.themes if not t.is_other)


def test_the_snapshot_carries_the_page_charts_built_when_it_was_stored(engine, session, world):
    from portal.charts import results_chart_specs

    _answer_all_and_publish(session, world)
    with Session(engine) as visitor:
        ready = current_results(visitor, world.consultation_id)
        fresh = load_results(visitor, world.consultation_id)
    assert fresh.charts is None  # computing the results builds no chart
    assert ready.charts == results_chart_specs(fresh)
    assert ready.charts["themes"]["title"] == "各主题意见数与支持率（按热度排序）"
    assert {"themes", "votes", "timeline", "channels"} <= set(ready.charts)


def test_a_change_after_publishing_is_never_served_stale(engine, session, world):
    _answer_all_and_publish(session, world)
    tid = world.themes["外来车辆"]
    # progress on a published theme: the snapshot is stored again with the change
    review.add_status_update(session, actor=world.reviewer, theme_id=tid, status=ThemeStatus.IN_PROGRESS,
                             note="门岗已开始登记外来车辆")
    session.commit()
    with Session(engine) as visitor:
        version = results_version(visitor, world.consultation_id)
        assert snapshot_version(visitor, world.consultation_id) == version
        shown = current_results(visitor, world.consultation_id, version=version)
    assert shown.themes[[t.id for t in shown.themes].index(tid)].timeline[-1].note == "门岗已开始登记外来车辆"

    # hiding an opinion changes the version: the next visitor gets it recomputed, and stores it
    hidden = world.opinions["车位不足"][0]
    moderation.hide(session, actor=world.reviewer, target_type="opinion", target_id=hidden,
                    reason="含有对邻居的人身攻击")
    session.commit()
    with Session(engine) as visitor:
        version = results_version(visitor, world.consultation_id)
        assert snapshot_version(visitor, world.consultation_id) != version
        shown = current_results(visitor, world.consultation_id, version=version)
        visitor.commit()
        assert snapshot_version(visitor, world.consultation_id) == version
    assert shown.n_opinions == load_results(session, world.consultation_id).n_opinions
    assert hidden not in {o.id for t in shown.themes for o in t.representatives}


def test_an_unreadable_snapshot_is_rebuilt(engine, session, world):
    _answer_all_and_publish(session, world)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE resultssnapshot SET payload = :p"), {"p": b"not a pickle"})
    with Session(engine) as visitor:
        shown = current_results(visitor, world.consultation_id)
        visitor.commit()
        assert shown.title == "停车难与非机动车充电"
        row = visitor.get(ResultsSnapshot, world.consultation_id)
        assert row.payload != b"not a pickle"


def test_nothing_is_stored_or_shown_before_publishing(session, world):
    review.save_response(session, actor=world.reviewer, theme_id=world.themes["车位不足"],
                         decision=Decision.ADOPT, reasoning="东门空地划出三十个临时车位，由物业管理。",
                         responsible_party="物业公司", due_date=SOON)
    session.commit()
    assert snapshot_version(session, world.consultation_id) is None
    with pytest.raises(PhaseClosed):
        current_results(session, world.consultation_id)
    assert session.get(ResultsSnapshot, world.consultation_id) is None


def test_on_postgresql_the_snapshot_matches_what_another_replica_computes(pg_engine, settings):
    """PostgreSQL hands back aware datetimes, SQLite naive ones: the stored version must equal the
    version a visitor computes afterwards on either database."""
    with Session(pg_engine, expire_on_commit=False) as s:
        world = build_world(s)
        s.commit()
        _answer_all_and_publish(s, world)
    with Session(pg_engine) as visitor:
        version = results_version(visitor, world.consultation_id)
        assert snapshot_version(visitor, world.consultation_id) == version
        with Statements(pg_engine) as from_snapshot:
            ready = current_results(visitor, world.consultation_id, version=version)
    assert from_snapshot.n <= 2
    assert ready.title == "停车难与非机动车充电"


@pytest.mark.parametrize("first", ["portal.services.publishing.snapshot", "portal.services.review.answers",
                                   "portal.services.publishing.results"])
def test_every_import_order_works(first):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {first}; import portal.services.review"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-800:]
