"""Public consultation page: redacted opinions only, comments, and a resident's actions."""

import pytest
from sqlmodel import Session, select

from portal.models import Comment, Report, Vote
from tests.neighbourhood import neighbourhood_db, resident
from tests.pages.conftest import open_page
from tests.pages.public_support import unescape_md

PAGE = "app_pages/public/consultation.py"


@pytest.fixture
def hood_db(tmp_path, monkeypatch):
    yield from neighbourhood_db(tmp_path, monkeypatch)


def click(at, key):
    # vote buttons carry the opinion id in their key: vote.agree.<id>
    next(b for b in at.button if b.key == key or b.key.startswith(key + ".")).click().run()
    assert not at.exception


def texts(at):
    """Texts as a visitor reads them: plain texts, and each listed opinion's text (a Markdown
    block whose first line is the small grey who/when/counts, the text escaped below it)."""
    shown = [t.value for t in at.text]
    for m in at.markdown:
        head, _, body = m.value.partition("  \n")
        if head.startswith(":gray[:small[") and body:
            shown.append(unescape_md(body.replace("  \n", "\n")))
    return shown


def test_visitor_sees_public_opinions_counts_and_a_sign_in_link(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, query={"id": str(hood.collecting.id)})
    assert not at.exception
    assert at.title[0].value == "停车难与非机动车充电"
    assert any(m.value.startswith("**5** 条意见 · ") for m in at.markdown)  # five visible ones
    shown = texts(at)
    assert all(o.text_public in shown for o in hood.opinions)
    assert not any("骗子" in t for t in shown)  # hidden by the committee
    links = [p.proto.label for p in at.get("page_link")]
    assert any("登录后参与" in label for label in links)
    assert not any(b.key.startswith("consultation.vote") for b in at.button)


def test_draft_consultation_is_not_found(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, query={"id": str(hood.draft.id)})
    assert [e.value for e in at.error] == ["找不到这个议题。"]


def test_opinion_thread_shows_replies_but_not_hidden_comments(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, query={"id": str(hood.collecting.id), "opinion": str(hood.opinions[0].id)})
    assert not at.exception
    shown = texts(at)
    assert "同意，我们楼也有人飞线充电。" in shown and "充电桩最好带计费和断电保护。" in shown
    assert "这条留言违规了" not in shown


def test_resident_votes_comments_replies_and_reports(hood_db):
    engine, hood = hood_db
    me = resident(engine, hood)
    target = hood.opinions[1]
    at = open_page(PAGE, actor=me, query={"id": str(hood.collecting.id), "opinion": str(target.id)})
    assert not at.exception
    click(at, "consultation.vote.agree")
    assert any("已记录您的态度：同意" in s.value for s in at.success)

    at.text_area(key="consultation.comment_text").input("  ")
    next(b for b in at.button if "发表留言" in b.label).click().run()
    assert any("不能为空" in e.value for e in at.error)
    at.text_area(key="consultation.comment_text").input("<b>外来车</b>确实太多，支持登记管理。")
    next(b for b in at.button if "发表留言" in b.label).click().run()
    assert any("留言已发表" in s.value for s in at.success)
    assert "<b>外来车</b>确实太多，支持登记管理。" in texts(at)
    assert at.text_area(key="consultation.comment_text").value == ""  # ready for the next one

    with Session(engine) as s:
        top = s.exec(select(Comment).where(Comment.opinion_id == target.id)).one()
    at.text_area(key=f"consultation.reply_text.{top.id}").input("我也同意，门口保安可以核对。")
    next(b for b in at.button if "发表回复" in b.label).click().run()
    assert "我也同意，门口保安可以核对。" in texts(at)

    at.selectbox(key="consultation.report_reason").select("广告或无关内容")
    next(b for b in at.button if "提交举报" in b.label).click().run()
    assert any("举报已提交" in s.value for s in at.success)
    with Session(engine) as s:
        assert s.exec(select(Vote).where(Vote.resident_id == me.resident_id)).one().value == "agree"
        assert s.exec(select(Comment).where(Comment.opinion_id == target.id)).all()[1].parent_id == top.id
        (rep,) = s.exec(select(Report)).all()
        assert (rep.target_type, rep.target_id, rep.reason) == ("opinion", target.id, "广告或无关内容")


