"""Issue 13 item 8: small things that misled people (services behind the pages)."""


import pytest
from sqlmodel import select

from portal.models import Area, Opinion, Phase, Report, Resident, Theme, ThemeAssignment
from portal.services.consultations.participation_check import check_participation
from portal.services.errors import InvalidInput
from portal.services.identity import resident_actor
from portal.services.identity.age_bands import reporting_age_band
from portal.services.participation import report
from portal.services.publishing.exports import export_summary, export_tables
from portal.services.publishing.notice_pdf import notice_pdf
from portal.services.publishing.results import load_results
from portal.services.review.curation import merge_themes
from tests import factories
from tests.ops_support import build_hood
from tests.pdf_text import pdf_text
from tests.results_fixtures import seed_results


@pytest.mark.parametrize("band, expected", [
    ("30-39", "30-44"), ("30-44", "30-44"), ("40-49", "30-44"), ("50-59", "45-59"), ("20-29", "18-29"),
    ("60-69", "60-69"), ("85+", "80+"), ("80+", "80+"), ("10-17", "<18"), ("<18", "<18"),
    ("60+", "60+"),  # spans three bands of the scheme: left as typed rather than guessed
    ("", ""),
])
def test_age_bands_are_reported_in_one_scheme(band, expected):
    assert reporting_age_band(band) == expected


def test_a_30_39_roster_next_to_a_30_44_roster_makes_one_row(session):
    hood = build_hood(session)
    # a second roster import typed in ten-year bands
    factories.residents(session, hood.community, hood.areas, 6, age_bands=["30-39", "50-59"])
    session.commit()
    check = check_participation(session, actor=hood.admin, consultation_id=hood.collecting.id,
                                dimension="age_band")
    groups = [g.group for g in check.groups]
    assert groups == ["30-44", "45-59", "60-69", "80+"]
    assert {g.group: g.roster for g in check.groups}["30-44"] == 3 + 3  # 3 typed 30-44, 3 typed 30-39


def test_report_has_no_default_reason(session):
    hood = build_hood(session)
    op = session.exec(select(Opinion)).first() or factories.opinion(
        session, hood.collecting, hood.residents[0], "楼下电动车充电线乱拉，晚上很危险")
    session.commit()
    me = resident_actor(session, hood.residents[1])
    with pytest.raises(InvalidInput, match="请先选择举报理由"):
        report(session, actor=me, target_type="opinion", target_id=op.id, reason="")
    session.rollback()
    assert session.exec(select(Report)).first() is None


def test_export_counts_themes_as_they_stand_after_a_merge(session):
    hood = build_hood(session)
    c = hood.collecting
    themes = []
    for i, label in enumerate(["充电桩", "飞线充电", "车棚", "停车位", "外来车辆"]):
        op = factories.opinion(session, c, hood.residents[i % len(hood.residents)], f"关于{label}的意见，希望尽快解决")
        t = Theme(consultation_id=c.id, label=label, keywords=[label], size=1, position=i)
        session.add(t)
        session.flush()
        session.add(ThemeAssignment(opinion_id=op.id, theme_id=t.id))
        themes.append(t)
    c.phase = Phase.REVIEWING
    session.add(c)
    session.commit()
    merge_themes(session, actor=hood.admin, theme_ids=[themes[0].id, themes[1].id], into_id=themes[0].id)
    session.commit()
    tables = export_tables(session, actor=hood.admin, consultation_id=c.id)
    assert len(tables["主题"]) == 5  # the merged-away theme stays in the record, marked
    sentence = export_summary(tables)
    assert "主题 4 个（另有 1 个已合并或停用" in sentence
    assert "主题 5 行" not in sentence


def test_notice_names_buildings_that_have_no_grid(session, settings):
    seeded = seed_results(session)
    for area in session.exec(select(Area)):
        area.grid = ""  # a community that does not use 网格
        session.add(area)
    session.commit()
    text = pdf_text(notice_pdf(session, seeded.consultation_id))
    assert "各楼栋参与人数/名册人数：1号楼" in text
    assert "；" + "0/" not in text and "：0/" not in text
    r = load_results(session, seeded.consultation_id)
    for building in r.areas["楼栋"]:
        assert building in text
    # every count has a name before it
    import re
    assert not re.search(r"[；：]\d+/\d+人", text)


def test_results_age_table_uses_the_scheme(session, settings):
    seeded = seed_results(session)
    for resident in session.exec(select(Resident)):
        if resident.age_band == "30-44" and resident.id % 2:
            resident.age_band = "30-39"
            session.add(resident)
    session.commit()
    r = load_results(session, seeded.consultation_id)
    assert "30-39" not in set(r.age_bands["年龄段"])
    assert list(r.age_bands["年龄段"])[:1] == ["30-44"]
