"""AppTest: the 工作台 shows each consultation and links to the page that handles each to-do."""

from __future__ import annotations

from tests.pages.conftest import demo_committee, open_page

PAGE = "app_pages/committee/dashboard.py"


def test_dashboard_lists_demo_consultations_with_todo(demo_db):
    at = open_page(PAGE, actor=demo_committee(demo_db, "reviewer"))
    assert not at.exception
    titles = [h.value for h in at.subheader]
    assert any("停车" in t for t in titles) and any("电梯" in t for t in titles)
    metrics = {m.label for m in at.metric}
    assert {"待处理事项", "意见", "参与人数", "表态", "主题"} <= metrics


def test_clerk_sees_todo_without_links_to_pages_they_cannot_open(demo_db):
    reviewer = open_page(PAGE, actor=demo_committee(demo_db, "reviewer"))
    links = [el.proto.label for el in reviewer.get("page_link")]
    assert any(label.endswith("条内容等待审核") for label in links)
    # the demo's consultation under review links to 回应与发布 (unanswered themes, or ready to publish)
    assert any(label.endswith("个主题还没有回应") or label == "主题都已回应，可以发布结果" for label in links)

    clerk = open_page(PAGE, actor=demo_committee(demo_db, "clerk"))
    assert not clerk.exception
    assert not [el for el in clerk.get("page_link") if "等待审核" in el.proto.label]
    assert any("条内容等待审核（需由有权限的同事处理）" in t.value for t in clerk.text)
