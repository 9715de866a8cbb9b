from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from portal.models import (
    AssignmentSource,
    AuditEvent,
    Consultation,
    Decision,
    Phase,
    Response,
    StatusUpdate,
    Theme,
    ThemeAssignment,
    ThemeStatus,
)
from portal.services import review
from portal.services.audit import verify_chain
from portal.services.errors import InvalidInput, NotFound, PermissionDenied, PhaseClosed
from tests.portal.review_world import World, build_world


@pytest.fixture
def world(session) -> World:
    return build_world(session)


NEXT_MONTH = date.today() + timedelta(days=30)


def _last_event(session) -> AuditEvent:
    return session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()


def _assignments(session, theme_id):
    return list(session.exec(select(ThemeAssignment).where(ThemeAssignment.theme_id == theme_id)))


# ---------------------------------------------------------------- reading


def test_overview_shows_figures_duplicates_and_opinion_groups(session, world: World):
    ov = review.theme_overview(session, actor=world.clerk, consultation_id=world.consultation_id)
    labels = [row.theme.label for row in ov.themes]
    assert labels[-1] == "其他"  # 其他 always last
    charging = next(r.theme for r in ov.themes if r.theme.label == "电动车充电")
    assert (charging.size, charging.n_distinct, charging.support, charging.opposition) == (5, 3, 5, 1)
    assert ov.duplicates_caption == "11 条意见，9 条不重复"
    assert ov.duplicate_groups[0].caption.startswith("3 条意见，1 条不重复")
    assert [g.number for g in ov.opinion_groups] == [1, 2]
    assert ov.opinion_groups[0].representative[0][0] == "建议外来车辆收临时停车费，业主车辆优先"
    assert len(ov.group_points) == 6 and {p["分组"] for p in ov.group_points} == {"第 1 组", "第 2 组"}
    assert ov.consensus == ["楼道里飞线给电动车充电太危险了，去年隔壁小区就着过火"]
    assert ov.n_unassigned == 0
    assert ov.representatives[charging.id][0].startswith("楼道里飞线")


def test_theme_detail_lists_every_opinion_with_votes(session, world: World):
    detail = review.theme_detail(session, actor=world.reviewer, theme_id=world.themes["电动车充电"])
    assert len(detail.opinions) == 5
    votes = {line.opinion.text_public: (line.agree, line.disagree) for line in detail.opinions}
    assert votes["希望多装几个充电桩，价格要合理，不然大家还是会飞线"] == (5, 0)
    assert votes["充电桩一小时收两块钱太贵了，老人都舍不得用"] == (0, 1)


def test_reading_needs_a_committee_account(session, world: World):
    with pytest.raises(PermissionDenied):
        review.theme_overview(session, actor=None, consultation_id=world.consultation_id)


# ---------------------------------------------------------------- curation


def test_rename_marks_theme_curated_and_its_assignments_committee(session, world: World):
    tid = world.themes["车位不足"]
    review.rename_theme(session, actor=world.reviewer, theme_id=tid, label="车位不足与分配")
    session.commit()
    theme = session.get(Theme, tid)
    assert theme.label == "车位不足与分配" and theme.curated
    assert {a.source for a in _assignments(session, tid)} == {AssignmentSource.COMMITTEE}
    event = _last_event(session)
    assert (event.action, event.actor, event.detail["from"], event.detail["to"]) == (
        "theme.rename", f"committee:{world.reviewer.user_id}", "车位不足", "车位不足与分配")


def test_rename_refuses_duplicate_or_empty_labels(session, world: World):
    with pytest.raises(InvalidInput, match="已经有一个叫“外来车辆”的主题"):
        review.rename_theme(session, actor=world.reviewer, theme_id=world.themes["车位不足"], label="外来车辆")
    with pytest.raises(InvalidInput, match="2 到 30 个字"):
        review.rename_theme(session, actor=world.reviewer, theme_id=world.themes["车位不足"], label=" 车 ")


