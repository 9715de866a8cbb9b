"""The public results page, the results list and the links to them (AppTest, seeded database)."""

import json
import re

from sqlmodel import Session, select

from portal.models import Opinion
from tests.pages import public_support
from tests.pages.conftest import open_page
from tests.pages.public_support import page_text, results_tabs
from tests.results_fixtures import HIDDEN_COMMENT, HIDDEN_OPINION, PII

results_db = public_support.results_db  # the fixture, shared with the accountability tests

RESULTS = "app_pages/public/results.py"


def _links(at) -> list[str]:
    return [el.proto.label for el in at.get("page_link")]


def test_results_page_shows_themes_answers_charts_and_downloads(results_db):
    _, seeded = results_db
    tabs = results_tabs(seeded.consultation_id)
    assert not any(t.exception for t in tabs)
    at = tabs[0]
    assert at.title[0].value == "老旧小区加装电梯"
    headings = [t.value for t in at.text if re.match(r"\d+\. ", t.value)]
    assert headings == ["1. 费用分摊", "2. 低层住户顾虑", "3. 施工与安全"]  # ranked by hot score
    text = "\n".join(page_text(t) for t in tabs)
    for expected in ["居委会决定：采纳", "居委会决定：部分采纳", "责任方：物业公司", "已超过完成时限，尚未完成。",
                     "补贴申请已提交街道", "共识意见", "分歧最大的意见", "第一组", "30-44", "上门走访",
                     "这一组特别认同", "这一组特别反对", "分组较明显"]:
        assert expected in text, expected
    # the latest step of each answered theme is in the open with its date, not folded away
    assert re.search(r"最新进展（\d{4}年\d{1,2}月\d{1,2}日）：处理中。补贴申请已提交街道", text), text
    assert "更早的进展（1 条）" in [e.label for e in at.expander]
    assert not any(e.label.startswith("办理进展（") for e in at.expander)
    charts = [el for t in tabs for el in t.get("vega_lite_chart")]
    assert not any("主成分" in json.dumps(json.loads(el.proto.spec)) for el in charts)
    titles = [json.loads(el.proto.spec)["title"] for el in charts]
    assert titles == ["各主题意见数与支持率（按热度排序）", "各主题的同意与不同意票", "各楼栋参与情况（对照居民名册）",
                      "意见来源渠道", "意见征集进度", "意见分组：投票相近的居民靠在一起"]
    labels = [el.proto.label for t in tabs for el in t.get("download_button")]
    assert labels == ["下载公示单（PDF，A4）", "下载意见数据（CSV）", "下载全部数据（JSON）", "下载全部表格（ZIP，含数据说明）"]


def test_only_the_open_tab_is_built_and_a_link_can_open_another(results_db):
    """A visitor pays for the tab they look at: the first view builds 主题与回应 only; the
    address carries the open tab, so 「参与情况」 can be linked to and survives a reload."""
    _, seeded = results_db
    first = open_page(RESULTS, query={"id": str(seeded.consultation_id)})
    assert not first.exception
    assert [json.loads(el.proto.spec)["title"] for el in first.get("vega_lite_chart")] == [
        "各主题意见数与支持率（按热度排序）", "各主题的同意与不同意票"]
    assert not first.get("download_button") and "共识意见" not in page_text(first)
    people = open_page(RESULTS, query={"id": str(seeded.consultation_id), "tab": "参与情况"})
    assert not people.exception
    assert "1. 费用分摊" not in [t.value for t in people.text]
    assert "各楼栋参与情况（对照居民名册）" in [json.loads(el.proto.spec)["title"] for el in people.get("vega_lite_chart")]
    assert people.query_params["tab"] == ["参与情况"] or people.query_params["tab"] == "参与情况"
    # a tab name that is not one of the page's opens the first tab, not an error
    odd = open_page(RESULTS, query={"id": str(seeded.consultation_id), "tab": "<script>alert(1)</script>"})
    assert not odd.exception
    assert "1. 费用分摊" in [t.value for t in odd.text]


def test_nothing_hidden_or_personal_on_any_public_page(results_db):
    engine, seeded = results_db
    with Session(engine) as s:
        originals = s.exec(select(Opinion.text_original).where(Opinion.pii_kinds != [])).all()
    assert originals
    pages = [
        open_page("app_pages/public/home.py"),
        open_page("app_pages/public/consultation.py", query={"id": str(seeded.consultation_id)}),
        open_page(RESULTS),
        *results_tabs(seeded.consultation_id),
        open_page("app_pages/public/accountability.py"),
    ]
    for at in pages:
        assert not at.exception
        text = page_text(at)
        for secret in [*PII, HIDDEN_OPINION, HIDDEN_COMMENT, *originals]:
            assert secret not in text
    assert "[门牌号]" in page_text(pages[3])  # redacted opinions are there, as redacted


