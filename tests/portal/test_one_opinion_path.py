"""One home for a new opinion (issue 11): the web form, the committee's offline entry and the bulk
import store the same row for the same text and refuse the same bad text with the same words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from portal.models import Channel, Consultation, Opinion, Resident
from portal.services.errors import InvalidInput
from portal.services.identity import resident_actor
from portal.services.participation import clean_text, submit_opinion
from portal.services.participation.offline import (
    OfflineOpinion,
    enter_offline_opinion,
    import_offline_opinions,
    preview_offline_import,
)
from portal.services.participation.opinions import new_opinion, prepare_opinion
from tests.ops_support import TODAY, build_hood

HEAD = "意见内容,渠道,收到日期,楼栋\n"


@pytest.fixture
def hood(session):
    hood = build_hood(session)
    c = session.get(Consultation, hood.collecting.id)
    c.closes_at = None  # open while the test runs, whatever the real date
    session.add(c)
    session.commit()
    return hood


def _row(op: Opinion) -> tuple:
    return (op.text_original, op.text_public, list(op.pii_kinds), sorted(op.flags))


def _three_ways(session: Session, hood, text: str) -> list[tuple]:
    """Store ``text`` through the web form, the offline entry and a CSV import; their rows."""
    cid = hood.collecting.id
    me = resident_actor(session, session.get(Resident, hood.residents[0].id))
    web = submit_opinion(session, actor=me, consultation_id=cid, text=text).opinion
    paper = enter_offline_opinion(session, actor=hood.clerk, consultation_id=cid, today=TODAY,
                                  item=OfflineOpinion(text, Channel.PAPER, TODAY - timedelta(days=1)))
    session.commit()
    quoted = text.replace('"', '""')
    import_offline_opinions(session, actor=hood.clerk, consultation_id=cid, today=TODAY,
                            data=f'{HEAD}"{quoted}",电话,{TODAY.isoformat()},\n'.encode(), filename="热线.csv")
    session.commit()
    imported = session.exec(select(Opinion).where(Opinion.channel == Channel.PHONE)).one()
    return [_row(web), _row(paper), _row(imported)]


@pytest.mark.parametrize("text", [
    "三单元楼道的灯坏了，有事请打我电话13912345678，我白天都在家。",
    "物业都是吃干饭的废物，楼道垃圾一个星期没人收",
    "楼道灯\u200b坏了\u202e很久，晚上\x1b[31m黑得看不见路\x1b[0m",
    "  希望盡快加裝電梯，老人上下樓太辛苦了  \n\n\n\n谢谢",
])
def test_the_same_text_gives_the_same_stored_row_from_every_channel(session, hood, text):
    web, paper, imported = _three_ways(session, hood, text)
    assert web == paper == imported
    assert web[0] == clean_text(text)  # cleaned once, the same way
    expected = prepare_opinion(text)
    assert web == (expected.text, expected.text_public, expected.pii_kinds, sorted(expected.flags))


def test_flags_come_from_the_rules_not_from_the_caller(session, hood):
    op, created = new_opinion(session, consultation_id=hood.collecting.id, channel=Channel.DOOR,
                              text="有个邻居天天骂人，说我们是神经病，他的电话是13800138000")
    assert created
    assert sorted(op.flags) == ["abusive", "pii"]
    assert "13800138000" not in op.text_public and op.pii_kinds


EMPTY = "请先写下您的意见，内容不能为空。"
NO_WORDS = "意见里没有文字，请用文字写下您想说的话（只有表情或符号无法被整理和回应）。"


@pytest.mark.parametrize("text, message", [
    ("\u200b\u200c\u200d\u2060\ufeff\u200b", EMPTY),  # zero-width only
    ("😡😡😡👎👎👎🚗🚗🚗🚗", NO_WORDS),  # emoji only
    ("\x1b[31m\x1b[1m\x1b[4m\x1b[0m\x1b[K\x1b[2J", EMPTY),  # terminal colour codes only
    ("\u202e\u202d\u2066\u2067\u2069\u202c", EMPTY),  # direction overrides and isolates only
], ids=["zero-width", "emoji", "escape-codes", "rtl-override"])
def test_bad_text_is_refused_on_paper_and_in_files_exactly_as_online(session, hood, text, message):
    cid = hood.collecting.id
    me = resident_actor(session, session.get(Resident, hood.residents[0].id))
    with pytest.raises(InvalidInput) as online:
        submit_opinion(session, actor=me, consultation_id=cid, text=text)
    session.rollback()
    with pytest.raises(InvalidInput) as paper:
        enter_offline_opinion(session, actor=hood.clerk, consultation_id=cid, today=TODAY,
                              item=OfflineOpinion(text, Channel.PAPER, TODAY))
    session.rollback()
    data = f"{HEAD}{text},纸质,{TODAY.isoformat()},1号楼\n".encode()
    preview = preview_offline_import(session, consultation_id=cid, data=data, filename="纸质.csv", today=TODAY)
    with pytest.raises(InvalidInput) as imported:
        import_offline_opinions(session, actor=hood.clerk, consultation_id=cid, data=data,
                                filename="纸质.csv", today=TODAY)
    session.rollback()
    assert str(online.value) == str(paper.value) == message
    assert [r.problem for r in preview.rows] == [message]
    assert str(imported.value) == f"有 1 行有误，未导入任何意见。第 2 行：{message}"
    assert session.exec(select(func.count()).select_from(Opinion)).one() == 0


def test_an_import_row_lists_every_problem_not_only_the_first(session, hood):
    future = (TODAY + timedelta(days=3)).isoformat()
    data = (HEAD + f"短,微信,{future},9号楼\n"
                   "太吵了,电话,昨天,1号楼\n").encode()
    preview = preview_offline_import(session, consultation_id=hood.collecting.id, data=data,
                                     filename="x.csv", today=TODAY)
    first, second = (r.problem for r in preview.rows)
    assert first == ("渠道“微信”无法识别（可填：纸质、电话、上门走访、12345热线）；楼栋“9号楼”不在本社区的名册里；"
                     "意见太短了：至少需要 10 个字，现在只有 1 个字。请写得具体一些；收到日期不能晚于今天。")
    # the text is checked even when the date cannot be read
    assert second == ("收到日期“昨天”无法识别（请写成 2026-05-20）；"
                      "意见太短了：至少需要 10 个字，现在只有 3 个字。请写得具体一些。")


def test_one_offline_entry_lists_every_problem(session, hood):
    with pytest.raises(InvalidInput) as refused:
        enter_offline_opinion(session, actor=hood.clerk, consultation_id=hood.collecting.id, today=TODAY,
                              item=OfflineOpinion("\u200b", Channel.WEB, TODAY + timedelta(days=1)))
    assert str(refused.value) == (EMPTY + "请选择线下渠道：纸质、电话、上门走访或 12345 热线。"
                                  "收到日期不能晚于今天。")


def test_no_other_portal_code_builds_an_opinion_row():
    """A new channel must go through new_opinion: only opinions.py calls ``Opinion(...)``."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    builders = set()
    for path in (root / "portal").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Opinion":
                builders.add(str(path.relative_to(root)))
    assert builders == {"portal/services/participation/opinions.py"}