def test_author_cannot_vote_on_own_opinion_from_the_page(hood_db):
    engine, hood = hood_db
    author = resident(engine, hood, 1)
    at = open_page(PAGE, actor=author, query={"id": str(hood.collecting.id), "opinion": str(hood.opinions[0].id)})
    assert not any(b.key.startswith("consultation.vote") for b in at.button)
    assert any("这是您提出的意见" in c.value for c in at.caption)


def test_open_opinion_from_the_list(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE, actor=resident(engine, hood), query={"id": str(hood.collecting.id)})
    links = [p.proto.label for p in at.get("page_link")]
    assert "我要提意见" in links and "给大家的意见表态" in links
    click(at, f"consultation.open.{hood.opinions[2].id}")
    assert at.query_params["opinion"] == [str(hood.opinions[2].id)] or at.query_params["opinion"] == str(hood.opinions[2].id)
    assert any("留言（0）" in h.value for h in at.subheader)


def test_committee_member_gets_no_resident_sign_in_link(hood_db):
    from portal.models import Role
    from portal.services.actors import CommitteeActor

    engine, hood = hood_db
    reviewer = CommitteeActor(hood.reviewer.id, "reviewer", "李委员", Role.REVIEWER, community_id=hood.community.id)
    at = open_page(PAGE, actor=reviewer, query={"id": str(hood.collecting.id)})
    assert not at.exception
    assert not any("登录后参与" in p.proto.label for p in at.get("page_link"))


def test_after_the_closing_time_the_page_says_collection_has_ended(hood_db):
    """Nobody switched the phase: the closing time alone ends collection on the public page."""
    from datetime import timedelta

    from portal.models import Consultation, utcnow

    engine, hood = hood_db
    with Session(engine) as s:
        c = s.get(Consultation, hood.collecting.id)
        c.closes_at = utcnow() - timedelta(hours=1)
        s.add(c)
        s.commit()
    at = open_page(PAGE, query={"id": str(hood.collecting.id)}, actor=resident(engine, hood))
    assert not at.exception
    assert any("意见征集已于" in i.value and "截止" in i.value for i in at.info)
    assert any(c.value.startswith("研判中 · ") for c in at.caption)
    links = [p.proto.label for p in at.get("page_link")]
    assert "我要提意见" not in links  # the call to action; the menu keeps its 提意见 entry
    assert not any(b.key.startswith("consultation.vote") for b in at.button)


def test_a_comment_draft_keeps_one_token_across_reruns_and_the_next_gets_a_new_one(hood_db):
    engine, hood = hood_db
    me = resident(engine, hood)
    target = hood.opinions[1]
    at = open_page(PAGE, actor=me, query={"id": str(hood.collecting.id), "opinion": str(target.id)})
    token = at.session_state["consultation.comment_text.token"]
    at.text_area(key="consultation.comment_text").input("太")
    next(b for b in at.button if "发表留言" in b.label).click().run()
    assert any("留言太短" in e.value for e in at.error)
    assert at.session_state["consultation.comment_text.token"] == token  # same draft, same token
    at.text_area(key="consultation.comment_text").input("晚上外来车太多，希望门岗登记一下。")
    next(b for b in at.button if "发表留言" in b.label).click().run()
    assert any("留言已发表" in s.value for s in at.success)
    assert at.session_state["consultation.comment_text.token"] != token  # a new draft
    with Session(engine) as s:
        stored = s.exec(select(Comment).where(Comment.opinion_id == target.id)).one()
        assert stored.client_token == token


def test_opened_from_the_menu_without_an_id_it_lists_the_consultations(hood_db):
    engine, hood = hood_db
    at = open_page(PAGE)
    assert not at.exception
    assert at.title[0].value == "议题详情"
    shown = " ".join(h.value for h in at.subheader)
    assert "停车难与非机动车充电" in shown
    assert not any("请从首页选择" in i.value for i in at.info)


def test_report_reason_starts_empty_and_one_tap_files_nothing(hood_db):
    engine, hood = hood_db
    me = resident(engine, hood, 2)
    target = hood.opinions[0]
    at = open_page(PAGE, actor=me, query={"id": str(hood.collecting.id), "opinion": str(target.id)})
    assert at.selectbox(key="consultation.report_reason").value is None
    at.text_input(key="consultation.report_detail").input("他在意见里留了别人家的门牌号")
    next(b for b in at.button if "提交举报" in b.label).click().run()
    assert any("请先选择举报理由" in e.value for e in at.error)
    assert at.text_input(key="consultation.report_detail").value == "他在意见里留了别人家的门牌号"
    with Session(engine) as s:
        assert s.exec(select(Report)).first() is None
