"""`award calendar import | show | recompute`: the office's yearly calendar upkeep.

The commands join the `calendar` group of commands/timing.py (`day`, `due`), so this module lists no
group of its own in COMMANDS; cli.py imports it to attach them. Office years are saved in the office
data folder (`<AWARD_HOME>/calendars/`), never in the installed package.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import render
from .context import Settings, json_option, office_calendar, pass_settings
from .params import ROUND_YEAR
from .timing import calendar as calendar_group

if TYPE_CHECKING:
    from award.workflow.engine import Engine
    from award.workflow.timing.calendar import OfficialCalendar
    from award.workflow.timing.calendar_years import DayChange
    from award.workflow.timing.recompute import Recomputed
    from award.workflow.values import DayInfo
    from award.workflow.views import Actor

_WEEKDAYS = "一二三四五六日"
_MARKS = {"holiday": "休", "makeup": "班"}
_MAX_NOTICE_BYTES = 1024 * 1024
_ACTIONS = {"recomputed": "已重算", "confirmed": "已确认（不再暂定）", "rearmed": "已重新排队", "unknown": "仍缺数据"}


@click.command("import")
@click.argument("source", metavar="FILE|-")
@click.option("--year", type=ROUND_YEAR, help="The notice's year, when the pasted text lacks its title.")
@click.option("--yes", is_flag=True, help="Save without asking (needed when the text comes from stdin).")
@pass_settings
def calendar_import(settings: Settings, source: str, year: int | None, yes: bool) -> None:
    """Import a year's holiday arrangement from the text of the State Council's notice (FILE, or - for stdin).

    Paste the whole notice 《国务院办公厅关于YYYY年部分节假日安排的通知》 from gov.cn into a text file. The
    text is checked against itself (weekdays in brackets, 共N天, make-up days on weekends, no day both off
    and on); a sentence that disagrees is quoted and nothing is saved (exit 2). Before saving, the year is
    shown as a month grid with what changes against the current data. The year is saved in the office data
    folder (calendars/ under AWARD_HOME), with who imported it and when; then every live timer that depended
    on provisional or changed days is recomputed and each change is recorded in its case's history.

    \b
    Understood forms, as the notices print them:
      1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
      1月1日（周三）放假1天，不调休。    5月1日放假，与周末连休。    4月5日放假，4月6日（星期一）补休。
      2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。
      2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
      国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。
    \b
    Example: award calendar import 2027年节假日安排.txt
             pbpaste | award calendar import - --yes
    """
    from award.workflow.errors import InvalidInput
    from award.workflow.timing.calendar_years import diff_year, notice_yaml, preview, save_year
    from award.workflow.timing.clock import system_clock
    from award.workflow.timing.notice_text import parse_notice

    text = _read_notice(source)
    notice = parse_notice(text, year=year)
    engine, actor = _office_actor(settings)
    imported_by = actor.name if actor is not None else _login()
    wall = engine.wall_clock() if engine is not None else system_clock()
    content = notice_yaml(notice, imported_by=imported_by, imported_at=wall)
    current = office_calendar(settings)
    files_dir, office_dir = _dirs(settings)
    seen = preview(current=current, files_dir=files_dir, office_dir=office_dir, year=notice.year, text=content)
    if seen.problems:
        raise InvalidInput(f"{notice.year} 年的安排与已有数据冲突，未保存：\n"
                           + "\n".join(f"  {problem}" for problem in seen.problems))
    click.echo(f"{notice.title}" + (f"，{_cn(notice.published)}发布" if notice.published else ""))
    _print_year(seen.calendar, notice.year, None)
    _print_diff(diff_year(current, seen.calendar, notice.year), notice.year, current)
    if seen.replaces is not None:
        click.echo(f"将替换办公数据目录中已有的 {seen.replaces.name}")
    if not yes:
        if source == "-":
            raise InvalidInput("未保存：通知文本来自标准输入时无法询问，核对上面的内容后请加 --yes 重新运行")
        if not click.confirm(f"保存 {notice.year} 年节假日安排并重算受影响的定时？", default=False):
            click.echo("已取消，未保存任何内容")
            return
    path = save_year(office_dir, notice.year, content, notice_text=text)
    click.echo(f"已保存 {notice.year} 年节假日安排：{path}（导入人：{imported_by}）")
    if engine is None or actor is None:
        click.echo("尚无数据库，没有需要重算的定时")
        return
    reason = f"导入{notice.year}年节假日安排（{notice.title}）"
    _recompute_and_print(engine, actor, reason)


@calendar_group.command("recompute")
@pass_settings
def calendar_recompute(settings: Settings) -> None:
    """Recompute every live timer with the calendar data as it is now (safe to run again).

    `award calendar import` does this itself; run it after correcting a calendar file by hand, or when an
    import stopped before it finished recomputing.

    \b
    Example: award calendar recompute
    """
    engine, actor = _office_actor(settings, need_database=True)
    assert engine is not None and actor is not None
    _recompute_and_print(engine, actor, "按当前节假日安排数据重算")


@click.command("show")
@click.argument("year", type=click.IntRange(1900, 2200))
@click.option("--month", type=click.IntRange(1, 12), help="Only this month (1-12).")
@json_option
@pass_settings
def calendar_show(settings: Settings, year: int, month: int | None, as_json: bool) -> None:
    """Show a year (or one month) as a month grid: 休 holidays, 班 make-up working days.

    \b
    Example: award calendar show 2026 --month 10
    """
    from award.workflow.timing.calendar_years import year_days

    calendar = office_calendar(settings)
    days = [d for d in year_days(calendar, year) if month is None or d.day.month == month]
    source = calendar.year_source(year)
    render.emit({"year": year, "month": month, "source": source, "days": days}, as_json=as_json,
                text=f"{year}年节假日安排　数据来源：{source}", show=lambda: _print_year(calendar, year, month))


def _read_notice(source: str) -> str:
    """The notice text from a file or stdin (`-`), UTF-8 with or without a byte-order mark."""
    import sys

    from award.workflow.errors import InvalidInput

    raw: bytes
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(_MAX_NOTICE_BYTES + 1)
        else:  # bounded, and a FIFO or folder is refused instead of blocking
            from award.workflow.userfiles import read_bytes

            raw = read_bytes(source, what="通知文本文件", limit=_MAX_NOTICE_BYTES)
    except OSError as exc:
        raise InvalidInput(f"无法读取通知文本文件 {source}：{exc.strerror}") from None
    if len(raw) > _MAX_NOTICE_BYTES:
        raise InvalidInput(f"通知文本超过 {_MAX_NOTICE_BYTES // 1024} KiB，不像是一份节假日安排通知")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")  # saved by a Windows editor in the legacy Chinese encoding
        except UnicodeDecodeError:
            raise InvalidInput(f"通知文本 {source} 不是 UTF-8 或 GB18030 编码的文字") from None


def _print_year(calendar: OfficialCalendar, year: int, month: int | None) -> None:
    from award.workflow.timing.calendar_years import year_days

    days = year_days(calendar, year)
    for m in ([month] if month else range(1, 13)):
        _print_month([d for d in days if d.day.month == m])
    provisional = any(d.provisional for d in days if month is None or d.day.month == month)
    click.echo("休＝放假　班＝调休上班　其余周一至周五上班、周六周日休息"
               + ("　12月20日起为暂定：次年安排公布后可能变化" if provisional else ""))


def _print_month(days: list[DayInfo]) -> None:
    first = days[0].day
    click.echo(f"\n{first.year}年{first.month}月")
    click.echo(" ".join(f"{w}  " for w in _WEEKDAYS).rstrip())
    cells = ["    "] * first.weekday()
    for info in days:
        cells.append(f"{info.day.day:>2}{_MARKS.get(info.kind, '  ')}")
    for start in range(0, len(cells), 7):
        click.echo(" ".join(cells[start:start + 7]).rstrip())
    named: dict[str, dict[str, list[int]]] = {}
    for info in days:
        if info.kind in _MARKS and info.holiday:
            named.setdefault(info.holiday, {}).setdefault(info.kind, []).append(info.day.day)
    for name, kinds in named.items():
        parts = []
        if "holiday" in kinds:
            parts.append("放假 " + _days(kinds["holiday"]))
        if "makeup" in kinds:
            parts.append("调休上班 " + _days(kinds["makeup"]))
        click.echo(f"  {name}：" + "；".join(parts))


def _print_diff(changes: list[DayChange], year: int, current: OfficialCalendar) -> None:
    if current.year_source(year) is None:
        click.echo(f"\n当前没有 {year} 年的数据：以上安排将新增。")
    moved = [c for c in changes if c.working_before != c.working_after]
    renamed = len(changes) - len(moved)
    if not changes:
        if current.year_source(year) is not None:
            click.echo("与当前数据相比没有变化。")
        return
    if moved:
        render.table(f"与当前数据相比，上班或休息有变化的日期（{len(moved)} 天）", ["日期", "星期", "原来", "导入后"],
                     [[_cn(c.day), f"星期{_WEEKDAYS[c.day.weekday()]}", c.before or "无数据", c.after] for c in moved])
    elif current.year_source(year) is not None:
        click.echo("与当前数据相比，上班和休息的日期没有变化。")
    if renamed:
        click.echo(f"另有 {renamed} 天上班或休息不变，只是假期名称的写法不同（以通知原文为准）。")


def _recompute_and_print(engine: Engine, actor: Actor, reason: str) -> None:
    from award.workflow.errors import AwardError
    from award.workflow.timing.recompute import recompute_timers

    refresh = getattr(engine.calendar, "refreshed", None)
    if refresh is not None:  # read the files again: the engine's calendar was loaded before the save
        engine.calendar = refresh()
    try:
        changes = recompute_timers(engine, actor=actor, reason=reason)
    except AwardError as exc:
        click.echo(f"节假日安排已保存，但重算定时未完成：{exc}；请运行 award calendar recompute 重试", err=True)
        raise
    _print_changes(changes)


def _print_changes(changes: list[Recomputed]) -> None:
    if not changes:
        click.echo("没有定时需要重算")
        return
    render.table("受影响的定时", ["#", "案件", "处理", "原到期", "现到期", "暂定", "原因"],
                 [[c.timer, c.case, _ACTIONS.get(c.action, c.action), render.shanghai(c.old_due_at),
                   render.shanghai(c.new_due_at), "是" if c.provisional else "否", c.why] for c in changes])
    done = sum(c.action != "unknown" for c in changes)
    click.echo(f"共处理 {done} 个定时" + (f"，{len(changes) - done} 个仍缺节假日安排" if done < len(changes) else ""))


def _office_actor(settings: Settings, *, need_database: bool = False) -> tuple[Engine | None, Actor | None]:
    """The engine and the acting staff member, or (None, None) before the office has a database.

    A fresh office data folder may import years before `award init`; once a database exists, only staff on
    its roster may change the calendar, since every recomputed deadline is recorded under their name.
    """
    url = settings.database()
    if "://" not in url and not Path(url).expanduser().exists():
        if need_database:
            from award.workflow.errors import DataError

            raise DataError(f"数据库 {url} 不存在：请先运行 award init")
        return None, None
    engine = settings.engine()
    actor = settings.member("修改节假日安排")  # a stranger is refused citing AWD-1
    return engine, actor


def _dirs(settings: Settings) -> tuple[Path, Path]:
    root = settings.definitions_root()
    return (root if root.is_dir() else root.parent) / "calendars", settings.home().folder("calendars")


def _login() -> str:
    """Who imports a year before the office has a database: the OS login (never LOGNAME/USER)."""
    from .context import os_login

    return os_login() or "unknown"


def _days(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> 1—3日、5日."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "、".join(f"{r[0]}日" if len(r) == 1 else f"{r[0]}—{r[-1]}日" for r in runs)


def _cn(day: date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


calendar_group.add_command(calendar_import)
calendar_group.add_command(calendar_show)

#: The commands join the `calendar` group of commands/timing.py; nothing is registered at the top level.
COMMANDS: list[click.Command] = []
