"""参与情况 and 数据导出 pages."""

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from tests import factories
from tests.pages.ops_fixtures import ops_database, run_page


@pytest.fixture
def ops_db(tmp_path, monkeypatch):
    yield from ops_database(tmp_path, monkeypatch)


def test_participation_flags_buildings_nobody_from(ops_db):
    engine, hood = ops_db
    r = hood.residents[0]
    with Session(engine) as s:  # given as every channel gives one
        factories.opinion(s, hood.collecting.id, r, "楼道纸箱太多了，要清理。")
        s.commit()
    at = run_page("committee/participation.py", hood.clerk)
    assert [m.value for m in at.metric] == ["12", "1", "8%"]
    assert at.warning[0].value == "参与偏少的楼栋：2号楼、3号楼。建议安排上门走访或发放纸质意见表。"
    assert at.get("vega_lite_chart")
    at.radio(key="participation.dimension").set_value("age_band")
    at = at.run()
    assert list(at.dataframe[0].value["年龄段"]) == ["30-44", "45-59", "60-69", "80+"]


def test_participation_refuses_visitors(ops_db):
    assert "请先以居委会工作人员身份登录" in run_page("committee/participation.py").warning[0].value


def test_export_for_reviewer_not_clerk(ops_db):
    _, hood = ops_db
    assert run_page("committee/export.py", hood.clerk).error[0].value == "您的账号没有访问此页面的权限。"
    at = run_page("committee/export.py", hood.reviewer)
    at.button(key="export.make").click()
    at = at.run()
    assert at.success[0].value.startswith("已生成：议题 1 行，意见 0 行")
    files = at.session_state["export.files"]
    wb = load_workbook(io.BytesIO(files[2]))
    assert wb.sheetnames[:2] == ["议题", "意见"]
