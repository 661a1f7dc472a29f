"""Commands on the outbox of notifications."""

from __future__ import annotations

import click

from . import render
from .context import Settings, json_option, pass_settings
from .export import output_options


@click.group()
def outbox() -> None:
    """通知：待发送、已发送和发送失败的。"""


@outbox.command("list")
@click.option("--failed", is_flag=True, help="只列出发送失败的通知。")
@click.option("--case", "case_ref", help="只列出此案件的通知。")
@json_option
@output_options
@pass_settings
def outbox_list(settings: Settings, failed: bool, case_ref: str | None, as_json: bool) -> None:
    """列出通知（状态、尝试次数、最近一次错误）。

    \b
    示例：award outbox list --failed
    """
    rows = settings.outbox().list(failed=failed, case=case_ref)
    render.emit(rows, as_json=as_json, table=lambda: render.Table(
        "通知", ["#", "案件", "模板", "收件人", "主题", "状态", "次数", "错误"],
        [[r["id"], r["case"], r["template"], r["recipient"], r["subject"], _STATUS.get(r["status"], r["status"]),
          r["attempts"], r["last_error"]] for r in rows]))


_STATUS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败", "cancelled": "已撤回"}


@outbox.command("deliver")
@pass_settings
def outbox_deliver(settings: Settings) -> None:
    """发送现在到期的全部通知（失败的按间隔重试）。

    \b
    示例：award --deployment deployment.yaml outbox deliver
    """
    rep = settings.outbox().deliver()
    click.echo(f"发出 {len(rep.sent)} 条，稍后重试 {len(rep.retrying)} 条，失败 {len(rep.failed)} 条")
    for rid, err in rep.failed:
        click.echo(f"  #{rid} 失败：{err}", err=True)


@outbox.command("retry")
@click.argument("row_id", type=int, metavar="通知编号")
@pass_settings
def outbox_retry(settings: Settings, row_id: int) -> None:
    """把发送失败的通知重新排队，并立即重试。

    \b
    示例：award outbox retry 12
    """
    ob = settings.outbox()
    ob.retry(row_id)
    rep = ob.deliver()
    click.echo(f"已重新排队；发出 {len(rep.sent)} 条，失败 {len(rep.failed)} 条")


COMMANDS: list[click.Command] = [outbox]
