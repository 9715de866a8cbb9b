"""`consult files`: the stored documents and photos (database or S3-compatible store)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from portal.settings import get_settings

files_app = typer.Typer(help="附件和照片的存储", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} 字节"


@files_app.command("prune")
def prune(
    grace_hours: Annotated[float, typer.Option("--grace-hours", min=0,
                                               help="只删除存入超过这么多小时的文件（正在上传的不会被删）")] = 24,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只统计，不删除")] = False,
) -> None:
    """删除不再被任何资料或照片引用的文件（数据库中的，以及配置了 S3 时存储中的对象）。"""
    from datetime import timedelta

    from sqlmodel import Session

    from portal.db import DatabaseConfigError, make_engine, unit_of_work
    from portal.services.actors import SystemActor
    from portal.services.documents.prune import delete_objects, prune_files
    from portal.services.documents.storage import StorageUnavailable

    try:
        engine = make_engine(get_settings().database_url)
    except DatabaseConfigError as exc:
        err.print(f"错误：{exc}", highlight=False)
        raise typer.Exit(2) from None
    grace = timedelta(hours=grace_hours)
    try:
        plan = unit_of_work(engine, lambda s: prune_files(s, actor=SystemActor("cli"), grace=grace, dry_run=dry_run))
        if not dry_run:  # after the commit, outside unit_of_work: its retries re-run the work
            with Session(engine) as session:
                plan = delete_objects(session, plan)
    except StorageUnavailable as exc:
        err.print(f"错误：{exc}", highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - botocore's errors when listing the store
        if type(exc).__module__.startswith(("botocore", "boto3")):
            err.print(f"错误：文件存储暂时无法访问（{type(exc).__name__}），没有删除任何文件。", highlight=False)
            raise typer.Exit(2) from None
        raise
    age = f"{grace_hours:g} 小时"
    if not plan.files:
        out.print(f"没有需要清理的文件（只看存入超过 {age} 且不再被引用的文件）。")
        return
    what = f"{plan.files} 个文件，共 {_size(plan.bytes)}"
    if plan.stray_objects:
        what += f"（其中 S3 存储中没有记录的对象 {plan.stray_objects} 个）"
    if dry_run:
        out.print(f"试运行：将删除 {what}。没有删除任何文件；去掉 --dry-run 即实际删除。")
        return
    out.print(f"已删除 {what}，已记入审计日志。")
    if plan.s3_failed:
        err.print(f"注意：S3 存储中有 {plan.s3_failed} 个对象这次没能删除，下次运行时会再试。", highlight=False)
        raise typer.Exit(1)
