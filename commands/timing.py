"""Commands on time: tick, timers, the scheduler, the working-day calendar."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from . import render
from .context import Settings, json_option, pass_settings
from .export import output_options
from .params import DAY, INTERVAL, RECORD_ID

if TYPE_CHECKING:
    from award.workflow.timing.periods import Period
    from award.workflow.timing.timers import TickReport
    from award.workflow.values import Due


@click.command()
@json_option
@pass_settings
def tick(settings: Settings, as_json: bool) -> None:
    """Fire every due timer once, oldest first (run it from cron every few minutes).

    \b
    Example crontab line:  */5 * * * *  cd /srv/award && award tick >> tick.log 2>&1
    """
    from award.workflow.timing.timers import tick as run_tick

    engine = settings.engine()
    report = run_tick(engine)
    render.emit({"fired": report.fired, "held": report.held, "failed": report.failed}, as_json=as_json,
                show=lambda: _print_tick(report))


def _print_tick(report: TickReport) -> None:
    for tid, ref, what, detail in report.fired:
        click.echo(render.plain(f"已触发 #{tid} {ref}：{what}　{detail}"))
    for tid, ref, _what, detail in report.held:
        click.echo(render.plain(f"暂缓 #{tid} {ref}：{detail}"))
    for tid, ref, _what, detail in report.failed:
        click.echo(render.plain(f"失败 #{tid} {ref}：{detail}"), err=True)
    click.echo(f"触发 {len(report.fired)} 个，暂缓 {len(report.held)} 个，失败 {len(report.failed)} 个")


@click.group()
def timers() -> None:
    """Durable timers: what is due when, and why a timer was held or failed."""


@timers.command("list")
@click.option("--case", "case_ref")
@click.option("--status", type=click.Choice(["pending", "held", "blocked", "failed", "fired", "cancelled", "overdue"]))
@click.option("--provisional", is_flag=True,
              help="Only what still waits for calendar data: provisional due times and timers blocked for an unknown year.")
@json_option
@output_options
@pass_settings
def timers_list(settings: Settings, case_ref: str | None, status: str | None, provisional: bool,
                as_json: bool) -> None:
    """List timers (oldest due first).

    \b
    Example: award timers list --status held
             award timers list --provisional
    """
    from award.workflow.timing.timers import list_timers

    settings.member("查看定时")
    rows = list_timers(settings.engine(), case=case_ref, status=status, provisional=provisional)
    kinds = {"transition": "", "reminder": "提醒：", "duty": "义务：", "mark": "标记："}
    render.emit(rows, as_json=as_json, table=lambda: render.Table(
        "定时", ["#", "案件", "案件状态", "事项", "到期", "最后一日", "规则", "定时状态", "说明"],
        [[r["id"], r["case"], r["state"],
          kinds.get(r["kind"], "") + (r["trigger"] or r["duty"] or r["kind"]) + (f" 第{r['index']}次" if r["index"] else ""),
          render.shanghai(r["due_at"]) + ("（暂定）" if r["provisional"] else ""),
          r["last_day"], r["rule"], _TIMER_STATUS.get(r["status"], r["status"]), r["note"]]
         for r in rows]))


_TIMER_STATUS = {"pending": "待到期", "held": "暂停（条件未满足）", "failed": "失败", "fired": "已触发",
                 "cancelled": "已取消", "overdue": "已逾期"}


@timers.command("retry")
@click.argument("timer_id", type=RECORD_ID)
@pass_settings
def timers_retry(settings: Settings, timer_id: int) -> None:
    """Put a failed or held timer back in the queue (after fixing what stopped it).

    \b
    Example: award timers retry 12
    """
    from award.workflow.timing.timers import retry_timer

    click.echo(retry_timer(settings.engine(), timer_id, actor=settings.actor()))


@click.command()
@click.option("--interval", type=INTERVAL, default=60, show_default=True, help="Seconds between wake-ups at the most.")
@pass_settings
def scheduler(settings: Settings, interval: int) -> None:
    """Run the long-lived scheduler: wakes at the next due timer and at least every INTERVAL seconds.

    Deadlines stay in the database; it is safe to run beside cron ticks. Stops cleanly on SIGTERM.

    \b
    Example: award --db postgresql://award@db/award scheduler
    """
    from award.workflow.timing.scheduler import Scheduler

    Scheduler(engine=settings.engine(), deliverer=settings.outbox(), interval=interval, echo=click.echo).run()


@click.group()
def calendar() -> None:
    """The official working-day calendar (the code the timers use)."""


@calendar.command("day")
@click.argument("day", type=DAY)
@json_option
@pass_settings
def calendar_day(settings: Settings, day: Any, as_json: bool) -> None:
    """Is DAY a working day, and why (weekend, holiday, make-up day)?

    \b
    Example: award calendar day 2026-10-10
    """
    info = _calendar(settings).day(day)
    weekday = "一二三四五六日"[info.day.weekday()]
    render.emit(info, as_json=as_json,
                text=f"{info.day}（星期{weekday}）：{'工作日' if info.working else '休息日'}　{info.reason}"
                     f"　[{info.source}]" + ("　暂定：次年放假安排公布后可能变化" if info.provisional else ""))


@calendar.command("due")
@click.argument("start")
@click.argument("period")
@click.option("--start-day-counts", is_flag=True, help="Count the start day itself (definitions say which).")
@json_option
@pass_settings
def calendar_due(settings: Settings, start: str, period: str, start_day_counts: bool, as_json: bool) -> None:
    """When a PERIOD that starts at START ends, computed exactly as the timers do.

    \b
    Example: award calendar due 2026-09-30 "5 working days"
    """
    from award.workflow.errors import InvalidInput
    from award.workflow.timing.clock import parse_moment
    from award.workflow.timing.periods import due, parse_period

    try:
        begin = parse_moment(start)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    p = parse_period(period)
    result = due(p, begin, _calendar(settings), start_day_counts=start_day_counts)
    render.emit(result, as_json=as_json, show=lambda: _print_due(begin, p, start_day_counts, result))


def _print_due(begin: datetime, p: Period, start_day_counts: bool, result: Due) -> None:
    from award.workflow.timing.periods import describe

    click.echo(f"自 {render.shanghai(begin)} 起 {describe(p, start_day_counts, start_label='起始当日')}：")
    if result.last_day:
        click.echo(f"  最后一日：{result.last_day}")
    click.echo(f"  届满时间：{render.shanghai(result.at)}（上海时间）" + ("　暂定" if result.provisional else ""))
    click.echo(f"  依据：{result.basis}")


def _calendar(settings: Settings) -> Any:
    from .context import office_calendar

    return office_calendar(settings)


COMMANDS: list[click.Command] = [tick, timers, scheduler, calendar]
