"""Many owners and staff at once, through the unit of work the pages use, on SQLite and
PostgreSQL: every household ends with exactly one ballot (0 lost, 0 double), every resident with
exactly one poll answer, and a household's paper and web ballots never both count."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlmodel import Session, SQLModel, select

from portal.db import make_engine, unit_of_work
from portal.models import Channel, OwnerBallot, OwnerChoice, PollResponse
from portal.services.decisions import (
    answer_poll,
    cast_owner_ballot,
    enter_paper_owner_ballot,
    tally_owners_vote,
)
from portal.services.errors import InvalidInput
from tests.portal.decisions_world import owners_building, poll_world

N_HOUSEHOLDS = 24
AREAS = [f"{70 + (i * 7) % 45}.{(i * 13) % 100:02d}" for i in range(N_HOUSEHOLDS)]


def _run_all(jobs):
    """Start every job at the same moment; collect outcomes ('ok' or the refusal's text)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job):
        barrier.wait()
        try:
            job()
            result = "ok"
        except InvalidInput as exc:
            result = str(exc)
        except BaseException as exc:  # noqa: BLE001 - any other error is a failure of the test
            with lock:
                errors.append(exc)
            return
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return outcomes


def _owners_race(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = owners_building(s, AREAS)
    jobs = []
    for i, owner in enumerate(w.owners):
        # each owner clicks twice at once; for every third household a clerk types its paper
        # ballot at the same moment
        for choice in (OwnerChoice.AGREE, OwnerChoice.AGREE):
            jobs.append(lambda owner=owner, choice=choice: unit_of_work(
                engine, lambda s: cast_owner_ballot(s, actor=owner, vote_id=w.vote_id, choice=choice)))
        if i % 3 == 0:
            jobs.append(lambda i=i: unit_of_work(engine, lambda s: enter_paper_owner_ballot(
                s, actor=w.clerk, vote_id=w.vote_id, household_id=w.households[i], choice=OwnerChoice.OPPOSE)))
    outcomes = _run_all(jobs)
    with Session(engine) as s:
        ballots = s.exec(select(OwnerBallot).where(OwnerBallot.vote_id == w.vote_id)).all()
        per_household = Counter(b.household_id for b in ballots)
        assert sorted(per_household) == sorted(w.households)  # 0 lost
        assert set(per_household.values()) == {1}  # 0 double
        refused = [o for o in outcomes if o != "ok"]
        # a paper ballot that lost its race was refused, and so was every web click after it
        for hid in w.households[::3]:
            b = next(b for b in ballots if b.household_id == hid)
            if Channel(b.channel) == Channel.PAPER:
                assert b.choice == OwnerChoice.OPPOSE
        assert all("一户只计一票" in o for o in refused)
        t = tally_owners_vote(s, vote_id=w.vote_id)
        assert t.voted_households == N_HOUSEHOLDS
        assert t.voted_area == t.eligible_area
        n_paper = sum(Channel(b.channel) == Channel.PAPER for b in ballots)
        assert t.oppose_households == n_paper


def _poll_race(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = poll_world(s, n_residents=20)
    q1, q2, q3 = w.question_ids
    jobs = []
    for r in w.residents:
        for scheme in (0, 1):  # two tabs sending different answers at once
            jobs.append(lambda r=r, scheme=scheme: unit_of_work(engine, lambda s: answer_poll(
                s, actor=r, poll_id=w.poll_id, answers={q1: [scheme], q2: [0], q3: [0, 1, 2]})))
    assert set(_run_all(jobs)) == {"ok"}
    with Session(engine) as s:
        responses = s.exec(select(PollResponse).where(PollResponse.poll_id == w.poll_id)).all()
        assert sorted(r.resident_id for r in responses) == sorted(r.resident_id for r in w.residents)


def test_concurrent_owner_ballots_sqlite(engine):
    _owners_race(engine)


def test_concurrent_poll_answers_sqlite(engine):
    _poll_race(engine)


@pytest.fixture
def pg(pg_url):
    eng = make_engine(pg_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def test_concurrent_owner_ballots_postgresql(pg, settings):
    _owners_race(pg)


def test_concurrent_poll_answers_postgresql(pg, settings):
    _poll_race(pg)
