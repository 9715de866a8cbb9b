"""The demo neighbourhood: deterministic, and big and varied enough to show every part of the loop."""

import hashlib

import pytest
from sqlmodel import Session, col, func, select

from portal.models import (
    Area,
    Channel,
    Comment,
    CommitteeUser,
    Community,
    Consultation,
    Opinion,
    Phase,
    Resident,
    Response,
    StatusUpdate,
    Street,
    Theme,
    Vote,
)
from tests.support import demo_database


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    from portal.db import make_engine

    db = demo_database(tmp_path_factory.mktemp("demo"))
    engine = make_engine(f"sqlite:///{db}")
    yield engine
    engine.dispose()


def _count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_demo_has_the_promised_neighbourhood(demo_engine):
    """梧桐里社区 is the neighbourhood it always was; the street's second community is apart."""
    with Session(demo_engine) as s:
        hood = s.exec(select(Community).where(Community.name == "梧桐里社区")).one()
        mine = [c.id for c in s.exec(select(Consultation).where(Consultation.community_id == hood.id))]
        its = col(Opinion.consultation_id).in_(mine)
        assert _count(s, Area, Area.community_id == hood.id) == 12
        assert len(set(s.exec(select(Area.grid).where(Area.community_id == hood.id)).all())) == 3
        assert 550 <= _count(s, Resident, Resident.community_id == hood.id) <= 650
        assert len(set(s.exec(select(Resident.age_band)).all())) >= 5
        phases = {c.phase for c in s.exec(select(Consultation).where(Consultation.community_id == hood.id))}
        assert {Phase.PUBLISHED, Phase.REVIEWING, Phase.COLLECTING} <= phases
        assert _count(s, Opinion, its) >= 400
        offline = _count(s, Opinion, its, col(Opinion.channel) != Channel.WEB)
        assert offline >= 30
        voters = s.exec(select(func.count(func.distinct(Vote.resident_id)))
                        .join(Opinion, col(Opinion.id) == col(Vote.opinion_id)).where(its)).one()
        assert voters >= 200
        assert _count(s, Comment) >= 60
        assert _count(s, Theme, col(Theme.consultation_id).in_(mine), col(Theme.active).is_(True),
                      col(Theme.is_other).is_(False)) >= 8


def test_demo_is_a_street_of_two_communities_with_their_own_issues(demo_engine):
    with Session(demo_engine) as s:
        street = s.exec(select(Street)).one()
        assert (street.name, street.district) == ("清河街道", "临江区")
        communities = s.exec(select(Community).order_by(col(Community.id))).all()
        assert [(c.name, c.slug, c.street_id) for c in communities] == [
            ("梧桐里社区", "wutongli", street.id), ("银杏苑社区", "yinxingyuan", street.id)]
        titles = {c.community_id: {x.title for x in s.exec(select(Consultation)
                                                           .where(Consultation.community_id == c.community_id))}
                  for c in s.exec(select(Consultation))}
        assert titles[communities[0].id].isdisjoint(titles[communities[1].id])
        assert any("垃圾分类" in t for t in titles[communities[1].id])
        staff = {u.username: (u.role, u.community_id, u.street_id) for u in s.exec(select(CommitteeUser))}
        assert staff["admin"] == ("admin", communities[0].id, None)
        assert staff["yx_admin"] == ("admin", communities[1].id, None)
        assert staff["street"] == ("street_admin", None, street.id)
        # its residents live in its own buildings only
        assert not s.exec(select(Resident).join(Area, col(Area.id) == col(Resident.area_id))
                          .where(Area.community_id != Resident.community_id)).first()


def test_published_consultation_has_answers_with_timelines(demo_engine):
    with Session(demo_engine) as s:
        published = s.exec(select(Consultation).where(Consultation.phase == Phase.PUBLISHED)).one()
        themes = s.exec(select(Theme).where(Theme.consultation_id == published.id,
                                            col(Theme.active).is_(True), col(Theme.is_other).is_(False))).all()
        answered = [t for t in themes if s.exec(select(Response).where(Response.theme_id == t.id)).first()]
        assert len(answered) >= 5
        assert all(_count(s, StatusUpdate, StatusUpdate.theme_id == t.id) >= 1 for t in answered)


def test_demo_text_carries_no_unredacted_pii_in_public_text(demo_engine):
    with Session(demo_engine) as s:
        publics = s.exec(select(Opinion.text_public)).all()
        originals = s.exec(select(Opinion.text_original)).all()
    assert any("13800138000" in t for t in originals)  # the corpus has some, on purpose
    assert not any("13800138000" in t or "沪A·12345" in t for t in publics)


def test_demo_opinions_follow_the_rules_of_every_channel(demo_engine):
    """The demo builds its opinions with new_opinion: no text the web form would refuse, and
    the public text, PII kinds and moderation flags are the rules' own, not set by hand."""
    from portal.services.participation.opinions import prepare_opinion

    with Session(demo_engine) as s:
        ops = s.exec(select(Opinion)).all()
    for op in ops:
        expected = prepare_opinion(op.text_original)
        assert (op.text_original, op.text_public, op.pii_kinds, sorted(op.flags)) == (
            expected.text, expected.text_public, expected.pii_kinds, sorted(expected.flags)), op.id
    assert any("abusive" in op.flags for op in ops) and any("pii" in op.flags for op in ops)


