"""Who took part is kept as one row per (consultation, resident), written with the first opinion
or vote (decision 0028). The counts a resident, a committee and a street see must stay exactly
what counting every opinion and vote gives — after the migration that filled the table, after
the demo, and when one resident's first two votes arrive at the same moment."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from portal.db import make_engine, upgrade
from portal.models import Participant, Phase, VoteValue
from portal.services import participants
from portal.services.actors import SystemActor
from portal.services.consultations import participation_counts
from portal.services.identity import resident_actor
from portal.services.participation import cast_vote, submit_opinion
from portal.services.participation.offline import OfflineOpinion, enter_offline_opinion
from portal.services.street import street_overview
from tests import factories
from tests.ops_support import TODAY, build_hood

FIXTURE = Path(__file__).parent / "fixtures" / "demo-before-tenancy.sqlite.gz"

# Distinct authors and voters per consultation, counted from the rows themselves.
BY_HAND = """
SELECT cid, count(*) FROM (
  SELECT consultation_id AS cid, resident_id AS rid FROM opinion WHERE resident_id IS NOT NULL
  UNION
  SELECT o.consultation_id, v.resident_id FROM vote v JOIN opinion o ON o.id = v.opinion_id
) AS people GROUP BY cid
"""


def _by_hand(conn) -> dict[int, int]:  # type: ignore[no-untyped-def]
    return dict(conn.execute(BY_HAND).fetchall())


def test_the_upgrade_counts_everyone_who_took_part_before_it(tmp_path):
    db = tmp_path / "before.sqlite"
    with gzip.open(FIXTURE) as src, open(db, "wb") as out:
        shutil.copyfileobj(src, out)
    conn = sqlite3.connect(db)
    expected = _by_hand(conn)
    conn.close()
    assert sum(expected.values()) > 100  # a real demo: many voters in several consultations
    upgrade(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        counts = participation_counts(s, list(expected))
        assert {cid: n for cid, (_, n, _) in counts.items()} == expected
        # and a rebuild from the rows gives the same table the migration wrote
        rows = sorted(s.exec(select(Participant.consultation_id, Participant.resident_id)).all())
        participants.rebuild(s)
        assert sorted(s.exec(select(Participant.consultation_id, Participant.resident_id)).all()) == rows
    engine.dispose()


def test_the_street_sees_each_resident_once_however_often_they_took_part(session):
    hood = build_hood(session)
    other = factories.consultation(session, hood.community, title="快递柜选址", question="快递柜放在哪里好？",
                                   phase=Phase.COLLECTING, opens_at=hood.collecting.opens_at,
                                   closes_at=hood.collecting.closes_at)
    session.commit()
    a, b, c = (resident_actor(session, r) for r in hood.residents[:3])
    first = submit_opinion(session, actor=a, consultation_id=hood.collecting.id,
                           text="三号楼楼道里堆了好几辆旧自行车，希望物业统一清理一下").opinion
    session.commit()

    def street():  # type: ignore[no-untyped-def]
        row = street_overview(session, actor=SystemActor("test")).rows[0]
        return row.participants_open, participation_counts(session, [hood.collecting.id])[hood.collecting.id][1]

    assert street() == (1, 1)
    cast_vote(session, actor=b, opinion_id=first.id, value=VoteValue.AGREE)
    session.commit()
    assert street() == (2, 2)
    # b changes their mind and also writes in the other consultation: still one person
    cast_vote(session, actor=b, opinion_id=first.id, value=VoteValue.DISAGREE)
    submit_opinion(session, actor=b, consultation_id=other.id, text="快递柜最好放在小区北门，离各楼都近一点")
    session.commit()
    assert street() == (2, 2)
    # a paper opinion entered by the clerk for c counts like a web one
    enter_offline_opinion(session, actor=hood.clerk, consultation_id=hood.collecting.id, today=TODAY,
                          item=OfflineOpinion(text="楼道堆物影响老人走路，建议每月检查一次", channel=factories.models.Channel.PAPER,
                                              received_on=TODAY, resident_id=hood.residents[2].id))
    session.commit()
    assert street() == (3, 3)
    assert c.resident_id == hood.residents[2].id
    # the counts are the ones the rows give
    assert participation_counts(session, [other.id])[other.id][1] == 1
    by_hand = _by_hand(session.connection().connection.dbapi_connection)
    assert by_hand == {hood.collecting.id: 3, other.id: 1}


def _two_first_votes_at_once(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as s:
        hood = build_hood(s)
        ops = [factories.opinion(s, hood.collecting, hood.residents[i], text)
               for i, text in ((1, "楼道里的纸箱要定期清走，不然容易着火"), (2, "希望在一楼设一个临时堆放点"))]
        s.commit()
        voter = hood.residents[0]
        actor = resident_actor(s, voter)
        cid = hood.collecting.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def vote(opinion_id: int) -> None:
        try:
            with Session(engine) as s:
                barrier.wait()
                cast_vote(s, actor=actor, opinion_id=opinion_id, value=VoteValue.AGREE)
                s.commit()
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=vote, args=(op.id,)) for op in ops]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Participant)
                      .where(Participant.consultation_id == cid, Participant.resident_id == voter.id)).one() == 1
        assert participation_counts(s, [cid])[cid] == (2, 3, 2)


def test_two_first_votes_of_one_resident_at_once_on_sqlite(engine, settings):
    _two_first_votes_at_once(engine)


@pytest.mark.postgres
def test_two_first_votes_of_one_resident_at_once_on_postgresql(pg_engine, settings):
    _two_first_votes_at_once(pg_engine)
