from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from portal.models import Consultation, Opinion, Phase, StatusUpdate, ThemeStatus, Visibility, Vote
from portal.services.errors import NotFound, PhaseClosed
from portal.services.publishing.accountability import (
    accountability_items,
    filter_items,
    results_page_path,
)
from portal.services.publishing.results import (
    list_published,
    load_results,
    results_version,
    word_frequencies,
)
from tests.results_fixtures import HIDDEN_OPINION, PII, seed_results


@pytest.fixture
def seeded(session):
    return seed_results(session)


def test_only_published_consultations_have_public_results(session, seeded):
    with pytest.raises(PhaseClosed, match="结果还没有公示"):
        load_results(session, seeded.reviewing_id)
    with pytest.raises(NotFound):
        load_results(session, 999)
    draft = session.get(Consultation, seeded.reviewing_id)
    draft.phase = Phase.DRAFT
    session.commit()
    with pytest.raises(NotFound):
        load_results(session, seeded.reviewing_id)
    assert [c.title for c in list_published(session)] == ["老旧小区加装电梯"]


def test_themes_ranked_by_hot_score_with_the_committees_answers(session, seeded):
    r = load_results(session, seeded.consultation_id)
    assert [t.label for t in r.themes] == ["费用分摊", "低层住户顾虑", "施工与安全"]  # retired theme left out
    assert [t.rank for t in r.themes] == [1, 2, 3]
    cost = r.themes[0]
    assert cost.answer.decision == "采纳" and cost.answer.responsible_party == "居委会与业委会"
    assert [e.status for e in cost.timeline] == ["已回应", "处理中"]
    assert cost.status == "处理中"
    low, build = r.themes[1], r.themes[2]
    assert low.answer.overdue  # due five days ago and still in progress
    assert not build.answer.overdue  # due three days ago but already done
    assert not cost.answer.overdue  # due next month


def test_hidden_opinions_and_personal_data_never_reach_the_results(session, seeded):
    r = load_results(session, seeded.consultation_id)
    shown = [*r.consensus, *r.divisive, *(op for t in r.themes for op in t.representatives),
             *(op for g in r.groups for op, _ in g.representative)]
    assert shown, "the fixture plants representatives, consensus and group opinions"
    assert seeded.hidden_opinion_id not in {op.id for op in shown}
    everything = repr(r)
    for secret in [*PII, HIDDEN_OPINION]:
        assert secret not in everything
    assert "[手机号]" in everything and "[门牌号]" in everything  # the redacted text is what shows
    assert list(r.group_points.columns) == ["x", "y", "分组"]  # no resident ids in the scatter


def test_groups_say_what_each_group_rejects_and_how_clear_the_grouping_is(session, seeded):
    r = load_results(session, seeded.consultation_id)
    first, second = r.groups
    assert second.opposed and second.opposed[0][1] == 0.88  # share of the group disagreeing
    rejected = {op.id for op, _ in second.opposed}
    assert not rejected & {op.id for op, _ in second.representative}  # not listed as agreed
    assert first.opposed == []
    assert r.group_note.startswith("分组较明显")


def test_participation_is_counted_against_the_roster(session, seeded):
    r = load_results(session, seeded.consultation_id)
    authors = set(session.exec(select(Opinion.resident_id).where(Opinion.consultation_id == seeded.consultation_id)))
    voters = set(session.exec(select(Vote.resident_id)))
    assert r.n_participants == len(authors | voters)
    assert r.roster_size == 40
    assert list(r.areas["楼栋"]) == ["1号楼", "2号楼", "3号楼", "4号楼"]
    assert r.areas["名册人数"].tolist() == [10, 10, 10, 10]
    assert r.areas["参与人数"].sum() == r.n_participants
    assert r.age_bands["参与人数"].sum() == r.n_participants
    assert r.n_opinions == 12  # the hidden one is not counted
    assert r.channels["意见数"].sum() == 12
    assert r.timeline["累计意见数"].iloc[-1] == 12


def test_vote_counts_shown_with_opinions_match_the_votes(session, seeded):
    r = load_results(session, seeded.consultation_id)
    op = r.themes[0].representatives[0]
    values = session.exec(select(Vote.value).where(Vote.opinion_id == op.id)).all()
    assert (op.agree, op.disagree) == (values.count("agree"), values.count("disagree"))


def test_version_changes_when_something_public_changes(session, seeded):
    v1 = results_version(session, seeded.consultation_id)
    assert results_version(session, seeded.consultation_id) == v1
    op = session.exec(select(Opinion).where(Opinion.consultation_id == seeded.consultation_id,
                                            Opinion.visibility == Visibility.VISIBLE)).first()
    op.visibility = Visibility.HIDDEN
    session.commit()
    v2 = results_version(session, seeded.consultation_id)
    assert v2 != v1
    session.add(StatusUpdate(theme_id=seeded.theme_ids["费用分摊"], status=ThemeStatus.DONE, note="已完成"))
    session.commit()
    assert results_version(session, seeded.consultation_id) != v2


