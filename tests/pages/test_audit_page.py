import pytest
import sqlalchemy as sa
from sqlmodel import Session

from portal.services import review
from tests.pages.conftest import open_page
from tests.pages.review_db import make_review_db

PAGE = "app_pages/committee/audit.py"


@pytest.fixture
def review_db(tmp_path, monkeypatch):
    engine, world = make_review_db(tmp_path, monkeypatch)
    with Session(engine) as s:
        review.rename_theme(s, actor=world.reviewer, theme_id=world.themes["车位不足"], label="车位不足与分配")
        review.set_priority(s, actor=world.reviewer, theme_id=world.themes["外来车辆"], priority=True)
        s.commit()
    yield engine, world
    engine.dispose()


def test_admin_sees_actions_in_chinese_and_verifies(review_db):
    engine, world = review_db
    at = open_page(PAGE, actor=world.admin)
    table = at.dataframe[0].value
    assert list(table["操作"])[:2] == ["标记重点", "主题重命名"]
    assert list(table["操作人"])[:2] == ["李委员", "李委员"]
    assert table["经过"].iloc[1] == "李委员 将主题「车位不足」改名为「车位不足与分配」。"
    shown = table.to_csv()
    assert "committee:" not in shown and "theme " not in shown and "{" not in shown
    at.text_input(key="audit.search").input("重命名").run()
    assert list(at.dataframe[0].value["操作"]) == ["主题重命名"]
    at.text_input(key="audit.search").input("李委员").run()
    assert len(at.dataframe[0].value) == 2
    at.button(key="audit.verify").click().run()
    assert at.success[0].value == "校验通过：共 2 条记录，未发现篡改。"


def test_tampering_is_detected(review_db):
    engine, world = review_db
    with engine.begin() as conn:  # someone edits the log behind the portal's back
        conn.execute(sa.text("UPDATE auditevent SET actor = 'committee:99' WHERE action = 'theme.rename'"))
    at = open_page(PAGE, actor=world.admin)
    at.button(key="audit.verify").click().run()
    assert at.error[0].value == "审计日志校验失败（第 1 号记录）：记录内容被修改。"


def test_reviewer_has_no_audit_page(review_db):
    engine, world = review_db
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(PAGE, actor=world.reviewer)