def test_no_results_before_they_are_published(results_db):
    _, seeded = results_db
    at = open_page(RESULTS, query={"id": str(seeded.reviewing_id)})
    assert not at.exception
    assert "结果还没有公示" in at.info[0].value
    assert not at.get("vega_lite_chart") and not at.get("download_button")
    assert "尚未公布的回应草稿" not in page_text(at)


def test_results_list_and_home_link_only_published_consultations(results_db):
    _, seeded = results_db
    listing = open_page(RESULTS)
    assert [s.value for s in listing.subheader] == ["老旧小区加装电梯"]
    home = open_page("app_pages/public/home.py")
    assert _links(home).count("查看结果、回应与办理进度 →") == 1
    detail = open_page("app_pages/public/consultation.py", query={"id": str(seeded.consultation_id)})
    assert "查看结果、回应与办理进度 →" in _links(detail)
    other = open_page("app_pages/public/consultation.py", query={"id": str(seeded.reviewing_id)})
    assert "查看结果、回应与办理进度 →" not in _links(other)


def test_hiding_an_opinion_takes_it_off_the_cached_page(results_db):
    engine, seeded = results_db
    at = open_page(RESULTS, query={"id": str(seeded.consultation_id)})
    shown = "一楼二楼不用电梯，出钱比例应该少一些，高层多出一点比较公平"
    assert shown in page_text(at)
    from portal.services.actors import SystemActor
    from portal.services.participation import moderation

    with Session(engine) as s:  # the committee hides it, as the moderation page does
        op = s.exec(select(Opinion).where(Opinion.text_public == shown)).one()
        moderation.hide(s, actor=SystemActor("test"), target_type="opinion", target_id=op.id,
                        reason="含有他人住址，暂不公开")
        s.commit()
    at.run()
    assert shown not in page_text(at)


def test_word_cloud_for_all_opinions_and_for_one_theme(results_db):
    _, seeded = results_db
    at = open_page(RESULTS, query={"id": str(seeded.consultation_id)})
    images = at.get("image")
    assert len(images) == 1
    assert "全部意见的词云" in images[0].proto.imgs[0].caption
    at.selectbox(key="results.cloud_theme").select(seeded.theme_ids["低层住户顾虑"]).run()
    assert not at.exception
    assert "所选主题的词云" in at.get("image")[0].proto.imgs[0].caption
    assert at.get("image")[0].proto.imgs[0].url != images[0].proto.imgs[0].url  # a different picture


def test_page_of_a_published_consultation_without_themes(results_db):
    from portal.models import Consultation, Phase

    engine, _ = results_db
    with Session(engine) as s:
        c = Consultation(community_id=1, title="楼道堆物清理", question="楼道堆物怎么清理？", phase=Phase.PUBLISHED)
        s.add(c)
        s.commit()
        cid = c.id
    at = open_page(RESULTS, query={"id": str(cid)})
    assert not at.exception
    assert "这个议题还没有整理出主题。" in at.info[0].value
    assert not at.get("image")


def _restore_snapshot(engine, consultation_id: int, charts) -> None:
    """Store the snapshot as publishing does, then set the charts it carries (``None``: a snapshot
    stored before the charts were kept with it)."""
    import dataclasses
    import pickle

    from portal.db import unit_of_work
    from portal.models import ResultsSnapshot
    from portal.services.publishing.snapshot import refresh_snapshot

    unit_of_work(engine, lambda s: refresh_snapshot(s, consultation_id))
    with Session(engine) as s:
        row = s.get(ResultsSnapshot, consultation_id)
        row.payload = pickle.dumps(dataclasses.replace(pickle.loads(row.payload), charts=charts))
        s.add(row)
        s.commit()


def test_the_page_draws_the_charts_stored_with_the_snapshot(results_db):
    engine, seeded = results_db
    stored = {"themes": {"mark": "bar", "title": "存下的主题图", "data": {"values": [{"a": 1}]},
                         "encoding": {"x": {"field": "a", "type": "quantitative"}}}}
    _restore_snapshot(engine, seeded.consultation_id, stored)
    at = open_page(RESULTS, query={"id": str(seeded.consultation_id)})
    assert not at.exception
    # what the snapshot carries is what is drawn: nothing is built on the page
    assert [json.loads(el.proto.spec)["title"] for el in at.get("vega_lite_chart")] == ["存下的主题图"]
    assert "1. 费用分摊" in [t.value for t in at.text]


def test_a_snapshot_stored_before_charts_were_kept_still_shows_every_chart(results_db):
    engine, seeded = results_db
    _restore_snapshot(engine, seeded.consultation_id, None)
    tabs = results_tabs(seeded.consultation_id)
    assert not any(t.exception for t in tabs)
    assert [len(t.get("vega_lite_chart")) for t in tabs] == [2, 3, 1, 0]
