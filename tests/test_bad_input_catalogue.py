"""The bad-input catalogue (docs/bad-input.md), one test per row.

Each row feeds one awkward input to the service a page calls and checks the exact Chinese
message the user sees, and that nothing was saved (the whole database is compared before and
after; a refused sign-in may only add its throttling record). Rows whose input is fine, only
unusual (GBK files, traditional characters, HTML typed as text …), check what was stored.
The documentation table and this list must agree: a row in one and not the other fails.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from portal.models import Area, Channel, Opinion, OpinionPhoto, Phase, PhotoReview, Resident, Role
from portal.services import consultations, identity
from portal.services.documents import Upload, attach_document, open_attachment
from portal.services.errors import ServiceError
from portal.services.identity import roster
from portal.services.participation import add_comment, offline, submit_opinion
from portal.services.publishing import exports
from tests import files
from tests.factories import xlsx_bytes
from tests.portal.committee_actions import (  # noqa: F401  (fixtures)
    World,
    dump,
    world,
    world_template,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"
TODAY = date(2026, 11, 26)
ROSTER_HEAD = "楼栋,单元,年龄段,户号\n"
OWNER_HEAD = "楼栋,单元,年龄段,户号,是否业主,专有部分面积（m²）\n"


def _resident(s: Session, w: World):
    return identity.resident_actor(s, s.get(Resident, w.residents[0]))


def _opinion(text: str) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        return submit_opinion(s, actor=_resident(s, w), consultation_id=w.consultations[Phase.COLLECTING],
                              text=text)
    return call


def _roster(data: bytes | Callable[[], bytes], filename: str = "名册.csv") -> Callable[[Session, World], Any]:
    """``data`` may be a function, so big files are only built when their row runs."""

    def call(s: Session, w: World) -> Any:
        raw = data() if callable(data) else data
        out = roster.import_roster(s, actor=w.committee[Role.CLERK], data=raw, filename=filename,
                                   community_id=w.community_id)
        s.commit()
        return out
    return call


def _xlsx_bomb(n_rows: int = 300_000, row_open: str = "<row ", move_sheet: bool = False,
               padding: int = 0) -> bytes:
    """A small .xlsx whose sheet unpacks into hundreds of thousands of rows (written
    ``row_open`` r=…), optionally stored outside ``xl/worksheets/`` or padded with spaces."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["楼栋", "单元", "年龄段"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in base.infolist():
            name, data = info.filename, base.read(info.filename)
            if name == "xl/worksheets/sheet1.xml":
                rows = "".join(
                    f'{row_open}r="{i}"><c r="A{i}" t="inlineStr"><is><t>3号楼</t></is></c>'
                    f'<c r="B{i}" t="inlineStr"><is><t>2单元</t></is></c></row>'
                    for i in range(2, n_rows + 2))
                data = data.decode().replace("</sheetData>", rows + "</sheetData>").encode()
            if move_sheet:  # the workbook's links point to the sheet wherever it is
                name = name.replace("worksheets/sheet1.xml", "data/rows.xml")
                data = data.replace(b"worksheets/sheet1.xml", b"data/rows.xml")
            head, cut, tail = data.partition(b"</sheetData>")
            with z.open(name, "w", force_zip64=True) as fh:  # padding streamed, never held
                fh.write(head)
                for _ in range(padding // (1 << 20)):
                    fh.write(b" " * (1 << 20))
                fh.write(cut + tail)
    return out.getvalue()


def _offline_csv(body: str) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        out = offline.import_offline_opinions(
            s, actor=w.committee[Role.CLERK], consultation_id=w.consultations[Phase.COLLECTING],
            data=("意见内容,渠道,收到日期,楼栋\n" + body).encode(), filename="纸质意见.csv", today=TODAY)
        s.commit()
        return out
    return call


def _offline_item(text: str, received_on: date) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        out = offline.enter_offline_opinion(
            s, actor=w.committee[Role.CLERK], consultation_id=w.consultations[Phase.COLLECTING],
            today=TODAY, item=offline.OfflineOpinion(text=text, channel=Channel.PAPER,
                                                     received_on=received_on))
        s.commit()
        return out
    return call


def _consultation(opens: date | None, closes: date | None) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        out = consultations.create_consultation(
            s, actor=w.committee[Role.ADMIN], community_id=w.community_id, today=TODAY,
            draft=consultations.ConsultationDraft(title="垃圾分类点位调整", question="垃圾房搬到哪里更合适？",
                                                  opens_on=opens, closes_on=closes))
        s.commit()
        return out
    return call


def _sign_in(code: str) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        return identity.sign_in_with_code(s, code=code, throttle_key="t",
                                          sleep=lambda _: None)
    return call


def _login(username: str, password: str) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        return identity.authenticate(s, username=username, password=password)
    return call


def _login_while_locked(s: Session, w: World) -> Any:
    """The right password after five wrong ones: still refused while the lock lasts."""
    username = w.committee[Role.CLERK].username
    for i in range(identity.LOGIN_MAX_FAILURES):
        try:
            identity.authenticate(s, username=username, password=f"Wrong{i}2026")
        except ServiceError:
            pass
    return identity.authenticate(s, username=username, password="Passw0rd2026")


def _comment(text: str) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        return add_comment(s, actor=_resident(s, w), opinion_id=w.collecting_opinions[1], text=text)
    return call


def _photos(items: list[tuple[str, Callable[[], bytes]]]) -> Callable[[Session, World], Any]:
    """An opinion with photos; the files are made only when the row runs."""
    def call(s: Session, w: World) -> Any:
        return submit_opinion(s, actor=_resident(s, w), consultation_id=w.consultations[Phase.COLLECTING],
                              text="5号楼门口的路灯坏了一个多星期，晚上老人出门看不清台阶。",
                              photos=[Upload(name, make()) for name, make in items])
    return call


def _document(name: str, make: Callable[[], bytes]) -> Callable[[Session, World], Any]:
    def call(s: Session, w: World) -> Any:
        return attach_document(s, actor=w.committee[Role.ADMIN], consultation_id=w.consultations[Phase.COLLECTING],
                               upload=Upload(name, make()), title="议题资料", kind="plan")
    return call


def _photo_without_position(s: Session, w: World, result: Any) -> None:
    from PIL import ExifTags, Image

    photo = s.exec(select(OpinionPhoto).where(OpinionPhoto.opinion_id == result.opinion.id)).one()
    data = open_attachment(s, actor=w.committee[Role.ADMIN], photo_id=photo.id).data
    with Image.open(io.BytesIO(data)) as im:
        assert dict(im.getexif()) == {} and im.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert photo.review == PhotoReview.PENDING


# ---------------------------------------------------------------- what a saved row must look like


def _stored_opinion(expected: str) -> Callable[[Session, World, Any], None]:
    def check(s: Session, w: World, result: Any) -> None:
        op = s.get(Opinion, result.opinion.id)
        assert op.text_original == expected
    return check


def _published_as(expected: str, kinds: set[str]) -> Callable[[Session, World, Any], None]:
    """The original is kept for the committee; the public text has the personal data masked,
    and the opinion is flagged for moderators."""

    def check(s: Session, w: World, result: Any) -> None:
        op = s.get(Opinion, result.opinion.id)
        assert op.text_public == expected
        assert set(op.pii_kinds) == kinds
        assert ("pii" in (op.flags or [])) == bool(kinds)
    return check


def _stored_offline(expected: str) -> Callable[[Session, World, Any], None]:
    def check(s: Session, w: World, result: Any) -> None:
        assert result == 1
        op = s.exec(select(Opinion).order_by(Opinion.id.desc())).first()
        assert (op.text_original, op.channel) == (expected, Channel.PAPER)
    return check


def _formula_neutralised(s: Session, w: World, result: Any) -> None:
    tables = exports.export_tables(s, actor=w.committee[Role.ADMIN],
                                   consultation_id=w.consultations[Phase.COLLECTING])
    cells = [str(v) for df in tables.values() for v in df.astype(str).to_numpy().ravel()]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any(c.startswith("=HYPERLINK") for c in cells)


def _residents_added(n: int, building: str) -> Callable[[Session, World, Any], None]:
    def check(s: Session, w: World, result: Any) -> None:
        assert result.n_residents == n
        area = s.exec(select(Area).where(Area.name == building)).one()
        assert len(s.exec(select(Resident).where(Resident.area_id == area.id)).all()) >= n
    return check


def _owner_areas(areas: dict[str, str]) -> Callable[[Session, World, Any], None]:
    def check(s: Session, w: World, result: Any) -> None:
        from decimal import Decimal

        from portal.models import OwnerHousehold

        got = {h.room: h.area_m2 for h in s.exec(select(OwnerHousehold).where(col(OwnerHousehold.room).in_(areas)))}
        assert got == {room: Decimal(a) for room, a in areas.items()}
    return check


def _markdown_names_kept_as_typed(s: Session, w: World, result: Any) -> None:
    _residents_added(1, MD_BUILDING)(s, w, result)
    area = s.exec(select(Area).where(Area.name == MD_BUILDING)).one()
    assert area.grid == MD_GRID  # stored as typed; md() shows it as text on every page


def _while_restoring(s: Session, w: World) -> Any:
    """A resident submits while `consult restore` runs on this database (the marker is set)."""
    from portal.db import unit_of_work
    from portal.services.backup import maintenance

    with maintenance(Path(w.engine.url.database or "")):
        return unit_of_work(w.engine, lambda session: _opinion("楼道里的灯坏了一个星期，晚上上下楼很危险")(session, w))


@dataclass(frozen=True)
class Row:
    id: str
    call: Callable[[Session, World], Any]
    message: str | None  # the exact sentence shown; None = accepted
    check: Callable[[Session, World, Any], None] | None = None
    may_change: frozenset[str] = frozenset()  # tables a refusal may still write (throttling)


XSS = "<script>alert('xss')</script>楼下路灯坏了很久了"
SQL = "'); DROP TABLE opinion; -- 停车位太少了，晚上没地方停"
FORMULA = '=HYPERLINK("http://evil.example","点我领补贴")小区停车难'
MIXED = "小区WiFi信号太差，5G基站能不能装在3号楼顶？OK"
TRADITIONAL = "希望盡快加裝電梯，老人上下樓太辛苦了"
EMPTY_OPINION = "请先写下您的意见，内容不能为空。"
PII_ID = "身份证号 110105 19491231 002X，申请的高龄补贴一直没批下来"
PII_PHONES = "电梯又坏了，请回电138.0013.8000或者138_0013_8000，晚上打138 00 13 80 00也行"
PII_SPOKEN = "楼道灯坏了一个月，我电话一三八零零一三八零零零，我爱人幺三九幺二三四五六七八"
PII_ROOMS = "我住12-3-501，楼上三号楼二单元五零一室天天漏水到我家，3栋502也一样"
PII_PLATE_CARD = "沪 A 12345天天停在消防通道上，维修费退到6222 0281 9482 1993 519就行"
PII_HANDLES = "有照片可以发我，微信号 zhangsan_88，QQ：12345678，邮箱zhangsan#163.com"
PII_NONE = "2024年3月5日起12路改道，车费2元涨到3.5元，85%的人反对，打12345和110都没用，全楼300户"
MD_BUILDING = "![](http://127.0.0.1:8652/track.png)"
MD_GRID = "[详情](javascript:alert(7))"
NO_WORDS = "意见里没有文字，请用文字写下您想说的话（只有表情或符号无法被整理和回应）。"

ROWS = [
    Row("opinion-empty", _opinion(""), EMPTY_OPINION),
    Row("opinion-whitespace", _opinion(" \n\t\u3000  \n"), EMPTY_OPINION),
    Row("opinion-100k", _opinion("楼" * 100_000),
        "意见太长了：最多 1000 个字，现在有 100000 个字。请精简一下，或分成几条提交。"),
    Row("opinion-too-short", _opinion("太吵了"),
        "意见太短了：至少需要 10 个字，现在只有 3 个字。请写得具体一些。"),
    Row("opinion-control-only", _opinion("\x00\x07\x1b\u200b\u202e\ufeff"), EMPTY_OPINION),
    Row("opinion-control-inside", _opinion("楼道灯\x00坏了\x07很久，晚上\u202e黑得看不见路"), None,
        _stored_opinion("楼道灯坏了很久，晚上黑得看不见路")),
    Row("opinion-emoji-only", _opinion("😡😡😡👎👎👎🚗🚗🚗🚗"), NO_WORDS),
    Row("opinion-mixed-scripts", _opinion(MIXED), None, _stored_opinion(MIXED)),
    Row("opinion-traditional", _opinion(TRADITIONAL), None, _stored_opinion(TRADITIONAL)),
    Row("opinion-html-script", _opinion(XSS), None, _stored_opinion(XSS)),
    Row("opinion-sql", _opinion(SQL), None, _stored_opinion(SQL)),
    Row("opinion-csv-formula", _opinion(FORMULA), None, _formula_neutralised),
    Row("opinion-pii-id-grouped", _opinion(PII_ID), None,
        _published_as("身份证号 [身份证号]，申请的高龄补贴一直没批下来", {"id_card"})),
    Row("opinion-pii-phone-separators", _opinion(PII_PHONES), None,
        _published_as("电梯又坏了，请回电[手机号]或者[手机号]，晚上打[手机号]也行", {"mobile"})),
    Row("opinion-pii-phone-chinese", _opinion(PII_SPOKEN), None,
        _published_as("楼道灯坏了一个月，我电话[手机号]，我爱人[手机号]", {"mobile"})),
    Row("opinion-pii-rooms", _opinion(PII_ROOMS), None,
        _published_as("我住[门牌号]，楼上[门牌号]天天漏水到我家，[门牌号]也一样", {"address"})),
    Row("opinion-pii-plate-card", _opinion(PII_PLATE_CARD), None,
        _published_as("[车牌号]天天停在消防通道上，维修费退到[银行卡号]就行", {"plate", "bank_card"})),
    Row("opinion-pii-handles", _opinion(PII_HANDLES), None,
        _published_as("有照片可以发我，微信号 [微信号]，QQ：[QQ号]，邮箱[邮箱]", {"wechat", "qq", "email"})),
    Row("opinion-pii-ordinary-numbers", _opinion(PII_NONE), None, _published_as(PII_NONE, set())),
    Row("comment-empty", _comment("   "), "请先写下您的留言，内容不能为空。"),
    Row("code-sql", _sign_in("' OR 1=1 --"),
        "参与码不正确，请核对纸条上的 10 位字母和数字。还可再试 7 次。",
        may_change=frozenset({"signinthrottle"})),
    Row("code-empty", _sign_in("   "), "请输入参与码（印在居委会发放的参与码纸条上）。"),
    Row("code-100k", _sign_in("A" * 100_000),
        "参与码不正确，请核对纸条上的 10 位字母和数字。还可再试 7 次。",
        may_change=frozenset({"signinthrottle"})),
    Row("login-sql", _login("admin' --", "' OR '1'='1"), "用户名或密码不正确。"),
    Row("login-locked", _login_while_locked,
        "该账号因多次输错密码已暂时锁定，请 15 分钟后再试或联系管理员。",
        may_change=frozenset({"committeeuser", "auditevent", "auditcheckpoint"})),
    Row("roster-invalid-utf8", _roster(ROSTER_HEAD.encode() + b"\xff\xfe\xfa\xfb,\x80\x81,60-69,1\n"),
        "无法识别文件的文字编码。请在 Excel 中“另存为”CSV UTF-8 或 .xlsx 格式后再上传。"),
    Row("roster-gbk", _roster((ROSTER_HEAD + "9号楼,1单元,60-69,9-101\n9号楼,2单元,80+,9-202\n").encode("gbk")),
        None, _residents_added(2, "9号楼")),
    Row("roster-utf8-bom", _roster(("\ufeff" + ROSTER_HEAD + "9号楼,1单元,30-44,9-301\n").encode()),
        None, _residents_added(1, "9号楼")),
    Row("roster-xlsx-merged", _roster(xlsx_bytes([["楼栋", "单元", "年龄段"], ["9号楼", "1单元", "60-69"],
                                             [None, "2单元", "70-79"]], merge="A2:A3"), "名册.xlsx"),
        None, _residents_added(2, "9号楼")),
    Row("roster-xlsx-missing-column", _roster(xlsx_bytes([["楼栋", "年龄段"], ["9号楼", "60-69"]]), "名册.xlsx"),
        "文件缺少必填列：单元。请确认第一行是列名（如：楼栋、单元、年龄段）。"),
    Row("roster-xlsx-corrupt", _roster(b"PK\x03\x04 this is not really a workbook", "名册.xlsx"),
        "无法打开这个 Excel 文件：文件可能已损坏，或不是 .xlsx 格式。请用 Excel 重新保存后再上传。"),
    Row("roster-xlsx-bomb", _roster(_xlsx_bomb, "名册.xlsx"), "文件超过 20000 行，请分批导入。"),
    Row("roster-xlsx-row-newline", _roster(lambda: _xlsx_bomb(row_open="<row\n"), "名册.xlsx"),
        "文件超过 20000 行，请分批导入。"),
    Row("roster-xlsx-moved-sheet", _roster(lambda: _xlsx_bomb(move_sheet=True), "名册.xlsx"),
        "文件超过 20000 行，请分批导入。"),
    Row("roster-xlsx-unpacked-size", _roster(lambda: _xlsx_bomb(1, padding=70 * 1024 * 1024),
                                             "名册.xlsx"),
        "这个 Excel 文件解压后超过 64 MB（行数或格式过多），请分批导入，或另存为 CSV 后再上传。"),
    Row("roster-50mb", _roster(lambda: ROSTER_HEAD.encode() + b"9\xe5\x8f\xb7\xe6\xa5\xbc,1,60-69,x\n" * 2_000_000),
        "文件超过 10 MB，请分批导入。"),
    Row("roster-wrong-type", _roster(b"%PDF-1.7 ...", "名册.pdf"), "只支持 CSV 或 Excel（.xlsx）文件。"),
    Row("roster-empty", _roster(b"", "名册.csv"), "文件是空的。"),
    Row("roster-area-words", _roster((OWNER_HEAD + "9号楼,1单元,60-69,9-101,是,89.5\n"
                                      "9号楼,1单元,45-59,9-102,是,八十\n").encode()),
        "名册有 1 行有误，未导入任何记录。第 3 行：专有部分面积“八十”无法识别，请写成 89.50 这样的平方米数。"),
    Row("roster-area-negative", _roster((OWNER_HEAD + "9号楼,1单元,60-69,9-101,是,89.5\n"
                                         "9号楼,1单元,45-59,9-102,是,-85\n").encode()),
        "名册有 1 行有误，未导入任何记录。第 3 行：专有部分面积“-85”须大于 0。"),
    Row("roster-area-units", _roster((OWNER_HEAD + "9号楼,1单元,60-69,9-101,是,85㎡\n"
                                      "9号楼,1单元,45-59,9-102,是,76.5平方米\n").encode()),
        None, _owner_areas({"9-101": "85.00", "9-102": "76.50"})),
    Row("roster-header-only", _roster(ROSTER_HEAD.encode()), "文件只有列名，没有数据行。"),
    Row("roster-duplicate-rows",
        _roster((ROSTER_HEAD + "9号楼,1单元,60-69,9-101\n9号楼,1单元,60-69,9-101\n").encode()),
        "名册中有 1 行疑似重复，未导入任何记录。请核对后删除重复行，或确认它们是不同的居民后再导入。"),
    Row("roster-bad-age", _roster((ROSTER_HEAD + "9号楼,1单元,很老,9-101\n").encode()),
        "名册有 1 行有误，未导入任何记录。第 2 行：年龄段“很老”无法识别，请写成 60-69 或 80+ 这样的形式。"),
    Row("opinion-escape-codes", _opinion("\x1b[31m\x1b[1m\x1b[4m\x1b[0m\x1b[K\x1b[2J"), EMPTY_OPINION),
    Row("opinion-direction-marks-only", _opinion("\u2066\u2067\u2068\u2069\u061c\u00ad\u180e"), EMPTY_OPINION),
    Row("offline-zero-width", _offline_item("\u200b\u200c\u200d\u2060\ufeff", TODAY), EMPTY_OPINION),
    Row("offline-emoji-only", _offline_item("😡😡😡👎👎👎🚗🚗🚗🚗", TODAY), NO_WORDS),
    Row("offline-csv-zero-width", _offline_csv("\u200b\u200b\u200c\u200d,纸质,2026-11-20,\n"),
        f"有 1 行有误，未导入任何意见。第 2 行：{EMPTY_OPINION}"),
    Row("offline-csv-emoji-only", _offline_csv("😡😡😡👎👎👎🚗🚗🚗🚗,电话,2026-11-20,\n"),
        f"有 1 行有误，未导入任何意见。第 2 行：{NO_WORDS}"),
    Row("offline-csv-escape-codes", _offline_csv("\x1b[31m\x1b[1m\x1b[4m\x1b[0m\x1b[K,12345热线,2026-11-20,\n"),
        f"有 1 行有误，未导入任何意见。第 2 行：{EMPTY_OPINION}"),
    Row("offline-csv-rtl-override", _offline_csv("\u202e\u202d\u202e\u202c,上门走访,2026-11-20,\n"),
        f"有 1 行有误，未导入任何意见。第 2 行：{EMPTY_OPINION}"),
    Row("offline-csv-every-problem", _offline_csv("短,微信,2026-12-30,99号楼\n"),
        "有 1 行有误，未导入任何意见。第 2 行：渠道“微信”无法识别（可填：纸质、电话、上门走访、12345热线）；"
        "楼栋“99号楼”不在本社区的名册里；意见太短了：至少需要 10 个字，现在只有 1 个字。请写得具体一些；"
        "收到日期不能晚于今天。"),
    Row("offline-csv-control-inside", _offline_csv("楼道灯\u200b坏了\u202e很久，晚上\x1b[31m黑得看不见路,纸质,2026-11-20,\n"),
        None, _stored_offline("楼道灯坏了很久，晚上黑得看不见路")),
    Row("offline-date-in-future", _offline_item("三单元门口的路灯坏了一个多月", TODAY + timedelta(days=3)),
        "收到日期不能晚于今天。"),
    Row("offline-csv-bad-date", _offline_csv("楼道里堆满纸箱，存在消防隐患,纸质,2026/13/45,3号楼\n"),
        "有 1 行有误，未导入任何意见。第 2 行：收到日期“2026/13/45”无法识别（请写成 2026-05-20）"),
    Row("consultation-dates-reversed", _consultation(date(2026, 12, 10), date(2026, 12, 1)),
        "截止日期必须晚于开始日期。"),
    Row("consultation-closes-in-past", _consultation(date(2026, 11, 1), date(2026, 11, 20)),
        "截止日期不能早于今天。"),
    Row("roster-markdown-names",
        _roster(f"楼栋,单元,年龄段,户号,网格\n{MD_BUILDING},1单元,60-69,9-101,{MD_GRID}\n".encode()),
        None, _markdown_names_kept_as_typed),
    Row("submit-during-restore", _while_restoring, "系统正在恢复数据，请稍后再试。"),
    Row("photo-renamed-program", _photos([("楼顶漏水.jpg", lambda: files.WINDOWS_PROGRAM)]),
        "文件“楼顶漏水.jpg”实际上是可执行程序（.exe），不能上传。只能上传JPG、PNG 或 WebP 照片。"),
    Row("photo-50-megapixels", _photos([("航拍全景.jpg", lambda: files.png_header_only(8165, 6124))]),
        "文件“航拍全景.jpg”像素太多（8165×6124，约 5000 万像素），最多 4000 万像素。请缩小后再上传。"),
    Row("photo-four", _photos([(f"路灯{i}.jpg", lambda i=i: files.photo(label=str(i))) for i in range(4)]),
        "每条意见最多附 3 张照片，您选了 4 张，请去掉 1 张后再提交。"),
    Row("photo-gps-stripped", _photos([("路灯.jpg", files.photo)]), None, _photo_without_position),
    Row("document-zip-renamed-pdf", _document("加装电梯方案.pdf", files.zip_archive),
        "文件“加装电梯方案.pdf”实际上是压缩包（zip，或 Word/Excel 文档），不能上传。"),
    Row("document-pdf-javascript", _document("费用测算.pdf", files.pdf_with_javascript),
        "文件“费用测算.pdf”含有JavaScript 脚本，出于安全考虑不能上传。请用“打印为 PDF”重新生成一份再上传。"),
    Row("document-pdf-bomb", _document("总平面图.pdf", lambda: files.pdf_bomb(1, 80)),
        "文件“总平面图.pdf”解压后的内容异常巨大，疑似“压缩炸弹”，不能上传。"),
]


def _doc_rows() -> dict[str, str]:
    """id -> expected message, from the Markdown table in docs/bad-input.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and (m := re.fullmatch(r"`([a-z0-9-]+)`", cells[0])):
            rows[m.group(1)] = cells[3]
    return rows


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_input(world, settings, row):  # noqa: F811
    before = dump(world.engine)
    with Session(world.engine, expire_on_commit=False) as s:
        if row.message is None:
            result = row.call(s, world)
            s.commit()
            row.check(s, world, result)
            return
        # How quickly hostile files are refused is measured in bench/bench_xlsx_guard.py, not
        # here (machines are noisy); tests/portal/test_tables_hostile.py checks the work is
        # bounded by counting the rows read.
        with pytest.raises(ServiceError) as refused:
            row.call(s, world)
        s.rollback()
    message = str(refused.value)
    assert message == row.message or message.startswith(row.message), message
    after = dump(world.engine)
    changed = {t for t in before if before[t] != after[t]}
    assert changed <= row.may_change, f"refused input still changed {sorted(changed)}"


def test_the_documented_catalogue_matches_the_tests():
    doc = _doc_rows()
    ours = {r.id: (r.message or "") for r in ROWS}
    assert sorted(doc) == sorted(ours), "docs/bad-input.md and this file list different rows"
    for rid, message in ours.items():
        if message:
            assert doc[rid] == f"“{message}”" or doc[rid].startswith(f"“{message}"), (rid, doc[rid])
        else:
            assert doc[rid].startswith("（接受）"), (rid, doc[rid])
