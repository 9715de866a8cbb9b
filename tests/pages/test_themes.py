import json

import pytest
from sqlmodel import Session, select

from portal.models import AnalysisRun, AuditEvent, Opinion, Theme, ThemeAssignment, ThemeRejection
from tests.pages.conftest import open_page
from tests.pages.review_db import make_review_db, open_direct

PAGE = "app_pages/committee/themes.py"


@pytest.fixture
def review(tmp_path, monkeypatch):
    engine, world = make_review_db(tmp_path, monkeypatch)
    yield engine, world
    engine.dispose()


def by_label(elements, label):
    """The widget with this label (keys of theme widgets carry a version of the theme set)."""
    return next(e for e in elements if e.label == label)


def _theme(engine, tid):
    with Session(engine) as s:
        return s.get(Theme, tid)


def test_reviewer_sees_themes_with_their_figures(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    assert not at.exception
    assert at.title[0].value == "主题研判"
    table = at.dataframe[0].value
    assert list(table["主题"])[-1] == "其他"
    row = table[table["主题"] == "电动车充电"].iloc[0]
    assert (row["意见"], row["不重复"], row["支持"]) == (5, 3, 5)
    assert [m.value for m in at.metric] == ["11", "9", "4"]
    assert "11 条意见，9 条不重复" in [c.value for c in at.caption]
    # the opened theme lists all its opinions
    opinions = at.dataframe[1].value
    assert len(opinions) == len(world.opinions[by_label(at.selectbox, "主题").format_func(
        by_label(at.selectbox, "主题").value).rsplit("（", 1)[0]])


def test_merge_two_themes(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    by_label(at.selectbox, "合并到").set_value(world.themes["车位不足"]).run()
    by_label(at.multiselect, "把这些主题并入").set_value([world.themes["外来车辆"]]).run()
    by_label(at.text_input, "合并后的名称（不填则沿用）").input("停车与外来车辆").run()
    at.button(key="themes.merge.go").click().run()
    assert not at.exception
    assert at.success[0].value == "已合并为“停车与外来车辆”。"
    assert list(at.dataframe[0].value["主题"]).count("停车与外来车辆") == 1
    assert not _theme(engine, world.themes["外来车辆"]).active
    with Session(engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "theme.merge")).one().actor == \
            f"committee:{world.reviewer.user_id}"


def test_rename_with_a_taken_name_keeps_the_text_and_explains(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    tid = world.themes["车位不足"]
    by_label(at.selectbox, "主题").set_value(tid).run()
    at.text_input(key=f"themes.rename.{tid}").input("外来车辆")
    at.button(key="FormSubmitter:themes.rename-保存名称").click().run()
    assert "已经有一个叫“外来车辆”的主题了" in at.error[0].value
    assert at.text_input(key=f"themes.rename.{tid}").value == "外来车辆"
    assert _theme(engine, tid).label == "车位不足"


def test_split_picked_opinions_into_a_new_theme(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    tid = world.themes["电动车充电"]
    by_label(at.selectbox, "主题").set_value(tid).run()
    price = world.opinions["电动车充电"][1:3]
    at.multiselect(key=f"themes.split.ops.{tid}").set_value(price)
    at.text_input(key=f"themes.split.label.{tid}").input("充电桩收费")
    at.button(key="FormSubmitter:themes.split-拆分").click().run()
    assert not at.exception
    assert at.success[0].value == "已拆出新主题“充电桩收费”（2 条意见）。"
    assert "充电桩收费" in list(at.dataframe[0].value["主题"])
    assert _theme(engine, tid).size == 3


def test_move_an_opinion_and_mark_priority(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    other = world.themes["其他"]
    by_label(at.selectbox, "主题").set_value(other).run()
    at.multiselect(key=f"themes.move.ops.{other}").set_value(world.opinions["其他"])
    by_label(at.selectbox, "移到").set_value(world.themes["车位不足"])
    at.button(key="FormSubmitter:themes.move-移动").click().run()
    assert at.success[0].value == "已把 1 条意见移到“车位不足”。"
    assert _theme(engine, world.themes["车位不足"]).size == 4
    by_label(at.selectbox, "主题").set_value(world.themes["外来车辆"]).run()
    at.button(key="FormSubmitter:themes.priority-标为重点").click().run()
    assert _theme(engine, world.themes["外来车辆"]).priority
    assert at.dataframe[0].value["主题"].iloc[0] == "★ 外来车辆"


def test_duplicates_and_opinion_groups_are_shown(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    texts = [t.value for t in at.text]
    assert "✔ 楼道里飞线给电动车充电太危险了，去年隔壁小区就着过火" in texts  # consensus
    assert any(m.value == "**第 1 组 · 5 人**" for m in at.markdown)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["title"] == "意见分组：投票相近的居民靠在一起" and spec["encoding"]["color"]["field"] == "分组"
    assert "3 条意见，1 条不重复（3 位居民）" in [m.value for m in at.markdown]


def test_clerk_has_no_such_page_and_is_refused_on_direct_access(review):
    engine, world = review
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(PAGE, actor=world.clerk)
    at = open_direct(PAGE, actor=world.clerk)
    assert at.error[0].value == "您的账号没有访问此页面的权限。"
    assert not at.dataframe


def test_visitor_must_sign_in(review):
    at = open_direct(PAGE)
    assert at.warning[0].value == "请先以居委会工作人员身份登录。"
    assert not at.dataframe


@pytest.mark.slow  # the real ThemeModel and the jieba dictionary
def test_run_analysis_from_the_page_keeps_a_curated_theme(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer, timeout=120)
    tid = world.themes["外来车辆"]
    by_label(at.selectbox, "主题").set_value(tid).run()
    at.button(key="FormSubmitter:themes.priority-标为重点").click().run()
    at.button(key="themes.run").click().run()
    assert not at.exception
    assert at.success[0].value == "分析完成：11 条意见。"
    assert _theme(engine, tid).active and _theme(engine, tid).priority  # curated: kept by the re-run
    assert "★ 外来车辆" in list(at.dataframe[0].value["主题"])


def test_committee_edits_and_reviews_a_summary(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    tid = world.themes["电动车充电"]
    by_label(at.selectbox, "主题").set_value(tid).run()
    assert any("机器草稿，未审核：居民看不到" in m.value for m in at.markdown)
    box = next(t for t in at.text_area if t.key.startswith(f"themes.summary.text.{tid}."))
    box.input("居民希望在车棚装充电桩，解决电动车飞线充电的安全隐患；也有人嫌收费太贵。如有疑问请打 13912345678。")
    at.button(key=f"FormSubmitter:themes.summary.{tid}-保存并标为已审核").click().run()
    assert "主题摘要会公开给所有人，其中含有手机号" in at.error[0].value  # refused, text kept
    assert _theme(engine, tid).summary_reviewed_at is None
    box = next(t for t in at.text_area if t.key.startswith(f"themes.summary.text.{tid}."))
    box.input("居民希望在车棚装充电桩，解决电动车飞线充电的安全隐患；也有人嫌收费太贵。")
    at.button(key=f"FormSubmitter:themes.summary.{tid}-保存并标为已审核").click().run()
    assert not at.exception
    assert at.success[0].value == "“电动车充电”的摘要已审核，发布后居民可以看到。"
    theme = _theme(engine, tid)
    assert theme.summary.startswith("居民希望在车棚装充电桩") and theme.summary_reviewed_at is not None
    assert theme.curated
    assert any("已审核，发布后居民可见" in m.value for m in at.markdown)


def _queue_item(at):
    """(opinion id, proposed label) of the 确认归类 card."""
    oid = next(int(k.split(".")[-1]) for k in (b.key for b in at.button) if k and k.startswith("confirm.yes."))
    return oid, at.button(key=f"confirm.yes.{oid}").label


def test_name_a_theme_then_confirm_opinions_one_at_a_time(review):
    engine, world = review
    at = open_page(PAGE, actor=world.reviewer)
    assert "请先命名一个主题" in " ".join(c.value for c in at.caption)
    at.text_input(key="confirm.name.label").input("门禁管理")
    at.text_input(key="confirm.name.words").input("门卫、外来车辆")
    at.button(key="FormSubmitter:confirm.name-保存主题").click().run()
    assert not at.exception
    assert at.success[0].value == "已新建主题“门禁管理”，可以开始确认归类。"
    with Session(engine) as s:
        gate = s.exec(select(Theme).where(Theme.label == "门禁管理")).one()
    first, label = _queue_item(at)
    assert label == "属于「门禁管理」"
    at.button(key=f"confirm.yes.{first}").click().run()
    assert at.success[0].value == f"已记录：意见 #{first} 属于「门禁管理」。"
    second, _ = _queue_item(at)
    assert second != first  # the answered opinion left the queue
    at.button(key=f"confirm.no.{second}").click().run()
    third, _ = _queue_item(at)
    at.button(key=f"confirm.skip.{third}").click().run()
    assert _queue_item(at)[0] not in (first, second, third)
    with Session(engine) as s:
        assert s.exec(select(ThemeAssignment).where(ThemeAssignment.opinion_id == first)).one().theme_id == gate.id
        assert s.exec(select(ThemeRejection).where(ThemeRejection.opinion_id == second)).one().theme_id == gate.id
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "theme.confirm")).all()) == 2


def test_groups_say_what_each_group_agrees_or_disagrees_with_and_how_sure(review):
    engine, world = review
    with Session(engine) as s:
        run = s.exec(select(AnalysisRun)).one()
        summary = dict(run.summary)
        summary["groups"] = [
            {"id": 0, "size": 5, "representative": [
                {"opinion_id": world.opinions["外来车辆"][1], "agree_share": 0.9, "repness": 2.0,
                 "direction": "agree", "share": 0.9, "confidence": 0.95},
                {"opinion_id": world.opinions["车位不足"][2], "agree_share": 0.1, "repness": 1.2,
                 "direction": "disagree", "share": 0.86, "confidence": 0.9}]},
            {"id": 1, "size": 3, "representative": []}]
        summary["group_note"] = "分组较弱，不宜理解为对立的几派：居民的看法大多是连续过渡的，分组只是为了便于归纳各类看法。"
        run.summary = summary
        s.add(run)
        s.commit()
        agreed = s.get(Opinion, world.opinions["外来车辆"][1]).text_public
        opposed = s.get(Opinion, world.opinions["车位不足"][2]).text_public
    at = open_page(PAGE, actor=world.reviewer)
    assert not at.exception
    texts = [t.value for t in at.text]
    assert f"这一组特别认同：“{agreed}”" in texts
    assert f"这一组特别反对：“{opposed}”" in texts
    assert f"这一组特别认同：“{opposed}”" not in texts  # a rejected statement is not shown as agreed
    captions = [c.value for c in at.caption]
    assert "本组 90% 同意" in captions and "本组 86% 不同意" in captions
    assert "这一组没有与其他组明显不同的看法。" in captions  # group 2: nothing significant
    assert at.info[0].value.startswith("分组较弱")


def test_a_consultation_never_analysed_says_so_once(review):
    engine, world = review
    from tests.factories import consultation_with_opinions

    cid = consultation_with_opinions(engine, ["小区门口的快递柜太少，每天都排长队", "希望增加快递柜，放在三号楼旁边"],
                                     title="快递柜增设", question="快递柜放哪里？", area_name="3号楼",
                                     reuse_community=True)
    at = open_page(PAGE, actor=world.reviewer, query={"id": str(cid)})
    assert not at.exception
    shown = [m.value for m in at.markdown] + [w.value for w in at.warning] + [c.value for c in at.caption]
    assert sum("还没有分析过" in t for t in shown) == 1
    assert not any("上次分析后新收到的" in t for t in shown)
    assert any("共有 2 条意见等待分析" in t for t in shown)
