"""The all-or-nothing imports and the export on PostgreSQL (the district set-up)."""

import pytest
from sqlmodel import Session, func, select

from portal.models import Opinion, Resident
from portal.services.errors import InvalidInput
from portal.services.identity.roster import import_roster, issue_codes
from portal.services.participation.offline import import_offline_opinions
from portal.services.publishing.exports import export_tables
from tests.ops_support import TODAY, build_hood

pytestmark = pytest.mark.postgres


def test_imports_codes_and_export_on_postgres(pg_engine, settings):
    with Session(pg_engine, expire_on_commit=False) as s:
        hood = build_hood(s)
        bad = "楼栋,单元,年龄段\n1号楼,1单元,60-69\n2号楼,1单元,一百岁\n".encode("gbk")
        with pytest.raises(InvalidInput, match="未导入任何记录"):
            import_roster(s, actor=hood.clerk, data=bad, filename="r.csv")
        s.rollback()
        assert s.exec(select(func.count()).select_from(Resident)).one() == 12
        import_roster(s, actor=hood.clerk, data="楼栋,单元,年龄段\n7号楼,1单元,60-69\n".encode(),
                      filename="r.csv")
        s.commit()
        assert s.exec(select(func.count()).select_from(Resident)).one() == 13
        slips = issue_codes(s, actor=hood.admin, resident_ids=[r.id for r in hood.residents[:3]])
        s.commit()
        assert len({sl.code for sl in slips}) == 3
        csv = ("意见内容,渠道,收到日期\n希望楼道里装上声控灯，晚上太黑了。,纸质,2026-05-18\n"
               "垃圾桶摆放太靠近单元门口，夏天味道大。,电话,2026-05-19\n").encode("utf-8-sig")
        assert import_offline_opinions(s, actor=hood.clerk, consultation_id=hood.collecting.id,
                                       data=csv, filename="o.csv", today=TODAY) == 2
        s.commit()
        assert s.exec(select(func.count()).select_from(Opinion)).one() == 2
        tables = export_tables(s, actor=hood.reviewer, consultation_id=hood.collecting.id)
        assert list(tables["意见"]["渠道"]) == ["纸质", "电话"]
