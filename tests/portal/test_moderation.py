import pytest
from sqlmodel import col, select

from portal.models import AuditEvent, Comment, Opinion, Report, ReportTarget, Theme, Visibility
from portal.services.audit import verify_chain
from portal.services.errors import InvalidInput, PermissionDenied
from portal.services.participation import moderation
from tests.portal.review_world import World, build_world


@pytest.fixture
def world(session) -> World:
    return build_world(session)



def _events(session, action):
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))))


@pytest.mark.parametrize(("text", "flags"), [
    ("物业都是吃干饭的废物，收钱不办事", ["abusive"]),
    ("门卫就是个摆设，脑 子 有 问 题吧", ["abusive"]),  # spaces between characters do not hide it
    ("ＳＢ物业", ["abusive"]),  # full-width letters
    ("有事请打我电话13912345678", ["pii"]),
    ("那些飞线的人自己找死，我住3号楼2单元502室", ["abusive", "pii"]),
    ("垃圾分类督导员早上七点就到岗了，辛苦了", []),  # 垃圾 in 垃圾分类 is not abuse
    ("楼道的USB充电口坏了，希望修一下", []),  # "sb" inside a word is not abuse
    ("希望在2号楼旁边加装电梯，费用按楼层分摊", []),
])
def test_auto_flags(text, flags):
    assert moderation.auto_flags(text) == flags


def _report(session, world: World, target_type, target_id, reason, resident=0):
    session.add(Report(target_type=target_type, target_id=target_id, consultation_id=world.consultation_id,
                       resident_id=world.residents[resident], reason=reason))


def test_queue_holds_reports_flags_and_floods(session, world: World):
    parking = world.opinions["车位不足"][0]
    _report(session, world, ReportTarget.OPINION, parking, "与主题无关")
    _report(session, world, ReportTarget.OPINION, parking, "与主题无关", resident=1)
    abusive = session.get(Opinion, world.opinions["外来车辆"][0])
    abusive.flags = ["abusive"]
    session.add(abusive)
    session.add(Comment(opinion_id=parking, resident_id=world.residents[2], text_original="说这话的人脑残吧",
                        text_public="说这话的人脑残吧"))
    session.commit()
    queue = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    by_key = {item.key: item for item in queue}
    assert queue[0].key == f"opinion:{parking}"  # most reported first
    assert by_key[f"opinion:{parking}"].reasons == ["居民举报 2 次：与主题无关（2）"]
    assert by_key[f"opinion:{abusive.id}"].reasons == ["疑似不文明用语"]
    comment = next(i for i in queue if i.kind == "comment")
    assert comment.reasons == ["疑似不文明用语"] and comment.kind_label == "留言"
    flood = next(i for i in queue if i.kind == "flood")
    assert flood.member_ids == [world.opinions["电动车充电"][i] for i in (0, 3, 4)]
    assert flood.reasons[0].startswith("3 条几乎相同的意见，来自 3 位居民")


def test_hide_resolves_reports_updates_stats_and_is_audited(session, world: World):
    oid = world.opinions["车位不足"][0]
    _report(session, world, ReportTarget.OPINION, oid, "与主题无关")
    session.commit()
    moderation.hide(session, actor=world.reviewer, target_type="opinion", target_id=oid, reason="与本议题无关的广告")
    session.commit()
    op = session.get(Opinion, oid)
    assert op.visibility == Visibility.HIDDEN and op.moderation_reason == "与本议题无关的广告"
    report = session.exec(select(Report)).one()
    assert report.resolved_at is not None and report.resolution == "已隐藏：与本议题无关的广告"
    assert report.resolved_by == world.reviewer.user_id
    assert session.get(Theme, world.themes["车位不足"]).size == 2  # hidden opinions leave the theme count
    [event] = _events(session, "opinion.hide")
    assert event.detail == {"reason": "与本议题无关的广告", "reports_resolved": 1}
    queue = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert f"opinion:{oid}" not in {i.key for i in queue}
    hidden = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id,
                                         hidden=True)
    assert [i.key for i in hidden] == [f"opinion:{oid}"]


def test_restore_brings_it_back(session, world: World):
    oid = world.opinions["车位不足"][0]
    moderation.hide(session, actor=world.reviewer, target_type="opinion", target_id=oid, reason="误以为是广告")
    moderation.restore(session, actor=world.admin, target_type="opinion", target_id=oid, reason="复核后确认是正常意见")
    session.commit()
    op = session.get(Opinion, oid)
    assert op.visibility == Visibility.VISIBLE and op.moderation_reason == ""
    assert session.get(Theme, world.themes["车位不足"]).size == 3
    [event] = _events(session, "opinion.restore")
    assert event.detail["hidden_reason"] == "误以为是广告"
    with pytest.raises(InvalidInput, match="没有被隐藏"):
        moderation.restore(session, actor=world.admin, target_type="opinion", target_id=oid, reason="再恢复一次")


def test_hide_needs_a_reason_and_nothing_changes_without_one(session, world: World):
    oid = world.opinions["车位不足"][0]
    with pytest.raises(InvalidInput, match="请填写隐藏的理由"):
        moderation.hide(session, actor=world.reviewer, target_type="opinion", target_id=oid, reason=" ")
    assert session.get(Opinion, oid).visibility == Visibility.VISIBLE
    assert _events(session, "opinion.hide") == []