def test_word_frequencies_count_visible_opinions_per_theme(session, seeded):
    everything = word_frequencies(session, seeded.consultation_id)
    assert everything["施工"] >= everything.get("围挡", 0) > 0
    one = word_frequencies(session, seeded.consultation_id, seeded.theme_ids["低层住户顾虑"])
    assert set(one) <= set(everything) and one["采光"] == 2
    assert "施工" not in one or one["施工"] <= everything["施工"]


def test_accountability_lists_answered_public_themes_and_flags_overdue(session, seeded):
    items = accountability_items(session)
    assert {i.theme for i in items} == {"费用分摊", "低层住户顾虑", "施工与安全"}  # not the reviewing one
    assert [i.theme for i in filter_items(items, overdue_only=True)] == ["低层住户顾虑"]
    adopted_open = filter_items(items, decisions=["adopt"], unfinished_only=True)
    assert [i.theme for i in adopted_open] == ["费用分摊"]
    assert [i.theme for i in filter_items(items, statuses=["done"])] == ["施工与安全"]
    later = accountability_items(session, today=date.today() + timedelta(days=60))
    assert {i.theme for i in later if i.overdue} == {"费用分摊", "低层住户顾虑"}


def test_closed_consultations_stay_public(session, seeded):
    c = session.get(Consultation, seeded.consultation_id)
    c.phase = Phase.CLOSED
    session.commit()
    assert load_results(session, seeded.consultation_id).phase == "已办结"
    assert session.exec(select(Consultation).where(col(Consultation.phase) == Phase.CLOSED)).first()


def test_results_url_for_qr_codes():
    assert results_page_path(7, "https://yishi.example.cn/") == "https://yishi.example.cn/results?id=7"


@pytest.mark.postgres
def test_results_open_data_and_accountability_on_postgresql(pg_engine):
    from sqlmodel import Session

    from portal.services.publishing import opendata

    with Session(pg_engine, expire_on_commit=False) as s:
        seeded = seed_results(s)
        r = load_results(s, seeded.consultation_id)
        assert [t.label for t in r.themes] == ["费用分摊", "低层住户顾虑", "施工与安全"]
        assert r.roster_size == 40 and r.areas["参与人数"].sum() == r.n_participants
        assert seeded.hidden_opinion_id not in {op.id for op in r.consensus}
        assert len(opendata.collect(s, seeded.consultation_id).tables["opinions"]) == 12
        assert [i.theme for i in filter_items(accountability_items(s), overdue_only=True)] == ["低层住户顾虑"]
        assert results_version(s, seeded.consultation_id)
        assert word_frequencies(s, seeded.consultation_id)["施工"] > 0


def test_hidden_representatives_are_replaced_by_the_most_agreed_visible_opinions(session, seeded):
    from portal.models import Theme

    theme = session.get(Theme, seeded.theme_ids["施工与安全"])
    before = load_results(session, seeded.consultation_id).themes[2].representatives
    assert len(before) == 3  # one stored representative is the hidden opinion: a stand-in fills it
    for op in session.exec(select(Opinion).where(col(Opinion.id).in_(theme.representative_ids))):
        if op.visibility == Visibility.VISIBLE:
            op.visibility = Visibility.HIDDEN
            session.add(op)
    session.commit()
    after = load_results(session, seeded.consultation_id).themes[2].representatives
    assert len(after) == 3  # five visible opinions, two of them hidden now: the three left
    assert not {o.id for o in after} & set(theme.representative_ids)
    assert after[0].agree >= after[1].agree >= after[2].agree


def test_a_published_consultation_without_analysis_still_has_a_results_page(session):
    from portal.models import Community

    community = Community(name="梧桐里社区")
    session.add(community)
    session.flush()
    c = Consultation(community_id=community.id, title="楼道堆物清理", question="楼道堆物怎么清理？", phase=Phase.PUBLISHED)
    session.add(c)
    session.commit()
    r = load_results(session, c.id)
    assert r.themes == [] and r.consensus == [] and r.n_opinions == 0
    assert r.timeline.empty and r.group_points.empty and r.run_id is None
    assert word_frequencies(session, c.id) == {}


def test_version_ignores_unrelated_activity_but_sees_a_swap_of_hidden_opinions(session, seeded):
    from portal.services import audit

    v1 = results_version(session, seeded.consultation_id)
    audit.record(session, actor="committee:1", action="user.login", target_type="user", target_id=1)
    session.commit()
    assert results_version(session, seeded.consultation_id) == v1  # a sign-in changes nothing shown
    hidden = session.get(Opinion, seeded.hidden_opinion_id)
    shown = session.exec(select(Opinion).where(Opinion.consultation_id == seeded.consultation_id,
                                               Opinion.visibility == Visibility.VISIBLE)).first()
    hidden.visibility, shown.visibility = Visibility.VISIBLE, Visibility.HIDDEN  # same count
    session.commit()
    assert results_version(session, seeded.consultation_id) != v1
