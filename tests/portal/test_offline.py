"""Offline voices: one by one, and bulk import with all-or-nothing commit."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from portal.models import AuditEvent, Channel, Opinion, VoteValue
from portal.services.consultations import participation_counts
from portal.services.errors import InvalidInput, PermissionDenied, PhaseClosed
from portal.services.identity import resident_actor
from portal.services.participation import cast_vote
from portal.services.participation.offline import (
    AlreadyImported,
    OfflineOpinion,
    channel_mix,
    enter_offline_opinion,
    import_offline_opinions,
    preview_offline_import,
)
from tests.ops_support import TODAY, build_hood


@pytest.fixture
def hood(session):
    return build_hood(session)


def n_opinions(session):
    return session.exec(select(func.count()).select_from(Opinion)).one()


def test_clerk_enters_a_paper_opinion_with_redaction_and_entered_by(session, hood):
    resident = hood.residents[5]
    op = enter_offline_opinion(
        session, actor=hood.clerk, consultation_id=hood.collecting.id, today=TODAY,
        item=OfflineOpinion(text="三单元楼道里堆了很多纸箱，有事请打我电话13912345678。",
                            channel=Channel.PAPER, received_on=TODAY - timedelta(days=2),
                            resident_id=resident.id))
    session.commit()
    assert op.channel == Channel.PAPER
    assert op.entered_by == hood.clerk.user_id
    assert op.area_id == resident.area_id
    assert "13912345678" in op.text_original and "13912345678" not in op.text_public
    assert op.flags == ["pii"]
    assert op.received_at.date() == TODAY - timedelta(days=2)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "opinion.offline")).one()
    # it counts exactly like a web opinion: the resident is a participant and others can vote on it
    cast_vote(session, actor=resident_actor(session, hood.residents[0]), opinion_id=op.id, value=VoteValue.AGREE)
    session.commit()
    n_ops, n_people, n_votes = participation_counts(session, [hood.collecting.id])[hood.collecting.id]
    assert (n_ops, n_people, n_votes) == (1, 2, 1)


@pytest.mark.parametrize("change, message", [
    ({"text": "太吵了"}, "意见太短了：至少需要 10 个字"),
    ({"channel": Channel.WEB}, "请选择线下渠道"),
    ({"received_on": TODAY + timedelta(days=1)}, "不能晚于今天"),
    ({"received_on": None}, "请填写收到意见的日期"),
    ({"received_on": TODAY - timedelta(days=30)}, "早于议题开始征集"),
])
def test_bad_offline_opinion_is_refused(session, hood, change, message):
    fields = {"text": "希望物业每周清理一次楼道里的杂物。", "channel": Channel.PHONE,
              "received_on": TODAY, "area_id": hood.areas[0].id} | change
    with pytest.raises(InvalidInput, match=message):
        enter_offline_opinion(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                              item=OfflineOpinion(**fields), today=TODAY)
    assert n_opinions(session) == 0


def test_resident_and_area_must_agree(session, hood):
    with pytest.raises(InvalidInput, match="楼栋与该居民"):
        enter_offline_opinion(session, actor=hood.clerk, consultation_id=hood.collecting.id, today=TODAY,
                              item=OfflineOpinion("希望物业每周清理一次楼道里的杂物。", Channel.DOOR, TODAY,
                                                  area_id=hood.areas[2].id, resident_id=hood.residents[0].id))


def test_no_offline_opinions_outside_collecting(session, hood):
    with pytest.raises(PhaseClosed, match="草稿"):
        enter_offline_opinion(session, actor=hood.clerk, consultation_id=hood.draft.id, today=TODAY,
                              item=OfflineOpinion("希望物业每周清理一次楼道里的杂物。", Channel.PAPER, TODAY))


def test_reviewer_cannot_enter_offline_opinions(session, hood):
    with pytest.raises(PermissionDenied, match="录入线下意见"):
        enter_offline_opinion(session, actor=hood.reviewer, consultation_id=hood.collecting.id, today=TODAY,
                              item=OfflineOpinion("希望物业每周清理一次楼道里的杂物。", Channel.PAPER, TODAY))


GOOD = ("意见内容,渠道,收到日期,楼栋\n"
        "楼道里的电动车应该统一停到车棚充电。,电话,2026-05-18,1号楼\n"
        "建议每月组织一次楼道大扫除，居民一起参加。,12345,2026/5/19,\n"
        "老人走路不方便，楼道杂物容易绊倒人。,上门,2026年5月20日,3\n")


def test_bulk_import_in_gbk_commits_every_row(session, hood):
    n = import_offline_opinions(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                                data=GOOD.encode("gbk"), filename="热线意见.csv", today=TODAY)
    session.commit()
    assert n == 3
    rows = session.exec(select(Opinion).order_by(Opinion.id)).all()
    assert [r.channel for r in rows] == [Channel.PHONE, Channel.HOTLINE, Channel.DOOR]
    assert rows[2].area_id == hood.areas[2].id and rows[1].area_id is None
    assert all(r.entered_by == hood.clerk.user_id for r in rows)


def test_bulk_import_with_a_bad_row_saves_nothing(session, hood):
    bad = GOOD + "短,微信,昨天,9号楼\n"
    preview = preview_offline_import(session, consultation_id=hood.collecting.id,
                                     data=bad.encode(), filename="x.csv", today=TODAY)
    assert [r.number for r in preview.errors] == [5]
    problem = preview.errors[0].problem
    assert "渠道“微信”无法识别" in problem and "收到日期“昨天”无法识别" in problem
    assert "楼栋“9号楼”不在本社区" in problem
    with pytest.raises(InvalidInput, match="1 行有误，未导入任何意见"):
        import_offline_opinions(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                                data=bad.encode(), filename="x.csv", today=TODAY)
    session.rollback()
    assert n_opinions(session) == 0


def test_bulk_import_flags_repeated_text(session, hood):
    line = "楼道里的电动车应该统一停到车棚充电。,电话,2026-05-18,1号楼\n"
    preview = preview_offline_import(session, consultation_id=hood.collecting.id,
                                     data=("意见内容,渠道,收到日期,楼栋\n" + line + line).encode(),
                                     filename="x.csv", today=TODAY)
    assert [(r.number, "与第 2 行" in r.problem) for r in preview.errors] == [(3, True)]


def test_channel_mix_lists_every_channel(session, hood):
    import_offline_opinions(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                            data=GOOD.encode(), filename="x.csv", today=TODAY)
    mix = {m.label: m.count for m in channel_mix(session, consultation_id=hood.collecting.id)}
    assert mix == {"网上": 0, "纸质": 0, "电话": 1, "上门走访": 1, "12345热线": 1}


def test_channel_mix_chart_has_chinese_labels(session, hood):
    from portal.charts import channel_mix_chart

    import_offline_opinions(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                            data=GOOD.encode(), filename="x.csv", today=TODAY)
    spec = channel_mix_chart(channel_mix(session, consultation_id=hood.collecting.id)).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {v["渠道"] for v in values} >= {"电话", "12345热线"}
    assert spec["title"] == "意见来源渠道"


def test_bulk_import_from_xlsx_with_real_dates_and_merged_channel(session, hood):
    from datetime import datetime

    from tests.factories import xlsx_bytes

    data = xlsx_bytes([
        ["12345热线工单汇总（5月）"],
        ["收到日期", "渠道", "楼栋", "意见内容"],
        [datetime(2026, 5, 15), "12345热线", "2号楼", "反映小区东门晚上没有路灯，回家很不安全。"],
        [datetime(2026, 5, 16), None, "", "希望增加非机动车充电桩，现在都在楼道里充电。"],
    ], merge="B3:B4")
    n = import_offline_opinions(session, actor=hood.admin, consultation_id=hood.collecting.id,
                                data=data, filename="热线.xlsx", today=TODAY)
    assert n == 2
    rows = session.exec(select(Opinion).order_by(Opinion.id)).all()
    assert [r.channel for r in rows] == [Channel.HOTLINE, Channel.HOTLINE]
    assert [r.received_at.day for r in rows] == [15, 16]


def test_bulk_import_keeps_chinese_punctuation_as_written(session, hood):
    data = ("意见内容,渠道,收到日期\n"
            "\"楼道里堆了纸箱，还有旧自行车；希望：尽快清理！\",纸质,２０２６-０５-１８\n").encode("gbk")
    import_offline_opinions(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                            data=data, filename="x.csv", today=TODAY)
    op = session.exec(select(Opinion)).one()
    assert op.text_original == "楼道里堆了纸箱，还有旧自行车；希望：尽快清理！"
    assert op.received_at.day == 18  # full-width digits in the date are fine


# ---------------------------------------------------------------- the same file or rows twice


def _import(session, hood, data: bytes, filename: str = "纸质意见.csv", **kw) -> int:
    n = import_offline_opinions(session, actor=hood.clerk, consultation_id=hood.collecting.id,
                                data=data, filename=filename, today=TODAY, **kw)
    session.commit()
    return n


def _audit_events(session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_importing_the_same_file_again_asks_first_and_writes_nothing(session, hood):
    assert _import(session, hood, GOOD.encode()) == 3
    before = (n_opinions(session), _audit_events(session))
    preview = preview_offline_import(session, consultation_id=hood.collecting.id, data=GOOD.encode(),
                                     filename="再传一次.csv", today=TODAY)
    assert preview.ok and preview.repeats
    assert len(preview.earlier_imports) == 1 and preview.earlier_imports[0].opinions == 3
    assert preview.repeated_rows == [2, 3, 4] and preview.n_new == 0
    with pytest.raises(AlreadyImported) as asked:
        _import(session, hood, GOOD.encode(), filename="再传一次.csv")
    session.rollback()
    message = str(asked.value)
    assert message.startswith("这个文件已在") and "导入过（3 条意见）" in message
    assert "其中 3 行与已导入的意见相同（内容、渠道、楼栋和收到日期都一样）" in message
    assert message.endswith("请选择“跳过已导入的”或“仍然导入”。")
    assert (n_opinions(session), _audit_events(session)) == before  # cancelled: nothing written


def test_rows_already_imported_in_another_file_are_recognised(session, hood):
    _import(session, hood, GOOD.encode())
    # the hotline sends next week's sheet: last week's rows again (reordered, saved as GBK) and a new one
    lines = GOOD.splitlines()
    again = "\n".join([lines[0], lines[3], "楼下的垃圾桶太少，每天早上都满出来了。,电话,2026-05-20,2号楼",
                       lines[1]]) + "\n"
    preview = preview_offline_import(session, consultation_id=hood.collecting.id,
                                     data=again.encode("gbk"), filename="第二周.csv", today=TODAY)
    assert preview.earlier_imports == []  # another file
    assert preview.repeated_rows == [2, 4] and preview.n_new == 1
    assert _import(session, hood, again.encode("gbk"), filename="第二周.csv", repeats="skip") == 1
    assert n_opinions(session) == 4
    texts = session.exec(select(Opinion.text_original)).all()
    assert len(texts) == len(set(texts))  # nothing doubled
    skipped = session.exec(select(AuditEvent).where(AuditEvent.action == "opinion.offline_import")
                           .order_by(AuditEvent.id.desc())).first()
    assert skipped.detail["opinions"] == 1 and skipped.detail["skipped"] == 2


def test_import_anyway_imports_every_row_again(session, hood):
    _import(session, hood, GOOD.encode())
    assert _import(session, hood, GOOD.encode(), repeats="import") == 3
    assert n_opinions(session) == 6
    # the third time the page names both earlier imports
    preview = preview_offline_import(session, consultation_id=hood.collecting.id, data=GOOD.encode(),
                                     filename="x.csv", today=TODAY)
    assert [e.opinions for e in preview.earlier_imports] == [3, 3]


def test_a_repeat_into_another_consultation_is_not_a_repeat(session, hood):
    from portal.models import Consultation, Phase

    _import(session, hood, GOOD.encode())
    other = Consultation(community_id=hood.community.id, title="楼道照明改造", question="楼道灯怎么改？",
                         phase=Phase.COLLECTING, opens_at=hood.collecting.opens_at)
    session.add(other)
    session.commit()
    preview = preview_offline_import(session, consultation_id=other.id, data=GOOD.encode(),
                                     filename="x.csv", today=TODAY)
    assert not preview.repeats and preview.n_new == 3