def test_hide_a_comment(session, world: World):
    comment = Comment(opinion_id=world.opinions["车位不足"][0], resident_id=world.residents[1],
                      text_original="你家车天天占消防通道，车牌沪A12345", text_public="你家车天天占消防通道，车牌[车牌号]")
    session.add(comment)
    session.commit()
    moderation.hide(session, actor=world.reviewer, target_type="comment", target_id=comment.id, reason="针对个人的指责")
    session.commit()
    assert session.get(Comment, comment.id).visibility == Visibility.HIDDEN
    assert _events(session, "comment.hide")[0].target_id == str(comment.id)


def test_keep_clears_flag_from_queue(session, world: World):
    op = session.get(Opinion, world.opinions["外来车辆"][0])
    op.flags = ["pii"]
    session.add(op)
    _report(session, world, ReportTarget.OPINION, op.id, "泄露他人个人信息")
    session.commit()
    n = moderation.keep(session, actor=world.reviewer, target_type="opinion", target_id=op.id,
                        note="手机号已自动遮挡，内容正常")
    session.commit()
    assert n == 1
    queue = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert f"opinion:{op.id}" not in {i.key for i in queue}
    assert session.exec(select(Report)).one().resolution == "保留：手机号已自动遮挡，内容正常"
    # a new report brings it back
    _report(session, world, ReportTarget.OPINION, op.id, "辱骂工作人员", resident=3)
    session.commit()
    queue = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert next(i for i in queue if i.key == f"opinion:{op.id}").reasons == ["居民举报 1 次：辱骂工作人员"]


def test_flood_hides_copies_but_keeps_the_first(session, world: World):
    group = [world.opinions["电动车充电"][i] for i in (0, 3, 4)]
    hidden = moderation.handle_flood(session, actor=world.reviewer, consultation_id=world.consultation_id,
                                     opinion_ids=group, hide_copies=True, reason="同一内容重复提交，只保留一条")
    session.commit()
    assert hidden == 2
    assert [session.get(Opinion, i).visibility for i in group] == [Visibility.VISIBLE, Visibility.HIDDEN,
                                                                   Visibility.HIDDEN]
    assert session.get(Theme, world.themes["电动车充电"]).size == 3
    queue = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert not any(i.kind == "flood" for i in queue)
    assert _events(session, "moderation.flood_hide")[0].detail["hidden"] == 2
    assert verify_chain(session).ok


def test_flood_can_be_kept(session, world: World):
    group = [world.opinions["电动车充电"][i] for i in (0, 3, 4)]
    moderation.handle_flood(session, actor=world.reviewer, consultation_id=world.consultation_id,
                            opinion_ids=group, hide_copies=False)
    session.commit()
    queue = moderation.moderation_queue(session, actor=world.reviewer, consultation_id=world.consultation_id)
    assert not any(i.kind == "flood" for i in queue)
    assert all(session.get(Opinion, i).visibility == Visibility.VISIBLE for i in group)


@pytest.mark.parametrize("who", ["clerk", "nobody"])
def test_only_reviewers_and_admins_moderate(session, world: World, who):
    actor = world.clerk if who == "clerk" else None
    oid = world.opinions["车位不足"][0]
    with pytest.raises(PermissionDenied, match="审核内容"):
        moderation.moderation_queue(session, actor=actor, consultation_id=world.consultation_id)
    with pytest.raises(PermissionDenied):
        moderation.hide(session, actor=actor, target_type="opinion", target_id=oid, reason="测试隐藏")
    with pytest.raises(PermissionDenied):
        moderation.keep(session, actor=actor, target_type="opinion", target_id=oid)
    moderation.hide(session, actor=world.admin, target_type="opinion", target_id=oid, reason="管理员也可以隐藏")


def test_abusive_opinion_from_a_resident_lands_in_the_queue(session):
    from portal.services.participation import submit_opinion
    from tests.neighbourhood import build_neighbourhood

    hood = build_neighbourhood(session)
    me = hood.actor(session, 0)
    result = submit_opinion(session, actor=me, consultation_id=hood.collecting.id,
                            text="物业都是吃干饭的废物，充电桩坏了半年没人修，电话13912345678")
    assert result.opinion.flags == ["abusive", "pii"]
    from portal.models import CommitteeUser, Role
    from portal.services.actors import CommitteeActor

    user = CommitteeUser(username="mod-reviewer", role=Role.REVIEWER, password_hash="x",
                         community_id=hood.community.id)
    session.add(user)
    session.commit()
    reviewer = CommitteeActor(user.id, user.username, "李委员", Role.REVIEWER, community_id=hood.community.id)
    queue = moderation.moderation_queue(session, actor=reviewer, consultation_id=hood.collecting.id)
    item = next(i for i in queue if i.target_id == result.opinion.id)
    assert item.reasons == ["疑似不文明用语", "含个人信息"]
    assert "[手机号]" in item.text_public and "13912345678" in item.text_original
