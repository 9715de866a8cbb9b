"""Theme summaries: the run writes a machine draft, the committee edits and reviews it, a reviewed
summary survives re-runs, publishing asks about unreviewed ones, and residents only ever read a
reviewed summary (results page data, open data, the printed notice)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlmodel import Session, col, select

from portal.models import AuditEvent, Consultation, Decision, Opinion, Phase, Theme
from portal.services import review
from portal.services.errors import InvalidInput
from portal.services.publishing import opendata
from portal.services.publishing.notice_pdf import notice_pdf
from portal.services.publishing.results import load_results
from portal.services.review.runs import run_analysis
from tests.pdf_text import pdf_text
from tests.portal.review_world import build_world
from tests.results_fixtures import seed_results


def _active(session: Session, cid: int) -> dict[str, Theme]:
    return {t.label: t for t in session.exec(select(Theme).where(Theme.consultation_id == cid,
                                                                col(Theme.active).is_(True)))}


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def analysed(engine):
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        session.commit()
    run_analysis(engine, actor=world.reviewer, consultation_id=world.consultation_id)
    return world


def test_a_run_stores_a_machine_draft_with_counts_quotes_and_opinion_ids(engine, analysed):
    with Session(engine) as session:
        themes = [t for t in _active(session, analysed.consultation_id).values() if t.size]
        opinion_ids = set(session.exec(select(Opinion.id).where(
            Opinion.consultation_id == analysed.consultation_id)).all())
        assert themes
        for t in themes:
            assert t.summary_draft.startswith("共 ") and "条意见" in t.summary_draft, t.summary_draft
            assert t.summary == t.summary_draft and t.summary_reviewed_at is None
            points = t.summary_points
            assert points["n_opinions"] >= 1
            for p in points["points"]:
                assert set(p["opinion_ids"]) <= opinion_ids
                # quotes are verbatim pieces of the opinions they were cut from
                for quote, oid in zip(p["quotes"], p["quote_opinion_ids"], strict=True):
                    assert quote in session.get(Opinion, oid).text_public
        assert any(t.summary_points["points"] for t in themes)


def test_edited_reviewed_summary_survives_a_rerun_and_the_draft_beside_it_is_refreshed(engine, analysed):
    with Session(engine, expire_on_commit=False) as session:
        theme = max((t for t in _active(session, analysed.consultation_id).values() if not t.is_other),
                    key=lambda t: t.size)
        tid = theme.id
        text = "居民主要反映停车位不够，晚上回来找不到地方停车，希望增加车位。"
        review.save_summary(session, actor=analysed.reviewer, theme_id=tid, text=text, reviewed=True)
        session.commit()
        assert theme.curated and theme.summary_reviewed_by is not None
        event = _events(session, "theme.summary")[-1]
        assert event.detail["reviewed"] and event.detail["edited"] and event.detail["text"] == text
        session.add(Opinion(consultation_id=analysed.consultation_id, resident_id=analysed.residents[1],
                            text_original="小区车位太少了，能不能把绿化带边上划一些车位出来",
                            text_public="小区车位太少了，能不能把绿化带边上划一些车位出来"))
        session.commit()
    run_analysis(engine, actor=analysed.reviewer, consultation_id=analysed.consultation_id)
    with Session(engine) as session:
        theme = session.get(Theme, tid)
        assert theme.active and theme.summary == text and theme.summary_reviewed_at is not None
        assert theme.summary_draft.startswith("共 ")
        state = review.summary_state(theme)
        assert state.reviewed and state.edited


def test_saving_twice_stores_one_event_and_personal_details_are_refused(engine, analysed):
    with Session(engine, expire_on_commit=False) as session:
        theme = next(iter(_active(session, analysed.consultation_id).values()))
        for _ in range(2):  # a double click
            review.save_summary(session, actor=analysed.reviewer, theme_id=theme.id, text=theme.summary_draft,
                                reviewed=True)
            session.commit()
        assert len(_events(session, "theme.summary")) == 1
        with pytest.raises(InvalidInput, match="主题摘要.*手机号"):
            review.save_summary(session, actor=analysed.reviewer, theme_id=theme.id,
                                text="有问题请联系王阿姨 13912345678。", reviewed=True)
        with pytest.raises(InvalidInput, match="摘要是空的"):
            review.save_summary(session, actor=analysed.reviewer, theme_id=theme.id, text="  ", reviewed=True)
        with pytest.raises(Exception, match="权限|不能"):
            review.save_summary(session, actor=analysed.clerk, theme_id=theme.id, text="改一改", reviewed=True)


def test_merging_reopens_the_review(session):
    world = build_world(session)
    t = world.themes
    review.save_summary(session, actor=world.reviewer, theme_id=t["车位不足"],
                        text="车位不够用，晚上停车难。", reviewed=True)
    merged = review.merge_themes(session, actor=world.reviewer, theme_ids=[t["车位不足"], t["外来车辆"]],
                                 into_id=t["车位不足"])
    assert merged.summary_reviewed_at is None and merged.summary == "车位不够用，晚上停车难。"


def test_publish_check_lists_unreviewed_summaries_and_publishing_asks_to_confirm(session):
    world = build_world(session)
    for label, tid in world.themes.items():
        if label != "其他":
            review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.DECLINE,
                                 reasoning=f"关于{label}，本次暂不具备条件，明年再议", responsible_party="居委会")
    review.save_summary(session, actor=world.reviewer, theme_id=world.themes["车位不足"],
                        text="车位不够用，晚上停车难。", reviewed=True)
    check = review.publish_check(session, actor=world.reviewer, consultation_id=world.consultation_id)
    names = {t.label for t in check.unreviewed}
    assert "车位不足" not in names and "外来车辆" in names and not check.ready
    assert f"{len(names)} / {check.n_summarised} 个主题的摘要还没有审核" in check.unreviewed_note
    with pytest.raises(InvalidInput, match="摘要还没有审核：.*“外来车辆”"):
        review.publish_results(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert session.get(Consultation, world.consultation_id).phase == Phase.REVIEWING
    review.publish_results(session, actor=world.reviewer, consultation_id=world.consultation_id,
                           confirm_unreviewed=True)
    session.commit()
    assert session.get(Consultation, world.consultation_id).phase == Phase.PUBLISHED
    event = _events(session, "consultation.publish")[-1]
    assert "外来车辆" in event.detail["unreviewed_summaries"]


def test_residents_only_read_reviewed_summaries(session, settings):
    seeded = seed_results(session)
    themes = {t.label: t for t in session.exec(select(Theme).where(Theme.consultation_id == seeded.consultation_id))}
    reviewed = "共 4 条意见、4 位居民。主要诉求：① 按楼层分摊（3 条）：“高层多出点钱，一楼少出”。"
    draft = "共 3 条意见。主要诉求：① 夜间施工扰民（2 条）。"
    themes["费用分摊"].summary, themes["费用分摊"].summary_reviewed_at = reviewed, themes["费用分摊"].created_at
    themes["施工与安全"].summary = themes["施工与安全"].summary_draft = draft
    session.add_all(themes.values())
    session.commit()

    shown = {t.label: t.summary for t in load_results(session, seeded.consultation_id).themes}
    assert shown["费用分摊"] == reviewed and shown["施工与安全"] == ""

    data = opendata.collect(session, seeded.consultation_id)
    with zipfile.ZipFile(io.BytesIO(opendata.to_zip_bytes(data))) as z:
        name = next(n for n in z.namelist() if "theme" in n and n.endswith(".csv"))
        rows = {r["label"]: r["summary"] for r in csv.DictReader(io.StringIO(z.read(name).decode("utf-8-sig")))}
    assert rows["费用分摊"] == reviewed and rows["施工与安全"] == ""
    assert "夜间施工扰民" not in opendata.to_json_bytes(data).decode("utf-8")

    text = pdf_text(notice_pdf(session, seeded.consultation_id))
    assert "高层多出点钱" in text and "夜间施工扰民" not in text