def test_merge_moves_every_opinion_and_retires_the_others(session, world: World):
    a, b = world.themes["车位不足"], world.themes["外来车辆"]
    merged = review.merge_themes(session, actor=world.reviewer, theme_ids=[a, b], into_id=a, label="停车位与外来车辆")
    session.commit()
    assert merged.label == "停车位与外来车辆" and merged.curated and merged.size == 5
    gone = session.get(Theme, b)
    assert not gone.active and gone.merged_into_id == a
    assert len(_assignments(session, a)) == 5 and _assignments(session, b) == []
    assert {x.source for x in _assignments(session, a)} == {AssignmentSource.COMMITTEE}
    event = _last_event(session)
    assert event.action == "theme.merge" and event.detail["merged"] == [b] and event.detail["opinions_moved"] == 2
    labels = [r.theme.label for r in review.theme_overview(session, actor=world.reviewer,
                                                           consultation_id=world.consultation_id).themes]
    assert "外来车辆" not in labels


def test_merge_three_themes_at_once(session, world: World):
    ids = [world.themes["车位不足"], world.themes["外来车辆"], world.themes["电动车充电"]]
    merged = review.merge_themes(session, actor=world.reviewer, theme_ids=ids, into_id=ids[2])
    assert merged.size == 10 and merged.label == "电动车充电"


def test_merge_needs_two_themes_and_keeps_answers(session, world: World):
    a, b = world.themes["车位不足"], world.themes["外来车辆"]
    with pytest.raises(InvalidInput, match="至少选择两个主题"):
        review.merge_themes(session, actor=world.reviewer, theme_ids=[a], into_id=a)
    review.save_response(session, actor=world.reviewer, theme_id=b, decision=Decision.ADOPT,
                         reasoning="外来车辆收费方案已经和物业商量好了", responsible_party="物业公司", due_date=NEXT_MONTH)
    with pytest.raises(InvalidInput, match="“外来车辆”已经有回应"):
        review.merge_themes(session, actor=world.reviewer, theme_ids=[a, b], into_id=a)
    merged = review.merge_themes(session, actor=world.reviewer, theme_ids=[a, b], into_id=b)  # answered one as target
    assert merged.id == b and merged.size == 5


def test_split_creates_a_curated_theme_from_picked_opinions(session, world: World):
    tid = world.themes["电动车充电"]
    price = [world.opinions["电动车充电"][1], world.opinions["电动车充电"][2]]
    new = review.split_theme(session, actor=world.reviewer, theme_id=tid, opinion_ids=price, label="充电桩收费")
    session.commit()
    assert new.curated and new.size == 2 and new.support == 5
    source = session.get(Theme, tid)
    assert source.curated and source.size == 3
    assert {a.opinion_id for a in _assignments(session, new.id)} == set(price)
    assert _last_event(session).action == "theme.split"


def test_split_refuses_foreign_or_all_opinions(session, world: World):
    tid = world.themes["外来车辆"]
    with pytest.raises(InvalidInput, match="只能拆出本主题里的意见"):
        review.split_theme(session, actor=world.reviewer, theme_id=tid,
                           opinion_ids=[world.opinions["车位不足"][0]], label="新主题")
    with pytest.raises(InvalidInput, match="不能把全部意见都拆出去"):
        review.split_theme(session, actor=world.reviewer, theme_id=tid, opinion_ids=world.opinions["外来车辆"],
                           label="新主题")


def test_move_opinions_between_themes(session, world: World):
    other = world.opinions["其他"][0]
    target = world.themes["车位不足"]
    review.move_opinions(session, actor=world.reviewer, opinion_ids=[other], to_theme_id=target)
    session.commit()
    assert session.get(Theme, target).size == 4 and session.get(Theme, world.themes["其他"]).size == 0
    assert session.get(Theme, world.themes["其他"]).curated  # the source was touched too
    event = _last_event(session)
    assert event.action == "theme.move" and event.detail["from_themes"] == [world.themes["其他"]]


