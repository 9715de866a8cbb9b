"""`consult`: the portal's command line (database, demo data, accounts, audit, analysis)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from portal.cli_files import files_app
from portal.cli_outbox import outbox_app
from portal.cli_street import analyse, community_app
from portal.cli_themes import themes
from portal.services.errors import ServiceError
from portal.settings import get_settings
from portal.timefmt import format_datetime

# The database layer (SQLAlchemy, SQLModel, the models) is imported inside the commands that use
# it: `consult themes` works on files only, and those imports cost it about a second.

app = typer.Typer(help="社区议事厅命令行工具", no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="居委会账号管理", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
app.add_typer(user_app, name="user")
owners_app = typer.Typer(help="业主表决", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(community_app, name="community")
app.add_typer(outbox_app, name="outbox")
app.add_typer(files_app, name="files")
app.add_typer(owners_app, name="owners-vote")
app.command("themes")(themes)
app.command("analyse")(analyse)

err = Console(stderr=True)
out = Console()


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]错误：[/red]{message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _engine():  # type: ignore[no-untyped-def]
    from portal.db import DatabaseConfigError, make_engine

    try:
        return make_engine(get_settings().database_url)
    except DatabaseConfigError as exc:
        _fail(str(exc))


def _migrate() -> int | None:
    """Create or upgrade the schema and make sure the audit log has its sealed checkpoint;
    returns how many existing events were sealed (None when it already had one)."""
    from portal.db import DatabaseConfigError, session_scope, upgrade
    from portal.services.audit import seal_if_missing

    try:
        upgrade(get_settings().database_url)
    except DatabaseConfigError as exc:
        _fail(str(exc))
    with session_scope(_engine()) as session:
        sealed = seal_if_missing(session)
        session.commit()
    return sealed


@app.command("init-db")
def init_db() -> None:
    """创建或升级数据库结构（Alembic 迁移），并为审计日志建立检查点。"""
    sealed = _migrate()
    out.print("数据库已是最新结构。")
    if sealed:
        out.print(f"已为现有的 {sealed} 条审计记录建立检查点。")


@app.command("demo")
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="数据库已有数据时什么也不做")] = False,
    seed: Annotated[int, typer.Option(help="随机种子：同一种子生成同样的数据")] = 2026,
) -> None:
    """生成演示社区：楼栋、名册、三个议题、意见、投票、留言和回应。"""
    from portal.db import session_scope
    from portal.services.demo import ALL_ACCOUNTS, build_demo, database_has_data

    _migrate()
    engine = _engine()
    with session_scope(engine) as session:
        if database_has_data(session):
            if if_empty:
                out.print("数据库已有数据，跳过演示数据生成。")
                _print_accounts(ALL_ACCOUNTS)
                return
            _fail("数据库已有数据。请换一个空数据库，或加 --if-empty 跳过。")
    summary = build_demo(engine, seed=seed, progress=lambda m: out.print(m))
    out.print(summary)
    _print_accounts(ALL_ACCOUNTS)


def _print_accounts(accounts) -> None:  # type: ignore[no-untyped-def]
    from portal.models import Role

    out.print("\n演示账号（仅供本机试用）：")
    for place, (username, password, role) in accounts:
        out.print(f"  {place} {Role(role).label:<6} 用户名 {username:<12} 密码 {password}", highlight=False)
    out.print("  居民参与码：用 `consult codes --demo 5 --community wutongli` 生成，或在工作台发放。")
    out.print("  社区首页：/?c=wutongli（梧桐里社区）、/?c=yinxingyuan（银杏苑社区）；/ 是清河街道的首页。")


@app.command("codes")
def codes(
    demo_n: Annotated[int, typer.Option("--demo", help="为前 N 位演示居民重新发放参与码并打印")] = 5,
    community: Annotated[str, typer.Option("--community", help="社区代号（有多个社区时必填）")] = "",
) -> None:
    """发放参与码（演示用：打印前 N 位居民的新参与码）。"""
    from sqlmodel import col, select

    from portal.db import unit_of_work
    from portal.models import Area, Resident
    from portal.services.actors import SystemActor
    from portal.services.identity import issue_code
    from portal.services.tenancy import community_by_slug, home_community

    engine = _engine()

    def issue(session) -> list[str]:  # type: ignore[no-untyped-def]
        where = (community_by_slug(session, community) if community
                 else home_community(session, SystemActor("cli")))
        residents = session.exec(select(Resident).where(Resident.community_id == where.id)
                                 .order_by(col(Resident.id)).limit(demo_n)).all()
        lines = []
        for r in residents:
            code = issue_code(session, actor=SystemActor("cli"), resident_id=r.id)
            area = session.get(Area, r.area_id)
            lines.append(f"  {area.grid if area else ''} {area.name if area else ''} {r.unit}  参与码 {code}")
        return lines

    try:
        lines = unit_of_work(engine, issue)  # printed only once they are saved
    except ServiceError as exc:
        _fail(str(exc) + ("" if community else " 请加 --community 社区代号（consult community list 列出代号）。"))
    if not lines:
        _fail("数据库里还没有居民名册。先运行 `consult demo` 或导入名册。")
    for line in lines:
        out.print(line)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin / reviewer / clerk / street_admin")] = "clerk",
    display_name: Annotated[str, typer.Option("--name", help="显示名")] = "",
    community: Annotated[str, typer.Option("--community", help="所属社区代号（社区工作人员）")] = "",
    street: Annotated[str, typer.Option("--street", help="所属街道名称（街道管理员）")] = "",
    password: Annotated[str, typer.Option(prompt="密码", hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """新建账号：社区工作人员用 --community，街道管理员用 --role street_admin --street。"""
    from portal.db import unit_of_work
    from portal.models import Role
    from portal.services.actors import SystemActor
    from portal.services.identity import create_user
    from portal.services.tenancy import community_by_slug, street_by_name

    if role not in {r.value for r in Role}:
        _fail(f"角色只能是 admin、reviewer、clerk 或 street_admin，收到“{role}”。")
    chosen = Role(role)
    if chosen == Role.STREET_ADMIN and not street:
        _fail("街道管理员需要指定所属街道：--street 街道名称。")
    if chosen != Role.STREET_ADMIN and street:
        _fail("--street 只用于街道管理员（--role street_admin）；社区工作人员请用 --community 社区代号。")

    def create(session):  # type: ignore[no-untyped-def]
        community_id = community_by_slug(session, community).id if community else None
        street_id = street_by_name(session, street).id if street else None
        return create_user(session, actor=SystemActor("cli"), username=username, password=password,
                           role=chosen, display_name=display_name, community_id=community_id,
                           street_id=street_id)

    try:
        unit_of_work(_engine(), create)
    except ServiceError as exc:
        _fail(str(exc))
    where = f"，{street}" if street else (f"，社区 {community}" if community else "")
    out.print(f"已创建账号 {username}（{chosen.label}{where}）。", highlight=False)


@user_app.command("list")
def user_list() -> None:
    """列出居委会账号（角色、状态、最近登录）。"""
    from portal.db import session_scope
    from portal.models import Role
    from portal.services.actors import SystemActor
    from portal.services.identity import list_users

    with session_scope(_engine()) as session:
        users = list_users(session, actor=SystemActor("cli"))
    if not users:
        out.print("还没有账号。用 `consult user add 用户名 --role admin` 新建。")
        return
    for u in users:
        state = "启用" if u.active else "已停用"
        last = format_datetime(u.last_login_at, empty="从未登录")
        out.print(f"  {u.username:<12} {u.display_name:<8} {Role(u.role).label:<4} {state}  最近登录 {last}",
                  highlight=False)


@user_app.command("reset")
def user_reset(
    username: str,
    password: Annotated[str, typer.Option(prompt="新密码", hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """重设密码并解除锁定。"""
    from portal.db import unit_of_work
    from portal.services.actors import SystemActor
    from portal.services.identity import reset_password

    try:
        unit_of_work(_engine(), lambda session: reset_password(
            session, actor=SystemActor("cli"), username=username, password=password))
    except ServiceError as exc:
        _fail(str(exc))
    out.print(f"已重设 {username} 的密码。")


@app.command("backup")
def backup(
    out_path: Annotated[str, typer.Argument(metavar="OUT", help="备份文件路径，如 backups/portal-2026-11-26.sqlite")],
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的同名备份文件")] = False,
) -> None:
    """备份数据库（SQLite：运行中也能得到一致的副本；PostgreSQL：给出 pg_dump 命令）。"""
    from pathlib import Path

    from portal.services.backup import NotSQLite, backup_sqlite, postgres_advice

    settings = get_settings()
    try:
        info = backup_sqlite(settings.database_url, Path(out_path), force=force)
    except NotSQLite:
        out.print(postgres_advice(settings.database_url, out_path), highlight=False, soft_wrap=True)
        raise typer.Exit(3) from None
    except ServiceError as exc:
        _fail(str(exc))
    rows = "，".join(f"{t} {n}" for t, n in info.rows.items())
    out.print(f"已备份到 {info.path}（{info.size_bytes / 1024:.0f} KB，结构版本 {info.revision}；{rows}）。",
              highlight=False, soft_wrap=True)
    if not os.environ.get("PORTAL_SECRET_KEY"):
        out.print(f"提醒：参与码和登录凭据依赖密钥文件 {settings.var_dir / 'secret_key'}，"
                  "请把它另行妥善保存；换机器恢复时一并放回，否则已发放的参与码将全部失效。",
                  highlight=False, soft_wrap=True)


@app.command("restore")
def restore(
    in_path: Annotated[str, typer.Argument(metavar="IN", help="由 consult backup 生成的备份文件")],
    force: Annotated[bool, typer.Option("--force", help="当前数据库已有数据时仍然覆盖")] = False,
) -> None:
    """从备份恢复数据库；当前数据库有数据时需加 --force。"""
    from pathlib import Path

    from portal.services.backup import NotSQLite, postgres_advice, restore_sqlite

    settings = get_settings()
    try:
        info = restore_sqlite(settings.database_url, Path(in_path), force=force)
    except NotSQLite:
        out.print(postgres_advice(settings.database_url, in_path, restore=True), highlight=False, soft_wrap=True)
        raise typer.Exit(3) from None
    except ServiceError as exc:
        _fail(str(exc))
    rows = "，".join(f"{t} {n}" for t, n in info.rows.items())
    out.print(f"已从 {info.path} 恢复数据库（结构版本 {info.revision}；{rows}）。", highlight=False, soft_wrap=True)


@app.command("notice")
def notice(
    consultation_id: Annotated[int, typer.Argument(metavar="ID", help="已公示议题的编号")],
    out_dir: Annotated[str, typer.Option("--out", help="输出文件夹")] = ".",
) -> None:
    """导出已公示议题的公示单（A4 PDF）和开放数据（CSV、JSON、ZIP），供打印张贴或发布。"""
    from pathlib import Path

    from portal.db import session_scope
    from portal.services.publishing import notice_pdf, opendata

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(_engine()) as session:
        try:
            pdf = notice_pdf.notice_pdf(session, consultation_id)
            data = opendata.collect(session, consultation_id)
        except ServiceError as exc:
            _fail(str(exc))
    stem = opendata.file_stem(data)
    files = {f"{stem}-notice.pdf": pdf, f"{stem}-opinions.csv": opendata.opinions_csv(data),
             f"{stem}.json": opendata.to_json_bytes(data), f"{stem}-tables.zip": opendata.to_zip_bytes(data)}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    out.print(f"已导出“{data.consultation['title']}”的公示单和开放数据到 {folder}：" + "、".join(files),
              highlight=False, soft_wrap=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计日志的哈希链；发现篡改时退出码为 1。"""
    from portal.db import session_scope
    from portal.services.audit import verify_chain

    with session_scope(_engine()) as session:
        report = verify_chain(session)
    if report.ok:
        out.print(report.message)
    else:
        err.print(report.message)
        raise typer.Exit(1)


