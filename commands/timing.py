"""Commands on time: tick, timers, the scheduler, the working-day calendar."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from . import render
from .context import Settings, json_option, pass_settings
from .export import output_options
from .params import DAY, INTERVAL, RECORD_ID, page_note, page_options

if TYPE_CHECKING:
    from award.workflow.timing.periods import Period
    from award.workflow.values import Due


@click.command()
@click.option("--dry-run", "dry_run", is_flag=True, help="试运行：显示到期的定时将做什么，不写入任何内容。")
@click.option("--quiet", "-q", is_flag=True, help="只在有失败时输出（供 cron 使用）。")
@click.option("--verbose", "-v", is_flag=True, help="逐条列出触发、暂缓和失败的定时。")
@json_option
@pass_settings
def tick(settings: Settings, dry_run: bool, quiet: bool, verbose: bool, as_json: bool) -> None:
    """处理全部到期的定时，每个只触发一次，先到期的先处理（由 cron 每几分钟运行一次）。

    输出一行带时间的汇总；有定时失败时退出码为 6（请用 `award timers list --status failed` 查看）。

    \b
    crontab 示例：*/5 * * * *  award tick --quiet >> /var/log/award-tick.log 2>&1
    试运行：award --now "2028-03-01" tick --dry-run
    """
    import sys

    idle = None if dry_run else _idle(settings)
    if idle is not None:
        from award.workflow.timing.report import TickReport

        (now, wall), report = idle, TickReport()
        render.emit({"fired": report.fired, "held": report.held, "failed": report.failed}, as_json=as_json,
                    show=lambda: None if quiet else click.echo(_tick_summary(now, wall, report)))
        return
    from award.workflow.timing.timers import tick as run_tick

    engine = settings.engine()
    if dry_run:
        from award.workflow.dryrun import dry_run as dry

        from .preview import show_preview

        with dry(engine) as preview:
            report = run_tick(engine)

        def would() -> None:
            _tick_lines(report)
            click.echo(_tick_summary(engine.clock(), engine.wall_clock(), report, dry=True))
            show_preview(preview)

        render.emit({"dry_run": True, "fired": report.fired, "held": report.held, "failed": report.failed,
                     "preview": preview}, as_json=as_json, show=would)
        return
    report = run_tick(engine)

    def people() -> None:
        if verbose:
            _tick_lines(report)
        else:
            for tid, ref, _what, detail in report.failed:
                click.echo(f"失败 #{tid} {ref}：{detail}", err=True)
        if not quiet or report.failed:
            click.echo(_tick_summary(engine.clock(), engine.wall_clock(), report))

    render.emit({"fired": report.fired, "held": report.held, "failed": report.failed}, as_json=as_json, show=people)
    if report.failed:
        sys.exit(6)


def _tick_lines(report: Any) -> None:
    for tid, ref, what, detail in report.fired:
        click.echo(render.plain(f"已触发 #{tid} {ref}：{what}　{detail}"))
    for tid, ref, _what, detail in report.held:
        click.echo(render.plain(f"暂缓 #{tid} {ref}：{detail}"))
    for tid, ref, _what, detail in report.failed:
        click.echo(render.plain(f"失败 #{tid} {ref}：{detail}"), err=True)


def _idle(settings: Settings) -> tuple[datetime, datetime] | None:
    """The business and real time of an idle tick, found without building the engine, when the plain
    read path sees no timer due; None: the engine's tick runs.

    cron runs `award tick` every few minutes and nearly every run finds nothing due: one indexed probe of
    the SQLite file answers that in a few milliseconds, where building the engine costs half a second of
    CPU. Anything else (a timer due, PostgreSQL, `--as`, a file the plain path does not read) goes the
    engine's way, which also reports every problem of the office's set-up.
    """
    plain = settings.plain_file()
    if plain is None:
        return None
    from award.workflow.timing.clock import system_clock

    now, wall = settings.clock()(), system_clock()
    try:
        if not plain.nothing_due(now):
            return None
    finally:
        plain.close()
    return now, wall


def _tick_summary(clock: datetime, wall: datetime, report: Any, *, dry: bool = False) -> str:
    """One line for the cron log: business time (and real time when they differ), counts, the cases touched."""
    when = render.shanghai(clock)
    real = render.shanghai(wall)
    stamp = when if when == real else f"{when}（实际 {real}）"
    refs = sorted({ref for _, ref, _, _ in report.fired})
    line = (f"{stamp} 定时处理{'（试运行，未写入）' if dry else ''}：触发 {len(report.fired)} 个，"
            f"暂缓 {len(report.held)} 个，失败 {len(report.failed)} 个")
    if refs:
        line += "；涉及 " + "、".join(refs[:10]) + (f" 等 {len(refs)} 件" if len(refs) > 10 else "")
    return line


@click.group()
def timers() -> None:
    """定时：何时到期，以及暂缓或失败的原因。"""


@timers.command("list")
@click.option("--case", "case_ref", help="只列出此案件的定时。")
@click.option("--status", type=click.Choice(["pending", "held", "blocked", "failed", "fired", "cancelled", "overdue"]),
              help="只列出此状态：pending（等待到期）、held（暂缓）、blocked（缺日历数据）、failed（失败）、"
                   "fired（已触发）、cancelled（已取消）、overdue（已逾期）。")
@click.option("--provisional", is_flag=True,
              help="只列出仍待日历数据的定时：到期时间暂定的，以及因年份日历未知而受阻的。")
@page_options(1000, "条")
@json_option
@output_options
@pass_settings
def timers_list(settings: Settings, case_ref: str | None, status: str | None, provisional: bool,
                limit: int, offset: int, as_json: bool) -> None:
    """列出定时（先到期的在前）。

    \b
    示例：award timers list --status held
          award timers list --provisional
    """
    from award.workflow.labels import timer_label, timer_status
    from award.workflow.timing.timers import list_timers

    settings.member("查看定时")
    engine = settings.engine()
    rows = list_timers(engine, case=case_ref, status=status, provisional=provisional, limit=limit + 1, offset=offset)
    more, rows = len(rows) > limit, rows[:limit]
    page_note(offset, limit, more, "条")

    def spec_of(r: Any) -> Any:
        try:
            return engine.catalog.get(r["case"].split("-")[0].lower())
        except LookupError:
            return None

    def what(r: Any) -> str:
        spec = spec_of(r)
        name = timer_label(spec, r["state"], r["kind"], r["trigger"], r["duty"]) if spec else \
            str(r["trigger"] or r["duty"] or r["kind"])
        return name + (f" 第{r['index']}次" if r["index"] else "")

    def state(r: Any) -> str:
        spec = spec_of(r)
        return str(spec.label_of(r["state"])) if spec else str(r["state"])

    def show() -> None:
        with render.paged():
            render.table("定时", ["#", "案件", "案件状态", "事项", "到期", "最后一日", "规则", "定时状态", "说明"],
                         [[r["id"], r["case"], state(r), what(r),
                           render.shanghai(r["due_at"]) + ("（暂定）" if r["provisional"] else ""),
                           r["last_day"], r["rule"], timer_status(r["status"]), r["note"]] for r in rows])

    render.emit(rows, as_json=as_json, show=show)


_TIMER_STATUS = {"pending": "待到期", "held": "暂停（条件未满足）", "failed": "失败", "fired": "已触发",
                 "cancelled": "已取消", "overdue": "已逾期"}


@timers.command("retry")
@click.argument("timer_id", type=RECORD_ID)
@pass_settings
def timers_retry(settings: Settings, timer_id: int) -> None:
    """把失败或暂缓的定时重新排队（先排除导致失败的原因）。

    \b
    示例：award timers retry 12
    """
    from award.workflow.timing.timers import retry_timer

    click.echo(retry_timer(settings.engine(), timer_id, actor=settings.actor()))


@click.command()
@click.option("--interval", type=INTERVAL, default=60, show_default=True, help="两次唤醒之间最多间隔的秒数。")
@pass_settings
def scheduler(settings: Settings, interval: int) -> None:
    """运行常驻调度程序：在下一个定时到期时、且至少每 INTERVAL 秒唤醒一次。

    期限保存在数据库中，可与 cron 的 award tick 同时运行；收到 SIGTERM 时正常退出。

    \b
    示例：award --db postgresql://award@db/award scheduler
    """
    from award.workflow.timing.scheduler import Scheduler

    Scheduler(engine=settings.engine(), deliverer=settings.outbox(), interval=interval, echo=click.echo).run()


@click.group()
def calendar() -> None:
    """官方工作日日历（定时所用的同一套计算）。"""


@calendar.command("day")
@click.argument("day", type=DAY)
@json_option
@pass_settings
def calendar_day(settings: Settings, day: Any, as_json: bool) -> None:
    """某日是否工作日，以及原因（周末、节假日、调休上班）。

    \b
    示例：award calendar day 2026-10-10
    """
    info = _calendar(settings).day(day)
    weekday = "一二三四五六日"[info.day.weekday()]
    render.emit(info, as_json=as_json,
                text=f"{info.day}（星期{weekday}）：{'工作日' if info.working else '休息日'}　{info.reason}"
                     f"　[{info.source}]" + ("　暂定：次年放假安排公布后可能变化" if info.provisional else ""))


@calendar.command("due")
@click.argument("start")
@click.argument("period")
@click.option("--start-day-counts", is_flag=True, help="起始当日计入期限（由流程定义规定）。")
@json_option
@pass_settings
def calendar_due(settings: Settings, start: str, period: str, start_day_counts: bool, as_json: bool) -> None:
    """自某时起的期限何时届满，计算方法与定时完全相同。

    \b
    示例：award calendar due 2026-09-30 "5 working days"
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