def test_move_refuses_opinions_of_another_consultation(session, world: World):
    other_world = build_world(session, community="银杏苑社区")
    with pytest.raises(NotFound):
        review.move_opinions(session, actor=world.reviewer, opinion_ids=[other_world.opinions["其他"][0]],
                             to_theme_id=world.themes["车位不足"])


def test_priority_is_a_curation(session, world: World):
    tid = world.themes["外来车辆"]
    review.set_priority(session, actor=world.reviewer, theme_id=tid, priority=True)
    session.commit()
    theme = session.get(Theme, tid)
    assert theme.priority and theme.curated
    ov = review.theme_overview(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert ov.themes[0].theme.id == tid  # priority themes come first


@pytest.mark.parametrize("edit", ["rename", "merge", "split", "move", "priority"])
def test_clerk_may_not_curate(session, world: World, edit):
    t = world.themes
    calls = {
        "rename": lambda a: review.rename_theme(session, actor=a, theme_id=t["车位不足"], label="停车"),
        "merge": lambda a: review.merge_themes(session, actor=a, theme_ids=[t["车位不足"], t["外来车辆"]],
                                               into_id=t["车位不足"]),
        "split": lambda a: review.split_theme(session, actor=a, theme_id=t["电动车充电"],
                                              opinion_ids=world.opinions["电动车充电"][:1], label="飞线"),
        "move": lambda a: review.move_opinions(session, actor=a, opinion_ids=world.opinions["其他"],
                                               to_theme_id=t["车位不足"]),
        "priority": lambda a: review.set_priority(session, actor=a, theme_id=t["车位不足"], priority=True),
    }
    with pytest.raises(PermissionDenied, match="整理主题"):
        calls[edit](world.clerk)
    calls[edit](world.admin)  # admin may


def test_no_curation_after_publishing(session, world: World):
    c = session.get(Consultation, world.consultation_id)
    c.phase = Phase.PUBLISHED
    session.add(c)
    session.commit()
    with pytest.raises(PhaseClosed, match="结果公示"):
        review.rename_theme(session, actor=world.reviewer, theme_id=world.themes["车位不足"], label="停车位")


# ---------------------------------------------------------------- answers


def test_answer_starts_the_timeline_and_updates_keep_status_in_sync(session, world: World):
    tid = world.themes["电动车充电"]
    review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.ADOPT,
                         reasoning="在3号楼和5号楼之间新建集中充电棚，安装20个充电口",
                         responsible_party="居委会、物业公司", due_date=NEXT_MONTH)
    session.commit()
    assert session.get(Theme, tid).status == ThemeStatus.ANSWERED
    review.add_status_update(session, actor=world.reviewer, theme_id=tid, status=ThemeStatus.IN_PROGRESS,
                             note="充电棚已开工，预计两周完成")
    review.add_status_update(session, actor=world.admin, theme_id=tid, status="done", note="充电棚已投入使用")
    session.commit()
    timeline = review.theme_detail(session, actor=world.reviewer, theme_id=tid).updates
    assert [u.status for u in timeline] == [ThemeStatus.ANSWERED, ThemeStatus.IN_PROGRESS, ThemeStatus.DONE]
    assert session.get(Theme, tid).status == ThemeStatus.DONE
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
    assert actions[-3:] == ["theme.answer", "theme.status", "theme.status"]