@owners_app.command("tally")
def owners_vote_tally(
    vote_id: Annotated[int, typer.Argument(metavar="ID", help="业主表决的编号")],
) -> None:
    """从保存的选票重新计票（按《民法典》第二百七十八条），并与结束时保存的计票比对；不一致时退出码为 1。"""
    from portal.db import session_scope
    from portal.services.decisions import fmt_m2, percent, recompute_tally, rule_text

    with session_scope(_engine()) as session:
        try:
            check = recompute_tally(session, vote_id=vote_id)
        except ServiceError as exc:
            _fail(str(exc))
    t, v = check.tally, check.vote
    yes, no = "达到", "未达到"
    lines = [
        f"业主表决 #{v.id}：{v.title}",
        rule_text(t.matter),
        f"参与：{t.voted_households} / {t.eligible_households} 户（{percent(t.participation_head_share)}，"
        f"{yes if t.participation_heads_met else no}）；{fmt_m2(t.voted_area)} / {fmt_m2(t.eligible_area)} m²"
        f"（{percent(t.participation_area_share)}，{yes if t.participation_area_met else no}）",
        f"同意：{t.agree_households} / {t.voted_households} 户（{percent(t.agree_head_share)}，"
        f"{yes if t.agreement_heads_met else no}）；{fmt_m2(t.agree_area)} / {fmt_m2(t.voted_area)} m²"
        f"（{percent(t.agree_area_share)}，{yes if t.agreement_area_met else no}）",
        f"反对 {t.oppose_households} 户（{fmt_m2(t.oppose_area)} m²），弃权 {t.abstain_households} 户"
        f"（{fmt_m2(t.abstain_area)} m²）",
        t.outcome_text(),
    ]
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)
    if check.matches is None:
        out.print("表决尚未结束，没有保存的计票可比对。", highlight=False)
    elif check.matches:
        out.print("与结束时保存的计票一致。", highlight=False)
    else:
        err.print(f"与结束时保存的计票不一致！保存的是：{check.stored}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    try:
        app()
    except Exception as exc:
        from portal.db import DatabaseConfigError

        if not isinstance(exc, DatabaseConfigError):
            raise
        err.print(f"错误：{exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
