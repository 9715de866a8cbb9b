"""The resident-side rules: opinions, votes, comments, reports and 我的参与."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from portal.models import Comment, Opinion, Phase, Report, ReportTarget, Vote, VoteValue
from portal.services.errors import InvalidInput, NotFound, PermissionDenied, PhaseClosed
from portal.services.participation import (
    add_comment,
    cast_vote,
    clean_text,
    list_opinions,
    my_participation,
    next_opinion_to_vote,
    opinion_thread,
    preview_opinion,
    report,
    submit_opinion,
    support_opinion,
)
from portal.settings import get_settings
from tests.neighbourhood import build_neighbourhood

GOOD = "建议在地下车库多装几个电动车充电桩，晚上排队充电的人太多了。"


@pytest.fixture
def hood(session):
    return build_neighbourhood(session)


@pytest.fixture
def me(session, hood):
    return hood.actor(session, 0)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# ---------------------------------------------------------------- giving an opinion


def test_opinion_with_phone_number_is_stored_redacted_for_the_public(session, hood, me):
    result = submit_opinion(session, actor=me, consultation_id=hood.collecting.id,
                            text="车位被占了可以打我电话13812345678，我住3号楼。", anonymous=True)
    assert result.created and result.redacted
    assert result.pii_labels == ["手机号"]
    op = session.get(Opinion, result.opinion.id)
    assert "13812345678" not in op.text_public and "[手机号]" in op.text_public
    assert "13812345678" in op.text_original  # the committee still sees what was written
    assert op.anonymous and op.resident_id == me.resident_id and op.area_id == me.area_id
    shown = list_opinions(session, consultation_id=hood.collecting.id, sort="new").items[0]
    assert shown.text == op.text_public and shown.author == "匿名居民"


@pytest.mark.parametrize(("text", "message"), [
    ("", "不能为空"),
    ("   \n\t 　 ", "不能为空"),
    ("😀😀😀👍👍👍🎉🎉🎉🎉🎉", "没有文字"),
    ("！！！？？？。。。……", "没有文字"),
    ("太吵了", "太短了：至少需要 10 个字，现在只有 3 个字"),
    ("停" * 1001, "太长了：最多 1000 个字，现在有 1001 个字"),
])
def test_bad_opinions_are_refused_with_a_clear_message_and_nothing_is_saved(session, hood, me, text, message):
    before = count(session, Opinion)
    with pytest.raises(InvalidInput, match=message):
        submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=text)
    with pytest.raises(InvalidInput, match=message):
        preview_opinion(session, actor=me, consultation_id=hood.collecting.id, text=text)
    assert count(session, Opinion) == before


def test_length_is_counted_after_trimming_and_limits_are_configurable(session, hood, me, monkeypatch):
    padded = "   " + "停" * 1000 + "   \n"
    assert submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=padded).created
    monkeypatch.setenv("PORTAL_OPINION_MIN_CHARS", "4")
    monkeypatch.setenv("PORTAL_OPINION_MAX_CHARS", "20")
    get_settings.cache_clear()
    assert submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text="路灯坏了").created
    with pytest.raises(InvalidInput, match="最多 20 个字"):
        submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=GOOD)


def test_html_and_script_are_kept_as_plain_text_and_control_characters_removed(session, hood, me):
    text = "<script>alert('x')</script><b>停车</b>\x00\x07问题\u200b必须解决，大家说是不是？"
    op = submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=text).opinion
    assert op.text_public == "<script>alert('x')</script><b>停车</b>问题必须解决，大家说是不是？"
    assert clean_text("  第一行\r\n\r\n\r\n\r\n第二行\t结束 ") == "第一行\n\n第二行 结束"


def test_repeated_submit_with_the_same_token_stores_one_opinion(session, hood, me):
    first = submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=GOOD,
                           client_token="draft-1")
    again = submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=GOOD,
                           client_token="draft-1")
    assert first.created and not again.created and again.opinion.id == first.opinion.id
    with pytest.raises(InvalidInput, match="完全相同"):
        submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=GOOD)
    assert session.exec(select(func.count()).select_from(Opinion)
                        .where(Opinion.resident_id == me.resident_id)).one() == 2  # + published one


def test_opinions_only_while_collecting_and_only_when_signed_in(session, hood, me):
    with pytest.raises(PhaseClosed, match="研判中阶段，已不再收集新意见"):
        submit_opinion(session, actor=me, consultation_id=hood.reviewing.id, text=GOOD)
    with pytest.raises(NotFound, match="找不到这个议题"):
        submit_opinion(session, actor=me, consultation_id=hood.draft.id, text=GOOD)
    with pytest.raises(PermissionDenied, match="请先用参与码登录"):
        submit_opinion(session, actor=None, consultation_id=hood.collecting.id, text=GOOD)


# ---------------------------------------------------------------- voting


def test_a_vote_can_be_changed_but_stays_one_row(session, hood, me):
    target = hood.opinions[0].id
    first = cast_vote(session, actor=me, opinion_id=target, value="disagree")
    second = cast_vote(session, actor=me, opinion_id=target, value=VoteValue.AGREE)
    assert first.previous is None and second.changed and second.previous == VoteValue.DISAGREE
    votes = session.exec(select(Vote).where(Vote.opinion_id == target)).all()
    assert [(v.resident_id, v.value) for v in votes] == [(me.resident_id, VoteValue.AGREE)]
    with pytest.raises(InvalidInput, match="同意"):
        cast_vote(session, actor=me, opinion_id=target, value="maybe")


def test_no_vote_on_own_or_hidden_opinions(session, hood):
    author = hood.actor(session, 1)
    with pytest.raises(InvalidInput, match="不能给自己投票"):
        cast_vote(session, actor=author, opinion_id=hood.opinions[0].id, value="agree")
    with pytest.raises(NotFound, match="已被隐藏"):
        cast_vote(session, actor=author, opinion_id=hood.hidden.id, value="agree")
    assert count(session, Vote) == 0


def test_no_votes_once_review_starts_unless_the_committee_allows_it(session, hood, me):
    target = hood.opinions[0].id
    cast_vote(session, actor=me, opinion_id=target, value="agree")
    hood.collecting.phase = Phase.REVIEWING
    session.add(hood.collecting)
    session.commit()
    with pytest.raises(PhaseClosed, match="投票已结束"):
        cast_vote(session, actor=me, opinion_id=target, value="disagree")
    hood.collecting.votes_during_review = True
    session.add(hood.collecting)
    session.commit()
    assert cast_vote(session, actor=me, opinion_id=target, value="disagree").changed


def test_support_instead_of_duplicate_is_an_agree_vote(session, hood, me):
    support_opinion(session, actor=me, opinion_id=hood.opinions[3].id)
    view = opinion_thread(session, opinion_id=hood.opinions[3].id, viewer=me).opinion
    assert view.agree == 1 and view.my_vote == VoteValue.AGREE


def test_queue_shows_fewest_votes_first_and_never_own_voted_or_hidden(session, hood, me):
    ops = hood.opinions
    # Neighbours already voted: opinion 0 three times, 1 twice, 2 once, 3 and 4 never.
    for voter, targets in ((5, [0, 1, 2]), (6, [0, 1]), (7, [0])):
        for t in targets:
            cast_vote(session, actor=hood.actor(session, voter), opinion_id=ops[t].id, value="agree")
    seen = []
    while (card := next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id)):
        assert card.remaining == 5 - len(seen) and card.voted == len(seen)
        seen.append(card.opinion_id)
        cast_vote(session, actor=me, opinion_id=card.opinion_id, value="pass")
    assert set(seen[:2]) == {ops[3].id, ops[4].id}
    assert seen[2:] == [ops[2].id, ops[1].id, ops[0].id]
    assert hood.hidden.id not in seen

    author = hood.actor(session, 1)  # wrote opinion 0: never sees it
    shown = set()
    while (card := next_opinion_to_vote(session, actor=author, consultation_id=hood.collecting.id)):
        shown.add(card.opinion_id)
        cast_vote(session, actor=author, opinion_id=card.opinion_id, value="agree")
    assert shown == {o.id for o in ops[1:]}


def test_queue_order_is_deterministic(session, hood, me):
    first = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id)
    again = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id)
    assert first == again


def test_the_card_on_screen_stays_while_neighbours_vote(session, hood, me):
    """A resident reading opinion A while neighbours pile votes onto it still gets A back (their
    click must count for what they read); once they voted on A, the queue moves on."""
    shown = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id)
    for voter in (5, 6, 7):
        cast_vote(session, actor=hood.actor(session, voter), opinion_id=shown.opinion_id, value="agree")
    unpinned = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id)
    assert unpinned.opinion_id != shown.opinion_id  # others are now ahead in the queue
    kept = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id, keep=shown.opinion_id)
    assert kept.opinion_id == shown.opinion_id and kept.n_votes == 3
    cast_vote(session, actor=me, opinion_id=shown.opinion_id, value="disagree")
    after = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id, keep=shown.opinion_id)
    assert after.opinion_id != shown.opinion_id
    # an opinion of another consultation or a hidden one is never "kept"
    hidden = next_opinion_to_vote(session, actor=me, consultation_id=hood.collecting.id, keep=hood.hidden.id)
    assert hidden.opinion_id != hood.hidden.id


def test_queue_is_closed_outside_voting_phases(session, hood, me):
    with pytest.raises(PhaseClosed):
        next_opinion_to_vote(session, actor=me, consultation_id=hood.published.id)


# ---------------------------------------------------------------- comments and reports


def test_comments_take_one_level_of_replies(session, hood, me):
    target = hood.opinions[1].id
    top = add_comment(session, actor=me, opinion_id=target, text="我也觉得外来车太多了。")
    reply = add_comment(session, actor=hood.actor(session, 2), opinion_id=target,
                        text="可以装道闸，业主刷卡进出。", parent_id=top.id)
    with pytest.raises(InvalidInput, match="只能回复一层"):
        add_comment(session, actor=me, opinion_id=target, text="道闸要花不少钱吧？", parent_id=reply.id)
    with pytest.raises(InvalidInput, match="不能为空"):
        add_comment(session, actor=me, opinion_id=target, text="  ")
    again = add_comment(session, actor=me, opinion_id=target, text="我也觉得外来车太多了。")
    assert again.id == top.id  # a double click does not post twice
    thread = opinion_thread(session, opinion_id=target, viewer=me)
    assert [(c.text, [r.text for r in c.replies]) for c in thread.comments] == [
        ("我也觉得外来车太多了。", ["可以装道闸，业主刷卡进出。"])]
    assert thread.comments[0].is_mine and thread.comments[0].author == "3号楼居民"


def test_hidden_comments_and_opinions_disappear_from_public_view(session, hood):
    thread = opinion_thread(session, opinion_id=hood.opinions[0].id)
    texts = [c.text for c in thread.comments] + [r.text for c in thread.comments for r in c.replies]
    assert "这条留言违规了" not in texts and len(texts) == 2
    listed = list_opinions(session, consultation_id=hood.collecting.id, limit=50)
    assert listed.total == 5 and hood.hidden.id not in [o.id for o in listed.items]
    assert next(o for o in listed.items if o.id == hood.opinions[0].id).n_comments == 2
    with pytest.raises(NotFound):
        opinion_thread(session, opinion_id=hood.hidden.id)


def test_comments_close_with_voting(session, hood, me):
    op = session.exec(select(Opinion).where(Opinion.consultation_id == hood.reviewing.id)).first()
    with pytest.raises(PhaseClosed, match="留言已关闭"):
        add_comment(session, actor=me, opinion_id=op.id, text="灯已经修好了吗？")


def test_report_goes_to_moderation_once(session, hood, me):
    first = report(session, actor=me, target_type="opinion", target_id=hood.opinions[2].id,
                   reason="广告或无关内容")
    again = report(session, actor=me, target_type=ReportTarget.OPINION, target_id=hood.opinions[2].id,
                   reason="广告或无关内容")
    assert not first.already and again.already and count(session, Report) == 1
    assert first.report.consultation_id == hood.collecting.id
    reply = session.exec(select(Comment).where(Comment.parent_id.is_not(None))).first()
    assert not report(session, actor=me, target_type="comment", target_id=reply.id, reason="泄露他人隐私").already
    with pytest.raises(InvalidInput, match="举报理由"):
        report(session, actor=me, target_type="opinion", target_id=hood.opinions[3].id, reason=" ")
    with pytest.raises(NotFound):
        report(session, actor=me, target_type="opinion", target_id=hood.hidden.id, reason="人身攻击")
    with pytest.raises(PermissionDenied):
        report(session, actor=None, target_type="opinion", target_id=hood.opinions[3].id, reason="人身攻击")


# ---------------------------------------------------------------- 我的参与


def test_my_participation_shows_theme_answer_and_timeline_once_published(session, hood, me):
    submit_opinion(session, actor=me, consultation_id=hood.collecting.id, text=GOOD)
    cast_vote(session, actor=me, opinion_id=hood.opinions[0].id, value="agree")
    report(session, actor=me, target_type="opinion", target_id=hood.opinions[2].id, reason="重复刷屏")
    mine = {c.title: c for c in my_participation(session, actor=me).consultations}
    assert "社区食堂" not in mine  # drafts are invisible

    published = mine["加装电梯"]
    (op,) = published.opinions
    assert op.theme_label == "费用分摊与低层住户" and op.theme_status_label == "处理中"
    assert op.answer.decision_label == "部分采纳" and op.answer.responsible_party == "居委会与物业"
    assert [t.status_label for t in op.timeline] == ["已回应", "处理中"]

    collecting = mine["停车难与非机动车充电"]
    assert collecting.can_vote and collecting.opinions[0].theme_label is None
    assert collecting.opinions[0].moderation_label == "公开"
    assert [(v.value_label, v.changeable) for v in collecting.votes] == [("同意", True)]
    assert collecting.reports[0].state_label == "待居委会处理"


def test_my_votes_are_not_changeable_once_voting_closes(session, hood, me):
    cast_vote(session, actor=me, opinion_id=hood.opinions[0].id, value="agree")
    hood.collecting.phase = Phase.REVIEWING
    session.add(hood.collecting)
    session.commit()
    (c,) = [c for c in my_participation(session, actor=me).consultations if c.title.startswith("停车")]
    assert [v.changeable for v in c.votes] == [False]


def test_my_hidden_opinion_shows_its_moderation_reason(session, hood):
    author = hood.actor(session, 6)
    (c,) = [c for c in my_participation(session, actor=author).consultations if c.opinions]
    assert c.opinions[0].hidden and c.opinions[0].moderation_reason == "含有人身攻击"


# ---------------------------------------------------------------- similar opinions


def test_preview_shows_redaction_and_similar_opinions(session, hood, me):
    pytest.importorskip("analysis.similarity", reason="analysis.SimilarOpinionIndex not merged yet")
    preview = preview_opinion(
        session, actor=me, consultation_id=hood.collecting.id,
        text="小区里应该增设电动自行车充电桩，从楼上拉电线充电太危险。我电话13912345678",
    )
    assert preview.pii_labels == ["手机号"] and "[手机号]" in preview.text_public
    assert preview.n_similar >= 1 and preview.similar[0].opinion_id == hood.opinions[0].id
    assert count(session, Opinion) == 8  # a preview stores nothing


# ---------------------------------------------------------------- concurrency


def _vote_storm(engine) -> None:
    """24 threads (three per resident) vote at once on the same opinions, each first 跳过 then
    同意; every thread's last write is 同意, so each opinion must end with exactly one 同意 per
    resident who did not write it: no duplicate row and no lost vote."""
    import random
    import threading

    from sqlmodel import Session

    from portal.db import unit_of_work

    with Session(engine, expire_on_commit=False) as s:
        hood = build_neighbourhood(s)
        actors = [hood.actor(s, i) for i in range(len(hood.residents))]
        authors = {o.id: o.resident_id for o in hood.opinions}
    opinion_ids = list(authors)
    threads_per_resident = 3
    barrier = threading.Barrier(len(actors) * threads_per_resident)
    errors: list[BaseException] = []

    def work(actor, seed: int) -> None:
        order = [oid for oid in opinion_ids if authors[oid] != actor.resident_id]
        random.Random(seed).shuffle(order)
        try:
            barrier.wait(timeout=30)
            for value in ("pass", "agree"):
                for oid in order:
                    unit_of_work(engine, lambda s, oid=oid, value=value: cast_vote(
                        s, actor=actor, opinion_id=oid, value=value))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a, i * 10 + k))
               for i, a in enumerate(actors) for k in range(threads_per_resident)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    with Session(engine) as s:
        rows = s.exec(select(Vote.opinion_id, Vote.resident_id, Vote.value)).all()
    assert len(rows) == len({(o, r) for o, r, _ in rows})  # no duplicate
    expected = {(oid, a.resident_id) for oid in opinion_ids for a in actors
                if authors[oid] != a.resident_id}
    assert {(o, r) for o, r, _ in rows} == expected  # no lost vote
    assert {v for _, _, v in rows} == {VoteValue.AGREE}
    for oid in opinion_ids:
        assert sum(1 for o, _, _ in rows if o == oid) == len(actors) - 1


def test_concurrent_votes_on_sqlite_keep_one_vote_per_resident(engine):
    _vote_storm(engine)


@pytest.mark.postgres
def test_concurrent_votes_on_postgresql_keep_one_vote_per_resident(pg_engine):
    _vote_storm(pg_engine)


@pytest.mark.postgres
def test_the_whole_resident_flow_runs_on_postgresql(pg_engine):
    from sqlmodel import Session

    with Session(pg_engine, expire_on_commit=False) as s:
        hood = build_neighbourhood(s)
        me = hood.actor(s, 0)
        mine = submit_opinion(s, actor=me, consultation_id=hood.collecting.id, text=GOOD,
                              client_token="pg-1").opinion
        seen = []
        while (card := next_opinion_to_vote(s, actor=me, consultation_id=hood.collecting.id)):
            seen.append(card.opinion_id)
            cast_vote(s, actor=me, opinion_id=card.opinion_id, value="agree")
        assert sorted(seen) == sorted(o.id for o in hood.opinions)
        cm = add_comment(s, actor=hood.actor(s, 3), opinion_id=mine.id, text="赞成，地下车库确实该多装。")
        add_comment(s, actor=me, opinion_id=mine.id, text="谢谢支持！", parent_id=cm.id)
        assert not report(s, actor=me, target_type="comment", target_id=cm.id, reason="其他").already
        listed = list_opinions(s, consultation_id=hood.collecting.id, viewer=me, sort="hot", limit=3)
        assert listed.total == 6 and len(listed.items) == 3 and listed.items[0].agree == 1
        thread = opinion_thread(s, opinion_id=mine.id, viewer=me)
        assert [len(c.replies) for c in thread.comments] == [1]
        by_title = {c.title: c for c in my_participation(s, actor=me).consultations}
        assert by_title["加装电梯"].opinions[0].answer.decision_label == "部分采纳"
        assert len(by_title["停车难与非机动车充电"].votes) == 5
