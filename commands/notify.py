"""Commands on the outbox of notifications."""

from __future__ import annotations

import click

from . import render
from .context import Settings, json_option, pass_settings


@click.group()
def outbox() -> None:
    """Notifications waiting, sent and failed."""


@outbox.command("list")
@click.option("--failed", is_flag=True, help="Only the failed ones.")
@click.option("--case", "case_ref")
@json_option
@pass_settings
def outbox_list(settings: Settings, failed: bool, case_ref: str | None, as_json: bool) -> None:
    """List notifications (status, attempts, last error).

    \b
    Example: award outbox list --failed
    """
    rows = settings.outbox().list(failed=failed, case=case_ref)
    render.emit(rows, as_json=as_json, table=lambda: render.Table(
        "通知", ["#", "案件", "模板", "收件人", "主题", "状态", "次数", "错误"],
        [[r["id"], r["case"], r["template"], r["recipient"], r["subject"], r["status"], r["attempts"],
          r["last_error"]] for r in rows]))


@outbox.command("deliver")
@pass_settings
def outbox_deliver(settings: Settings) -> None:
    """Deliver every notification that is due now (with retries and backoff).

    \b
    Example: award --deployment deployment.yaml outbox deliver
    """
    rep = settings.outbox().deliver()
    click.echo(f"发出 {len(rep.sent)} 条，稍后重试 {len(rep.retrying)} 条，失败 {len(rep.failed)} 条")
    for rid, err in rep.failed:
        click.echo(f"  #{rid} 失败：{err}", err=True)


@outbox.command("retry")
@click.argument("row_id", type=int)
@pass_settings
def outbox_retry(settings: Settings, row_id: int) -> None:
    """Put a failed notification back in the queue, and try it now.

    \b
    Example: award outbox retry 12
    """
    ob = settings.outbox()
    ob.retry(row_id)
    rep = ob.deliver()
    click.echo(f"已重新排队；发出 {len(rep.sent)} 条，失败 {len(rep.failed)} 条")


COMMANDS: list[click.Command] = [outbox]
