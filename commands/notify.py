"""Commands on the outbox of notifications: list, deliver, retry, test."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from . import render
from .context import Settings, json_option, pass_settings
from .export import output_options
from .params import RECORD_ID, page_note, page_options

if TYPE_CHECKING:
    from award.workflow.notify.delivery import DeliveryReport


@click.group()
def outbox() -> None:
    """通知：待发送、已发送和发送失败的。"""


def _when(value: str | datetime | None) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return render.shanghai(moment)


@outbox.command("list")
@click.option("--failed", is_flag=True, help="只列出发送失败或可能已发出（不确定）的通知。")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "spooled", "printed", "uncertain",
                                             "failed", "skipped"]), help="只列出此状态的通知。")
@click.option("--case", "case_ref", help="只列出此案件的通知。")
@page_options(1000, "条")
@json_option
@output_options
@pass_settings
def outbox_list(settings: Settings, failed: bool, status: str | None, case_ref: str | None, limit: int, offset: int,
                as_json: bool) -> None:
    """列出通知：状态、尝试次数、下次尝试时间、最近一次错误；正在发送的显示其占用期限。

    \b
    示例：award outbox list --failed
    """
    settings.member("查看通知")
    rows = settings.outbox().list(failed=failed, case=case_ref, status=status, limit=limit + 1, offset=offset)
    more, rows = len(rows) > limit, rows[:limit]
    page_note(offset, limit, more, "条")
    render.emit(rows, as_json=as_json, table=lambda: render.Table(
        "通知", ["#", "案件", "模板", "收件人", "主题", "状态", "次数", "下次尝试", "错误"],
        [[r["id"], r["case"], r["template"], r["recipient"], r["subject"], r["status_label"], r["attempts"],
          _when(r["next_attempt_at"]), r["last_error"] or ""] for r in rows]))


def _say(rep: DeliveryReport) -> list[str]:
    """What a run did, in the office's words: never "0 sent, 0 failed" without saying why."""
    done = [f"发出 {len(rep.sent)} 条"]
    if rep.spooled:
        done.append(f"写入邮件目录 {len(rep.spooled)} 条（尚未发给任何人）")
    if rep.printed:
        done.append(f"显示在终端 {len(rep.printed)} 条")
    done += [f"稍后重试 {len(rep.retrying)} 条", f"失败 {len(rep.failed)} 条"]
    if rep.uncertain:
        done.append(f"可能已发出 {len(rep.uncertain)} 条")
    lines = ["，".join(done)]
    for rid, err, when in rep.retrying:
        lines.append(f"  #{rid} 未发出：{err}；{render.shanghai(when)} 再试")
    for rid, err in rep.failed:
        lines.append(f"  #{rid} 失败：{err}")
    for rid, err in rep.uncertain:
        lines.append(f"  #{rid} 可能已发出：{err}")
    if rep.tried == 0:
        why = "没有到期待发的通知"
        if rep.waiting:
            why += f"；{rep.waiting} 条在等待重试，最早 {render.shanghai(rep.next_at)}" if rep.next_at else ""
        if rep.in_flight:
            why += f"；{rep.in_flight} 条正由其他投递进程发送中"
        if rep.lost:
            why += f"；{rep.lost} 条已被其他投递进程领走"
        lines.append(f"  （{why}）")
    return lines


@outbox.command("deliver")
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True,
              help="本次最多发送的条数。")
@pass_settings
def outbox_deliver(settings: Settings, limit: int) -> None:
    """发送现在到期的全部通知（失败的按间隔重试）：供 cron 或手工运行。

    Only the process that delivers needs the SMTP password and the robots' secrets.

    \b
    示例： AWARD_SMTP_PASSWORD=... award --deployment deployment.yaml outbox deliver
    """
    rep = settings.outbox().deliver(limit=limit)
    lines = _say(rep)
    click.echo(lines[0])
    for line in lines[1:]:
        click.echo(render.plain(line), err=True)


@outbox.command("retry")
@click.argument("row_id", type=RECORD_ID, metavar="通知编号")
@pass_settings
def outbox_retry(settings: Settings, row_id: int) -> None:
    """把发送失败（或可能已发出）的通知重新排队，立即重试，并说明结果。

    \b
    示例：award outbox retry 12
    """
    settings.member("重发通知")
    ob = settings.outbox()
    ob.retry(row_id)
    rep = ob.deliver(only=row_id)
    [row] = [r for r in ob.list() if r["id"] == row_id]
    if row["status"] in ("sent", "spooled", "printed"):
        click.echo(f"通知 #{row_id} {row['status_label']}：{row['recipient']}")
        return
    detail = f"：{row['last_error']}" if row["last_error"] else ""
    later = f"；{_when(row['next_attempt_at'])} 再试" if row["status"] == "pending" else ""
    click.echo(f"通知 #{row_id} 已重新排队，但这次仍未发出（{row['status_label']}）{detail}{later}")
    if not rep.tried:
        click.echo("  （它正由其他投递进程发送中）", err=True)


@outbox.command("test")
@click.option("--to", "address", required=True, help="测试邮件的收件地址（群聊渠道发到其群中）。")
@pass_settings
def outbox_test(settings: Settings, address: str) -> None:
    """立即通过每个已配置的渠道发送一条测试消息，并说明各自的回应。

    Nothing is written to the outbox. Exit 6 when any channel failed.

    \b
    示例： AWARD_SMTP_PASSWORD=... award outbox test --to wang@example.gov.cn
    """
    from award.workflow.errors import ConfigError
    from award.workflow.notify.channel_test import test_channels

    results = test_channels(settings.outbox(), address)
    bad = 0
    for channel, ok, what in results:
        click.echo(f"{channel}：{'成功' if ok else '失败'}，{what}")
        bad += not ok
    if bad:
        raise ConfigError(f"{bad} 个渠道未能发出测试通知；请按上面的原因修改部署文件或环境后重试")


COMMANDS: list[click.Command] = [outbox]
