"""Commands that bring the office's spreadsheets in: `award import parties|awards FILE`, `award import template`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import render
from .context import Settings, json_option, pass_settings

if TYPE_CHECKING:
    from award.workflow.registers.imports import ImportReport

_KINDS = {"parties": "申报主体", "awards": "获奖记录", "cases": "案件"}

_ACTIONS = {"new": "新增", "changed": "修改", "unchanged": "不变"}

_SHOWN = 100  # rows of a long import listed on the terminal


@click.group("import")
def import_() -> None:
    """Import the office's spreadsheets (.xlsx or .csv in UTF-8 or GBK): all rows or none.

    \b
    Examples:
      award import template parties -o 申报主体模板.xlsx
      award import parties 申报主体.xlsx --dry-run
      award import awards 历年获奖.csv --encoding gbk
    """


_file_argument = click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
_dry_run = click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
_encoding = click.option("--encoding", help="The CSV's encoding when detection is wrong: utf-8, gbk, gb18030.")


@contextmanager
def _progress(enabled: bool, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long files (rich); silent for short ones and for --json."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=render.console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=None)

        def tick(done: int, total: int) -> None:
            if total >= 500:
                bar.update(task, completed=done, total=total)

        yield tick


def _run(settings: Settings, kind: str, file: Path, dry_run: bool, encoding: str | None, as_json: bool) -> None:
    from award.workflow.registers import imports

    engine = settings.engine()
    fn = imports.import_parties if kind == "parties" else imports.import_awards
    with _progress(not as_json, f"读取 {file.name}") as tick:
        report = fn(engine.office, file, actor=settings.actor(), wall_clock=engine.wall_clock, dry_run=dry_run,
                    encoding=encoding, progress=tick)
    _print(report, as_json)


def _print(report: ImportReport, as_json: bool) -> None:
    render.emit(report, as_json=as_json, show=lambda: _show(report))


def _show(report: ImportReport) -> None:
    what = _KINDS[report.kind]
    changed = [c for c in report.changes if c.action != "unchanged"]
    if changed:
        render.table(f"{report.file}：{'将要' if report.dry_run else '已'}导入的{what}",
                     ["行", "处理", what, "修改的项"],
                     [[c.line, _ACTIONS[c.action], c.subject, "、".join(_field_label(f) for f in c.fields)]
                      for c in changed[:_SHOWN]])
        if len(changed) > _SHOWN:
            click.echo(f"……另有 {len(changed) - _SHOWN} 条未列出（--json 列出全部）")
    for note in report.notes:
        click.echo(f"注意：{note}")
    counts = "，".join(f"{_ACTIONS[a]} {report.count(a)} 条" for a in _ACTIONS)
    encoding = f"，编码 {report.encoding}" if report.encoding else ""
    if report.dry_run:
        click.echo(f"试运行，未写入：文件中有 {len(report.changes)} 条{what}（{counts}{encoding}）")
    else:
        click.echo(f"已导入 {len(report.changes)} 条{what}（{counts}{encoding}）")


def _field_label(key: str) -> str:
    labels = {"name": "名称", "registered_on": "登记注册日期", "email": "电子邮箱", "phone": "电话",
              "district": "所在区", "awarded_on": "获奖日期", "label": "获奖名称", "revoked_on": "撤销日期",
              "reason": "撤销原因", "rule": "撤销依据", "bar_until": "禁止申报至"}
    return labels.get(key, key.removeprefix("attr:"))


@import_.command("parties")
@_file_argument
@_dry_run
@_encoding
@json_option
@pass_settings
def import_parties(settings: Settings, file: Path, dry_run: bool, encoding: str | None, as_json: bool) -> None:
    """Register or update parties from a spreadsheet (matched by credit code / ID number).

    \b
    Columns (Chinese headers or ids): 统一社会信用代码/身份证号 (code)*, 名称 (name)*, 类型 (kind: 组织/个人),
    登记注册日期 (registered_on), 电子邮箱 (email), 电话 (phone), 所在区 (district), party attributes.
    Example: award import parties 申报主体.xlsx --dry-run
    """
    _run(settings, "parties", file, dry_run, encoding, as_json)


@import_.command("awards")
@_file_argument
@_dry_run
@_encoding
@json_option
@pass_settings
def import_awards(settings: Settings, file: Path, dry_run: bool, encoding: str | None, as_json: bool) -> None:
    """Load awards won before the system existed (matched by party, award and year).

    \b
    Columns: 统一社会信用代码/身份证号 (code)*, 流程 (procedure)*, 奖项 (award)*, 获奖日期/获奖年份 (awarded_on)*,
    名称 (name), 获奖名称 (label), 撤销日期 (revoked_on), 撤销原因 (reason), 撤销依据 (rule).
    Example: award import awards 历年获奖.csv
    """
    _run(settings, "awards", file, dry_run, encoding, as_json)


@import_.command("cases")
@_file_argument
@click.option("--round", "round_id", required=True, help="The round the cases are opened in, e.g. sha-2026.")
@_dry_run
@_encoding
@json_option
@pass_settings
def import_cases(settings: Settings, file: Path, round_id: str, dry_run: bool, encoding: str | None,
                 as_json: bool) -> None:
    """Open many cases of a round from a spreadsheet, in one transaction: all rows or none.

    \b
    Columns: 统一社会信用代码/身份证号 (code)*, 赛道 (track)*, 开始方式 (start), 说明 (comment), then any
    form field of the procedure by its Chinese label or id (e.g. 推荐单位). A party with a case on that
    track in that round already is left as it is.
    Example: award import cases 推荐名单.xlsx --round sha-2026 --dry-run
    """
    from award.workflow.case_import import import_cases as run_import

    engine = settings.engine()
    with _progress(not as_json, f"读取 {file.name}") as tick:
        report = run_import(engine, file, round_id=round_id, actor=settings.actor(), dry_run=dry_run,
                            encoding=encoding, progress=tick)
    _print(report, as_json)


@import_.command("template")
@click.argument("kind", type=click.Choice(sorted(_KINDS)))
@click.option("--round", "round_id", help="For cases: the round whose form fields become columns.")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The .xlsx to write.")
@pass_settings
def import_template(settings: Settings, kind: str, output: Path, round_id: str | None) -> None:
    """Write an empty .xlsx with the Chinese headers of a file kind (comments say what to write).

    \b
    Examples:
      award import template parties -o 申报主体模板.xlsx
      award import template cases --round sha-2026 -o 案件模板.xlsx
    """
    from award.workflow.registers import imports
    from award.workflow.registers.tabular import write_template

    engine = settings.engine()
    office = engine.office
    if kind == "cases":
        from award.workflow.case_import import case_columns

        if not round_id:
            raise click.UsageError("案件模板需要 --round（表中的字段取决于轮次的流程）")
        columns = case_columns(engine, round_id)[1]
    else:
        columns = imports.party_columns(office) if kind == "parties" else imports.award_columns(office)
    write_template(output, f"{_KINDS[kind]}导入模板", columns)
    click.echo(f"已写出模板 {output}（{len(columns)} 列；带 * 的列必填）")


def alias_import_awards() -> click.Command:
    """`award party import-awards FILE`: the older name of `award import awards`."""

    @click.command("import-awards")
    @_file_argument
    @_dry_run
    @_encoding
    @json_option
    @pass_settings
    def party_import_awards(settings: Settings, file: Path, dry_run: bool, encoding: str | None,
                            as_json: bool) -> None:
        """Same as `award import awards FILE` (kept for scripts that use the old name).

        \b
        Example: award party import-awards past-awards.csv
        """
        _run(settings, "awards", file, dry_run, encoding, as_json)

    return party_import_awards


COMMANDS: list[click.Command] = [import_]
