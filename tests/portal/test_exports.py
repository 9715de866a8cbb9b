"""The committee's export: every table, originals included, safe to open in Excel."""

import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from portal.models import (
    AuditEvent,
    Comment,
    Decision,
    Opinion,
    Response,
    Theme,
    ThemeAssignment,
    VoteValue,
)
from portal.services import participants
from portal.services.errors import PermissionDenied
from portal.services.publishing.exports import export_tables, neutralise, to_csv_zip, to_xlsx
from tests import factories
from tests.ops_support import build_hood


@pytest.fixture
def hood(session):
    h = build_hood(session)
    r = h.residents
    op = Opinion(consultation_id=h.collecting.id, resident_id=r[0].id, area_id=r[0].area_id,
                 text_original="=HYPERLINK(\"http://evil\",\"点我\") 楼道堆物，联系13912345678",
                 text_public="=HYPERLINK(\"http://evil\",\"点我\") 楼道堆物，联系[手机号]",
                 pii_kinds=["phone"])
    session.add(op)
    session.flush()
    # stored as typed (a formula the export must neutralise), its author counted as new_opinion does
    participants.record(session, consultation_id=h.collecting.id, resident_id=r[0].id)
    factories.vote(session, op, r[1], VoteValue.AGREE)
    factories.vote(session, op, r[2], VoteValue.DISAGREE)
    session.add(Comment(opinion_id=op.id, resident_id=r[3].id, text_original="+1 我也觉得",
                        text_public="+1 我也觉得"))
    theme = Theme(consultation_id=h.collecting.id, label="楼道堆物", keywords=["堆物", "楼道"], size=1)
    session.add(theme)
    session.flush()
    session.add(ThemeAssignment(opinion_id=op.id, theme_id=theme.id))
    session.add(Response(theme_id=theme.id, decision=Decision.ADOPT, reasoning="下周集中清理。",
                         responsible_party="物业"))
    session.commit()
    return h


def test_export_has_every_table_with_originals_and_counts(session, hood):
    tables = export_tables(session, actor=hood.admin, consultation_id=hood.collecting.id)
    session.commit()
    assert list(tables) == ["议题", "意见", "投票", "留言", "主题", "回应", "办理进度", "参与-楼栋", "参与-年龄段"]
    assert list(tables["参与-楼栋"]["参与人数"]) == [3, 0, 0]  # the author and two voters, 1号楼
    row = tables["意见"].iloc[0]
    assert "13912345678" in row["原文"]
    assert (row["同意"], row["不同意"], row["主题"], row["渠道"]) == (1, 1, "楼道堆物", "网上")
    assert tables["回应"].iloc[0]["决定"] == "采纳"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "consultation.export")).one()


def test_formula_cells_are_neutralised_in_xlsx_and_csv(session, hood):
    tables = export_tables(session, actor=hood.reviewer, consultation_id=hood.collecting.id)
    wb = load_workbook(io.BytesIO(to_xlsx(tables)))
    assert wb.sheetnames[:7] == ["议题", "意见", "投票", "留言", "主题", "回应", "办理进度"]
    cell = wb["意见"]["B2"].value
    assert cell.startswith("'=HYPERLINK")
    assert wb["意见"]["B2"].data_type == "s"
    assert wb["留言"]["D2"].value == "'+1 我也觉得"
    with zipfile.ZipFile(io.BytesIO(to_csv_zip(tables))) as zf:
        raw = zf.read("意见.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in raw.decode("utf-8-sig")


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
                                             ("楼道", "楼道"), (5, 5), ("", "")])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_clerk_cannot_export(session, hood):
    with pytest.raises(PermissionDenied, match="导出数据"):
        export_tables(session, actor=hood.clerk, consultation_id=hood.collecting.id)
