"""`consult community …` and `consult analyse`: communities as tenants and the batch analysis
(decision 0025). Registered on the main `consult` app in portal/cli.py."""

from __future__ import annotations

from typing import Annotated

import typer

community_app = typer.Typer(help="社区（租户）管理：一个部署可以承载一个街道的多个社区", no_args_is_help=True)


def _cli():  # type: ignore[no-untyped-def]
    from portal import cli

    return cli


@community_app.command("add")
def community_add(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="社区代号（网址用），如 wutongli")],
    name: Annotated[str, typer.Option("--name", help="社区名称，如 梧桐里社区")],
    street: Annotated[str, typer.Option("--street", help="所属街道（没有时新建），如 清河街道")] = "",
    district: Annotated[str, typer.Option("--district", help="所在区，如 临江区")] = "",
) -> None:
    """新建社区；居民从 /?c=SLUG 进入本社区的首页。"""
    from portal.db import unit_of_work
    from portal.services.actors import SystemActor
    from portal.services.errors import ServiceError
    from portal.services.tenancy import add_community, home_path

    cli = _cli()
    cli._migrate()
    try:
        c = unit_of_work(cli._engine(), lambda session: add_community(
            session, actor=SystemActor("cli"), slug=slug, name=name, street=street or None, district=district))
    except ServiceError as exc:
        cli._fail(str(exc))
    cli.out.print(f"已新建社区 {c.name}（代号 {c.slug}{'，' + street if street else ''}）。"
                  f"首页地址：{cli.get_settings().public_link(home_path(c.slug))}", highlight=False)


@community_app.command("move")
def community_move(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    street: Annotated[str, typer.Option("--street", help="街道名称（没有时新建）")],
) -> None:
    """把社区归入一个街道（例如从单社区数据库升级而来的社区）。"""
    from portal.db import unit_of_work
    from portal.services.actors import SystemActor
    from portal.services.errors import ServiceError
    from portal.services.tenancy import move_community

    cli = _cli()
    try:
        c = unit_of_work(cli._engine(), lambda session: move_community(
            session, actor=SystemActor("cli"), slug=slug, street=street))
    except ServiceError as exc:
        cli._fail(str(exc))
    cli.out.print(f"{c.name} 已归入 {street.strip()}。", highlight=False)


@community_app.command("list")
def community_list() -> None:
    """列出社区：每个社区一行（代号、名称、街道、居民数、议题数、账号数）。"""
    from portal.db import session_scope
    from portal.services.actors import SystemActor
    from portal.services.street import community_lines

    cli = _cli()
    with session_scope(cli._engine()) as session:
        lines = community_lines(session, actor=SystemActor("cli"))
    if not lines:
        cli.out.print("还没有社区。用 `consult community add 代号 --name 名称 --street 街道` 新建，或运行 `consult demo`。")
        return
    for line in lines:
        cli.out.print(f"  {line.slug:<14} {line.name:<10} {line.street or '（未归入街道）':<10} "
                      f"居民 {line.residents:>6}  议题 {line.consultations:>3}  账号 {line.staff:>3}", highlight=False)


def analyse(
    all_: Annotated[bool, typer.Option("--all", help="分析所有意见或整理有变化的议题")] = False,
    consultation: Annotated[int | None, typer.Option("--consultation", help="只分析这个编号的议题")] = None,
    community: Annotated[str, typer.Option("--community", help="只分析这个社区（代号）的议题")] = "",
    force: Annotated[bool, typer.Option("--force", help="没有变化也重新分析")] = False,
) -> None:
    """批量意见分析（可由 cron 在多台机器上同时运行：每个议题一把数据库锁，同一议题不会被分析两次）。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from portal.db import session_scope
    from portal.services.actors import SystemActor
    from portal.services.errors import ServiceError
    from portal.services.review.batch import ANALYSED, BUSY, FAILED, analysable, analyse_one
    from portal.services.tenancy import community_by_slug

    cli = _cli()
    if not all_ and consultation is None and not community:
        cli._fail("请用 --all 分析全部有变化的议题，或用 --consultation 编号 / --community 代号 指定范围。")
    actor = SystemActor("cli:analyse")
    engine = cli._engine()
    try:
        with session_scope(engine) as session:
            community_id = community_by_slug(session, community).id if community else None
            items = analysable(session, actor=actor, consultation_id=consultation, community_id=community_id)
    except ServiceError as exc:
        cli._fail(str(exc))
    results = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=cli.err, transient=True) as bar:
        task = bar.add_task("意见分析", total=len(items))
        for item in items:
            bar.update(task, description=f"{item.community} · {item.title[:16]}")
            results.append(analyse_one(engine, actor=actor, item=item, force=force))
            bar.advance(task)
    done = [r for r in results if r.outcome == ANALYSED]
    for r in results:
        if r.outcome in (ANALYSED, BUSY, FAILED):
            cli.out.print(f"  #{r.consultation_id} {r.community} · {r.title}：{r.outcome_label}"
                          f"{'（' + r.message + '）' if r.message else ''}", highlight=False, soft_wrap=True)
    if not done:
        cli.out.print("没有需要分析的议题。" if not any(r.outcome == FAILED for r in results) else "没有议题分析成功。")
    else:
        cli.out.print(f"已分析 {len(done)} 个议题；其余 {len(results) - len(done)} 个没有变化或已跳过。")
    if any(r.outcome == FAILED for r in results):
        raise typer.Exit(1)
