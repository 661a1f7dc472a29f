"""Printing a dry run's preview, and asking before a step that cannot be taken back by an ordinary step."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from . import render

yes_option = click.option("--yes", "-y", "yes", is_flag=True,
                          help="不再询问，直接执行会办结案件或撤销奖励的操作（脚本中没有终端时必须加）。")
dry_run_option = click.option("--dry-run", "dry_run", is_flag=True,
                              help="试运行：检查条件并显示将发生的变化，不写入任何内容。")


def confirm(reasons: list[str], what: str, yes: bool) -> None:
    """Ask at a terminal; without one, `--yes` is required (exit 2)."""
    if not reasons or yes:
        return
    message = f"{what}：" + "；".join(reasons) + "。"
    if not sys.stdin.isatty():
        raise click.UsageError(message + "此操作不能用普通操作撤回（只能用 award case correct 更正）；"
                               "在脚本中执行请加 --yes，或先用 --dry-run 查看")
    click.confirm(message + "确定执行吗？", abort=True, err=True)


def show_preview(preview: Any, *, header: str = "试运行（未写入任何内容）") -> None:
    from award.workflow.labels import event_kind, timer_status

    click.echo(header + "：")
    for ref, seq, kind, trigger in preview.events:
        click.echo(f"  {ref}：将记入第{seq}条记录（{event_kind(kind)}{'：' + trigger if trigger else ''}）")
    for ref, tid, what, old, new in preview.timers_changed:
        click.echo(f"  {ref}：定时 #{tid}（{what}）将由“{timer_status(old)}”变为“{timer_status(new)}”")
    for ref, _tid, what, due in preview.timers_planned:
        click.echo(f"  {ref}：将设定定时（{what}），{render.shanghai(datetime.fromisoformat(due))} 到期")
    for ref, to_whom, subject, _status in preview.notifications:
        click.echo(f"  {ref}：将通知 {to_whom}《{subject}》")
    if not (preview.events or preview.timers_changed or preview.timers_planned or preview.notifications):
        click.echo("  无任何变化")
