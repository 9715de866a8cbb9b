"""`consult outbox`: deliver the notification outbox from cron, see its state, print paper notices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from portal.settings import get_settings

outbox_app = typer.Typer(help="居民通知的发送队列（邮件、短信、上门纸条）", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _engine():  # type: ignore[no-untyped-def]
    from portal.db import DatabaseConfigError, make_engine

    try:
        return make_engine(get_settings().database_url)
    except DatabaseConfigError as exc:
        err.print(f"错误：{exc}", highlight=False)
        raise typer.Exit(2) from None


@outbox_app.command("send")
def send(
    limit: Annotated[int, typer.Option(help="本次最多处理多少条（0 = 全部到期的）")] = 0,
    batch: Annotated[int, typer.Option(help="每次认领多少条")] = 20,
    lease_seconds: Annotated[int, typer.Option("--lease-seconds", help="认领后多久无结果可由其他进程接手")] = 300,
    closing_hours: Annotated[int, typer.Option("--closing-hours", help="提醒多少小时内截止的议题（0 = 不提醒）")] = 24,
) -> None:
    """发送到期的邮件和短信（可放进 cron，多台机器同时运行也不会重复发送）。"""
    from portal.db import unit_of_work
    from portal.services.notifications import queue_closing_soon, send_due
    from portal.services.notifications.crypto import ContactKeyError
    from portal.services.notifications.transports import NotConfigured

    engine = _engine()
    if closing_hours > 0:
        told = unit_of_work(engine, lambda s: queue_closing_soon(s, hours=closing_hours))
        if told:
            out.print(f"已为 {told} 位居民写入“即将截止”提醒。")
    try:
        report = send_due(engine, batch=batch, lease_seconds=lease_seconds, limit=limit or None)
    except (ContactKeyError, NotConfigured, ValueError) as exc:
        err.print(f"错误：{exc}", highlight=False)
        raise typer.Exit(2) from None
    out.print(f"已发送：邮件 {report.sent.get('email', 0)} 封，短信 {report.sent.get('sms', 0)} 条；"
              f"稍后重试 {report.retried}，放弃 {report.failed}，推迟（免打扰时段或每日上限）{report.deferred}，"
              f"已退订取消 {report.cancelled}。", highlight=False)
    for e in dict.fromkeys(report.errors):
        out.print(f"  · {e}", highlight=False)


@outbox_app.command("status")
def status() -> None:
    """各渠道待发送、已发送、失败的数量，以及最近的失败原因（不显示联系方式）。"""
    from portal.db import session_scope
    from portal.models import DeliveryChannel, OutboxStatus
    from portal.services.actors import SystemActor
    from portal.services.notifications import outbox_status
    from portal.timefmt import format_datetime

    with session_scope(_engine()) as session:
        view = outbox_status(session, actor=SystemActor("cli"))
    for ch in DeliveryChannel:
        parts = "，".join(f"{st.label} {view.count(ch, st)}" for st in OutboxStatus)
        out.print(f"{ch.label}：{parts}", highlight=False)
    out.print(f"现在到期待发送：{view.due_now}", highlight=False)
    for label in view.unconfigured:
        out.print(f"提醒：有{label}在等待，但还没有配置发送渠道（见 README 的配置表）。", highlight=False)
    for f in view.failures:
        out.print(f"  失败 #{f.id} {f.channel_label} {f.building}「{f.title}」尝试 {f.attempts} 次："
                  f"{f.error}（{format_datetime(f.created_at)}）", highlight=False)


@outbox_app.command("print")
def print_paper(
    out_path: Annotated[str, typer.Argument(metavar="OUT", help="PDF 文件路径")],
    mark: Annotated[bool, typer.Option("--mark", help="打印后标记为已送达（移出队列）")] = False,
) -> None:
    """把没有邮件、短信、也不上网的居民的待送达通知按楼栋打印成 PDF，供上门送达。"""
    from portal.db import unit_of_work
    from portal.services.actors import SystemActor
    from portal.services.notifications.paper import print_door_to_door

    pdf, n = unit_of_work(_engine(), lambda s: print_door_to_door(s, actor=SystemActor("cli"), mark_delivered=mark))
    Path(out_path).write_bytes(pdf)
    out.print(f"已写入 {out_path}：{n} 份上门通知" + ("，已标记为送达。" if mark and n else "。"), highlight=False)