def _fingerprint(engine) -> str:
    h = hashlib.sha256()
    with Session(engine) as s:
        for o in s.exec(select(Opinion).order_by(col(Opinion.id))):
            h.update(f"{o.text_original}|{o.resident_id}|{o.channel}|{o.received_at}".encode())
        for v in s.exec(select(Vote).order_by(col(Vote.id))):
            h.update(f"{v.opinion_id}|{v.resident_id}|{v.value}".encode())
        for t in s.exec(select(Theme).order_by(col(Theme.id))):
            h.update(f"{t.label}|{t.size}|{t.keywords}".encode())
    return h.hexdigest()


@pytest.mark.slow
def test_demo_is_deterministic(demo_engine, tmp_path):
    import subprocess
    import sys

    from portal.db import make_engine
    from tests.support import demo_env

    db = tmp_path / "again.sqlite"
    subprocess.run([sys.executable, "-m", "portal.cli", "demo"], env=demo_env(tmp_path, db),
                   check=True, capture_output=True, timeout=600)
    again = make_engine(f"sqlite:///{db}")
    assert _fingerprint(again) == _fingerprint(demo_engine)


def test_demo_collection_stays_open_whenever_it_is_built():
    """Collection ends by itself at its closing date, so a demo built after the corpus's dates
    moves every date by the same number of days: residents can still give opinions."""
    from datetime import date, timedelta

    from portal.services.demo import OPEN_DAYS_LEFT, keep_collection_open, load_corpus
    from portal.settings import get_settings

    corpus = load_corpus(get_settings().data_dir)
    collecting = next(s for s in corpus["consultations"] if s["phase"] == "collecting")
    early = date.fromisoformat(collecting["closes_at"]) - timedelta(days=60)
    assert keep_collection_open(corpus, early) == corpus  # nothing to move

    late = date(2027, 6, 1)
    moved = keep_collection_open(corpus, late)
    moved_collecting = next(s for s in moved["consultations"] if s["phase"] == "collecting")
    assert date.fromisoformat(moved_collecting["closes_at"]) == late + timedelta(days=OPEN_DAYS_LEFT)
    shift = date.fromisoformat(moved_collecting["closes_at"]) - date.fromisoformat(collecting["closes_at"])
    for old, new in zip(corpus["consultations"], moved["consultations"], strict=True):
        assert date.fromisoformat(new["opens_at"]) - date.fromisoformat(old["opens_at"]) == shift


def test_demo_leaves_email_opt_ins_and_notices_waiting_to_be_sent(demo_engine):
    from portal.models import ContactPoint, OutboxMessage, OutboxStatus

    with Session(demo_engine) as s:
        emails = s.exec(select(ContactPoint).where(ContactPoint.channel == "email", col(ContactPoint.consent))).all()
        assert len(emails) >= 5
        assert all("@" not in c.value_encrypted for c in emails)
        pending = s.exec(select(OutboxMessage.channel).where(OutboxMessage.status == OutboxStatus.PENDING)).all()
        assert pending.count("email") >= 5 and "paper" in pending and "sms" in pending


def test_the_lift_consultation_carries_the_documents_behind_the_vote(demo_engine):
    """A visitor opens the cost estimate, the minutes and the plan before judging the owners' vote."""
    from portal.services.documents import list_documents, open_attachment
    from tests.pdf_text import pdf_text

    with Session(demo_engine) as s:
        lift = s.exec(select(Consultation).where(col(Consultation.title).contains("加装电梯"))).first()
        docs = list_documents(s, consultation_id=lift.id, actor=None)  # the public, not signed in
        assert [d.kind.label for d in docs] == ["费用测算", "会议纪要", "方案图纸"]
        costs = open_attachment(s, actor=None, document_id=docs[0].id)
        assert costs.media_type == "application/pdf"
        text = pdf_text(costs.data)
        assert "合计" in text and "64.0" in text and "业主自筹" in text
        plan = open_attachment(s, actor=None, document_id=docs[2].id)
        assert plan.media_type == "image/png" and plan.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_everyone_who_took_part_in_the_demo_is_counted(demo_engine):
    """The demo plants its votes row by row; the 参与人数 every page shows still equals the
    distinct authors and voters of each consultation."""
    from portal.services.consultations import participation_counts

    with Session(demo_engine) as s:
        ids = list(s.exec(select(Consultation.id)))
        by_hand = {}
        for cid in ids:
            authors = set(s.exec(select(Opinion.resident_id).where(Opinion.consultation_id == cid,
                                                                    col(Opinion.resident_id).is_not(None))))
            voters = set(s.exec(select(Vote.resident_id).join(Opinion, col(Opinion.id) == col(Vote.opinion_id))
                                .where(Opinion.consultation_id == cid)))
            by_hand[cid] = len(authors | voters)
        assert sum(by_hand.values()) > 300
        assert {cid: n for cid, (_, n, _) in participation_counts(s, ids).items()} == by_hand
