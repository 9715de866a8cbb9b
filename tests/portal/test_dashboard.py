"""The committee's 工作台: what needs attention now, per consultation."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from portal.models import (
    Community,
    Consultation,
    Decision,
    Opinion,
    Phase,
    Report,
    ReportTarget,
    Response,
    Role,
    Theme,
    ThemeStatus,
)
from portal.services.actors import CommitteeActor
from portal.services.consultations.dashboard import committee_dashboard

CLERK = CommitteeActor(3, "clerk", "张社工", Role.CLERK, community_id=1)  # of the world's community
TODAY = date(2026, 5, 20)


def _world(session):
    community = Community(name="梧桐里社区")
    session.add(community)
    session.flush()
    c = Consultation(community_id=community.id, title="小区停车怎么管", question="大家怎么看？",
                     phase=Phase.REVIEWING)
    session.add(c)
    session.flush()
    op = Opinion(consultation_id=c.id, text_original="晚上车位不够", text_public="晚上车位不够")
    session.add(op)
    open_theme = Theme(consultation_id=c.id, label="夜间车位", size=3)
    late = Theme(consultation_id=c.id, label="充电桩", size=2, status=ThemeStatus.IN_PROGRESS)
    done = Theme(consultation_id=c.id, label="划线", size=2, status=ThemeStatus.DONE)
    other = Theme(consultation_id=c.id, label="其他", size=1, is_other=True)
    session.add_all([open_theme, late, done, other])
    session.flush()
    for t, due in ((late, date(2026, 5, 1)), (done, date(2026, 5, 1))):
        session.add(Response(theme_id=t.id, decision=Decision.ADOPT, reasoning="会办理",
                             responsible_party="物业", due_date=due))
    session.add(Report(target_type=ReportTarget.OPINION, target_id=op.id, consultation_id=c.id, reason="骂人"))
    session.add(Report(target_type=ReportTarget.OPINION, target_id=op.id, consultation_id=c.id, reason="不文明"))
    session.add(Report(target_type=ReportTarget.OPINION, target_id=op.id, consultation_id=c.id, reason="广告",
                       resolution="已处理", resolved_at=c.created_at))
    session.commit()
    return c


def test_dashboard_lists_what_needs_attention(session):
    c = _world(session)
    [row] = committee_dashboard(session, actor=CLERK, today=TODAY)
    assert (row.id, row.phase_label, row.n_themes) == (c.id, "研判中", 4)
    assert row.n_open_reports == 1  # the resolved report no longer counts
    assert row.n_unanswered == 1  # 夜间车位; “其他” needs no answer
    assert row.n_overdue == 1  # 充电桩 is late; 划线 is done
    texts = {item.text: (item.page, item.permission) for item in row.todo}
    assert texts["1 条内容等待审核"] == ("app_pages/committee/moderation.py", "moderate")
    assert texts["1 个主题还没有回应"][0] == "app_pages/committee/answers.py"
    assert "1 项回应已过计划完成日期，请更新办理进展" in texts


def test_dashboard_says_when_all_answered(session):
    c = _world(session)
    theme = session.exec(select(Theme).where(Theme.label == "夜间车位")).one()
    session.add(Response(theme_id=theme.id, decision=Decision.DECLINE, reasoning="场地不够",
                         responsible_party="居委会"))
    session.commit()
    [row] = committee_dashboard(session, actor=CLERK, today=TODAY)
    assert row.id == c.id and row.n_unanswered == 0
    assert "主题都已回应，可以发布结果" in [item.text for item in row.todo]


def test_dashboard_empty(session):
    session.add(Community(name="梧桐里社区"))  # the clerk's community, with nothing to do yet
    session.flush()
    assert committee_dashboard(session, actor=CLERK) == []