def test_editing_an_answer_keeps_one_response(session, world: World):
    tid = world.themes["外来车辆"]
    review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.REFER,
                         reasoning="门禁改造需要街道统一安排，已转交街道办", responsible_party="街道城管科")
    assert session.get(Theme, tid).status == ThemeStatus.REFERRED
    review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.PARTIAL,
                         reasoning="先由物业加强门卫登记，门禁改造另行申请", responsible_party="物业公司",
                         due_date=NEXT_MONTH)
    session.commit()
    responses = list(session.exec(select(Response).where(Response.theme_id == tid)))
    assert len(responses) == 1 and responses[0].decision == Decision.PARTIAL
    assert session.get(Theme, tid).status == ThemeStatus.ANSWERED
    assert _last_event(session).action == "theme.answer_edit"
    assert len(list(session.exec(select(StatusUpdate).where(StatusUpdate.theme_id == tid)))) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"reasoning": "同意"}, "至少 10 个字"),
    ({"responsible_party": " "}, "责任单位"),
    ({"due_date": None}, "“采纳”需要填写计划完成日期"),
    ({"due_date": date.today() - timedelta(days=3)}, "不能早于今天"),
    ({"decision": "maybe"}, "回应结论"),
])
def test_answer_rules(session, world: World, kwargs, message):
    args = {"decision": Decision.ADOPT, "reasoning": "物业会在下个月增加三十个临时车位",
            "responsible_party": "物业公司", "due_date": NEXT_MONTH, **kwargs}
    with pytest.raises(InvalidInput, match=message):
        review.save_response(session, actor=world.reviewer, theme_id=world.themes["车位不足"], **args)
    assert session.exec(select(Response)).first() is None


def test_status_update_needs_an_answer_first(session, world: World):
    with pytest.raises(InvalidInput, match="请先回应这个主题"):
        review.add_status_update(session, actor=world.reviewer, theme_id=world.themes["车位不足"],
                                 status=ThemeStatus.IN_PROGRESS, note="正在和物业商量")


def test_clerk_may_not_answer(session, world: World):
    with pytest.raises(PermissionDenied, match="回应主题"):
        review.save_response(session, actor=world.clerk, theme_id=world.themes["车位不足"], decision=Decision.DECLINE,
                             reasoning="小区没有空地可以再建车位了", responsible_party="居委会")


# ---------------------------------------------------------------- publishing


def _answer_all(session, world: World, skip=()):
    for label, tid in world.themes.items():
        if label in skip or label == "其他":
            continue
        review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.DECLINE,
                             reasoning=f"关于{label}，本次暂不具备条件，明年再议", responsible_party="居委会")


