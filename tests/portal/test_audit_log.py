"""The audit log as staff read it: names and sentences, never committee:1, theme 20 or JSON."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal.models import AuditEvent, Decision, Phase, Resident
from portal.services import audit, review
from portal.services.audit_log import audit_lines
from portal.services.consultations import change_phase
from portal.services.errors import PermissionDenied
from portal.services.identity import revoke_codes
from portal.services.identity.roster import issue_codes
from portal.services.participation import moderation
from tests.portal.review_world import build_world

RAW = re.compile(r"committee:\d|resident:\d|theme \d|consultation \d|[{}\[\]\"]|\b(from|to|label)\b")


@pytest.fixture
def world(session):
    w = build_world(session)
    session.commit()
    return w


def _sentences(session, world, **kw) -> list[str]:
    return [line.sentence for line in audit_lines(session, actor=world.admin, **kw)]


def test_curation_reads_as_sentences_with_names(session, world):
    t = world.themes
    review.rename_theme(session, actor=world.reviewer, theme_id=t["车位不足"], label="车位不足与分配")
    review.merge_themes(session, actor=world.reviewer, theme_ids=[t["车位不足"], t["外来车辆"]],
                        into_id=t["车位不足"])
    review.set_priority(session, actor=world.admin, theme_id=t["电动车充电"], priority=True)
    review.save_response(session, actor=world.reviewer, theme_id=t["电动车充电"], decision=Decision.ADOPT,
                         reasoning="在3号楼东侧新建充电棚，安装二十个充电口，物业负责维护。",
                         responsible_party="物业公司", due_date=date.today() + timedelta(days=30))
    session.commit()
    lines = audit_lines(session, actor=world.admin)
    newest_first = [x.sentence for x in lines]
    assert newest_first == [
        "李委员 回应了主题「电动车充电」：采纳，责任方：物业公司。",
        "王主任 将主题「电动车充电」标为重点。",
        "李委员 将主题「外来车辆」合并到「车位不足与分配」，移动了 "
        + newest_first[2].split("移动了 ")[1],
        "李委员 将主题「车位不足」改名为「车位不足与分配」。",
    ]
    assert [x.who for x in lines] == ["李委员", "王主任", "李委员", "李委员"]
    for x in lines:
        assert not RAW.search(x.sentence), x.sentence


def test_phase_codes_moderation_and_publishing(session, world):
    rid = world.residents[0]
    issue_codes(session, actor=world.admin, resident_ids=[rid])
    revoke_codes(session, actor=world.admin, resident_id=rid)
    oid = world.opinions["外来车辆"][0]
    moderation.hide(session, actor=world.reviewer, target_type="opinion", target_id=oid, reason="含有人身攻击")
    moderation.restore(session, actor=world.reviewer, target_type="opinion", target_id=oid, reason="复核后内容正常")
    change_phase(session, actor=world.admin, consultation_id=world.consultation_id, to=Phase.COLLECTING)
    session.commit()
    resident = session.get(Resident, rid)
    text = _sentences(session, world)
    assert text[0] == "王主任 将议题「停车难与非机动车充电」从研判中切换到征集中。"
    assert text[1] == f"李委员 恢复显示了意见 #{oid}，理由：复核后内容正常。"
    assert text[2] == f"李委员 隐藏了意见 #{oid}，理由：含有人身攻击。"
    assert text[3] == f"王主任 作废了居民 #{rid}（3号楼 {resident.unit}）的参与码。".replace(" ）", "）")
    assert text[4].startswith(f"王主任 为居民 #{rid}（3号楼")
    for sentence in text:
        assert not RAW.search(sentence), sentence


def test_unknown_actions_and_deleted_accounts_still_read_without_json(session, world):
    audit.record(session, actor="committee:999", action="something.new", target_type="theme",
                 target_id=world.themes["其他"], detail={"x": [1, 2], "y": {"z": 3}})
    audit.record(session, actor="cli", action="database.restore", target_type="database",
                 detail={"backup": "portal-20261201.sqlite.gz"})
    session.commit()
    text = _sentences(session, world)
    assert text[0] == "运维人员（命令行） 从备份「portal-20261201.sqlite.gz」恢复了数据库。"
    assert text[1] == "工作人员 #999（账号已不存在） something.new：主题「其他」。"
    assert "{" not in text[1] and "[" not in text[1]


def test_hostile_names_are_quoted_as_typed(session, world):
    review.rename_theme(session, actor=world.reviewer, theme_id=world.themes["其他"],
                        label="<script>alert(1)</script>「其他」")
    session.commit()
    (line,) = audit_lines(session, actor=world.admin)
    assert line.sentence == "李委员 将主题「其他」改名为「<script>alert(1)</script>「其他」」。"


def test_search_by_name_or_words(session, world):
    review.rename_theme(session, actor=world.reviewer, theme_id=world.themes["车位不足"], label="车位不足与分配")
    review.set_priority(session, actor=world.admin, theme_id=world.themes["外来车辆"], priority=True)
    session.commit()
    assert _sentences(session, world, search="王主任") == ["王主任 将主题「外来车辆」标为重点。"]
    assert _sentences(session, world, search="车位") == ["李委员 将主题「车位不足」改名为「车位不足与分配」。"]
    assert _sentences(session, world, search="标记重点") == ["王主任 将主题「外来车辆」标为重点。"]


def test_only_admins_read_the_log(session, world):
    with pytest.raises(PermissionDenied):
        audit_lines(session, actor=world.reviewer)
    assert session.exec(select(AuditEvent)).first() is None