def test_publishing_with_unanswered_themes_needs_confirmation(session, world: World):
    _answer_all(session, world, skip=("外来车辆",))
    check = review.publish_check(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert [t.label for t in check.unanswered] == ["外来车辆"] and not check.ready
    with pytest.raises(InvalidInput, match="还有主题没有回应：“外来车辆”"):
        review.publish_results(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert session.get(Consultation, world.consultation_id).phase == Phase.REVIEWING
    review.publish_results(session, actor=world.reviewer, consultation_id=world.consultation_id,
                           confirm_unanswered=True, confirm_unreviewed=True)
    session.commit()
    assert session.get(Consultation, world.consultation_id).phase == Phase.PUBLISHED
    event = _last_event(session)
    assert event.action == "consultation.publish" and event.detail["unanswered"] == ["外来车辆"]


def test_reviewer_publishes_when_every_theme_is_answered(session, world: World):
    _answer_all(session, world)
    for label, tid in world.themes.items():  # and every summary reviewed (see test_theme_summaries)
        review.save_summary(session, actor=world.reviewer, theme_id=tid, text=f"居民关于{label}的意见摘要。",
                            reviewed=True)
    assert review.publish_check(session, actor=world.reviewer, consultation_id=world.consultation_id).ready
    c = review.publish_results(session, actor=world.reviewer, consultation_id=world.consultation_id)
    session.commit()
    assert c.phase == Phase.PUBLISHED and c.published_at is not None
    assert verify_chain(session).ok


def test_clerk_may_not_publish(session, world: World):
    _answer_all(session, world)
    with pytest.raises(PermissionDenied, match="发布结果"):
        review.publish_results(session, actor=world.clerk, consultation_id=world.consultation_id)


def test_no_publishing_without_themes(session):
    w = build_world(session)
    for theme in session.exec(select(Theme)):
        theme.active = False
        session.add(theme)
    session.commit()
    with pytest.raises(InvalidInput, match="还没有分析出主题"):
        review.publish_results(session, actor=w.reviewer, consultation_id=w.consultation_id)


# ---------------------------------------------------------------- word cloud


@pytest.mark.slow  # loads the jieba dictionary (~10 s on a cold cache)
def test_word_cloud_is_cached_and_changes_with_the_theme(session, world: World, settings, monkeypatch):
    import importlib.util

    import analysis

    calls = []
    if importlib.util.find_spec("analysis.cloud") is None:  # stand-in until the analysis branch lands
        from PIL import Image

        def word_cloud(frequencies, font_path=None):
            calls.append(dict(frequencies))
            return Image.new("RGB", (40, 20), "white")

        monkeypatch.setitem(vars(analysis), "word_cloud", word_cloud)
    cache = settings.var_dir / "clouds"  # where the service keeps its images
    tid = world.themes["电动车充电"]
    first = review.theme_cloud_png(session, theme_id=tid)
    assert first.startswith(b"\x89PNG")
    again = review.theme_cloud_png(session, theme_id=tid)
    assert again == first and len(list(cache.glob(f"theme-{tid}-*.png"))) == 1
    if calls:
        assert len(calls) == 1 and "充电桩" in calls[0] and "飞线" in calls[0]
    review.merge_themes(session, actor=world.reviewer, theme_ids=[tid, world.themes["车位不足"]], into_id=tid)
    review.theme_cloud_png(session, theme_id=tid)
    assert len(list(cache.glob(f"theme-{tid}-*.png"))) == 2  # new words, new image


def test_curate_answer_and_publish_on_postgresql(pg_engine):
    from sqlmodel import Session

    with Session(pg_engine, expire_on_commit=False) as session:
        w = build_world(session)
        a, b = w.themes["车位不足"], w.themes["外来车辆"]
        review.merge_themes(session, actor=w.reviewer, theme_ids=[a, b], into_id=a, label="停车与外来车辆")
        review.split_theme(session, actor=w.reviewer, theme_id=w.themes["电动车充电"],
                           opinion_ids=w.opinions["电动车充电"][1:3], label="充电桩收费")
        session.commit()
        for row in review.theme_overview(session, actor=w.reviewer, consultation_id=w.consultation_id).themes:
            if not row.theme.is_other:
                review.save_response(session, actor=w.reviewer, theme_id=row.theme.id, decision=Decision.DECLINE,
                                     reasoning="今年预算已用完，明年优先安排", responsible_party="居委会")
        review.publish_results(session, actor=w.reviewer, consultation_id=w.consultation_id,
                               confirm_unreviewed=True)  # summaries are not the subject here
        session.commit()
        assert session.get(Consultation, w.consultation_id).phase == Phase.PUBLISHED
        assert verify_chain(session).ok


def test_committee_text_that_goes_public_may_not_carry_personal_details(session, world: World):
    tid = world.themes["电动车充电"]
    with pytest.raises(InvalidInput, match="回应理由会公开给所有人，其中含有手机号"):
        review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.ADOPT,
                             reasoning="反映人王阿姨（13800138000）说得对，马上新建充电棚",
                             responsible_party="居委会", due_date=NEXT_MONTH)
    assert session.exec(select(Response).where(Response.theme_id == tid)).first() is None
    with pytest.raises(InvalidInput, match="主题名称会公开给所有人"):
        review.rename_theme(session, actor=world.reviewer, theme_id=tid, label="5号楼2单元301室飞线充电")
    review.save_response(session, actor=world.reviewer, theme_id=tid, decision=Decision.ADOPT,
                         reasoning="在3号楼和5号楼之间新建集中充电棚，安装20个充电口",
                         responsible_party="居委会", due_date=NEXT_MONTH)
    with pytest.raises(InvalidInput, match="进展说明会公开给所有人，其中含有车牌号"):
        review.add_status_update(session, actor=world.reviewer, theme_id=tid, status="in_progress",
                                 note="已通知车主沪A·12345挪车，施工队进场")
