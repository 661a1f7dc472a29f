"""The review's own records on a case: written consultations of other departments (SHA-22) and the
checklist of conditions the reviewer judges (SHA-16/17, SQI-5/6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from . import render
from .context import Settings, json_option, pass_settings
from .params import DAY, RECORD_ID


@click.group()
def consult() -> None:
    """资格审查中书面征求相关部门意见（SHA-22）：发函、复函、查看。"""


@consult.command("ask")
@click.argument("case_ref")
@click.option("--to", "to", default="", help="征求意见的部门（必填），如 市生态环境局。")
@click.option("--date", "sent_on", type=DAY, required=True, help="发函日期 YYYY-MM-DD。")
@click.option("--file", "letter", type=click.Path(path_type=Path, dir_okay=False), help="征求意见函（存档）。")
@click.option("--note", default="", help="说明，如征求意见的事项。")
@pass_settings
def consult_ask(settings: Settings, case_ref: str, to: str, sent_on: date, letter: Path | None, note: str) -> None:
    """记录一件书面征求意见函：向哪个部门、哪天发出。

    \b
    示例：award consult ask SHA-2026-001 --to 市生态环境局 --date 2026-03-12 --file 征求意见函.pdf
    """
    from award.workflow.casework_record import consult_ask as ask

    number = ask(settings.engine(), case_ref, to=to, sent_on=sent_on, letter=letter, note=note,
                 actor=settings.actor())
    click.echo(f"已记录第{number}件书面征求意见（致{to.strip()}）；收到复函后用 award consult answer {case_ref} {number} 记录")


@consult.command("answer")
@click.argument("case_ref")
@click.argument("number", type=RECORD_ID, metavar="编号")
@click.option("--date", "answered_on", type=DAY, required=True, help="复函日期 YYYY-MM-DD。")
@click.option("--opinion", default="", help="复函意见（必填）。")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), help="复函（存档）。")
@pass_settings
def consult_answer(settings: Settings, case_ref: str, number: int, answered_on: date, opinion: str,
                   file: Path | None) -> None:
    """记录相关部门的复函意见。

    \b
    示例：award consult answer SHA-2026-001 1 --date 2026-03-18 --opinion "近5年无环境违法记录" --file 复函.pdf
    """
    from award.workflow.casework_record import consult_answer as answer

    click.echo(answer(settings.engine(), case_ref, number, answered_on=answered_on, opinion=opinion, file=file,
                      actor=settings.actor()))


@consult.command("list")
@click.argument("case_ref")
@json_option
@pass_settings
def consult_list(settings: Settings, case_ref: str, as_json: bool) -> None:
    """列出案件的书面征求意见：向谁、何时、复函。

    \b
    示例：award consult list SHA-2026-001
    """
    from award.workflow.casework_record import list_consultations

    settings.member("查看书面征求意见")
    view = list_consultations(settings.engine(), case_ref)
    render.emit(view, as_json=as_json, table=lambda: consultation_table(view["case"], view["consultations"]))


def consultation_table(ref: str, rows: list[dict[str, object]]) -> render.Table:
    """The consultations of a case as a table (also in `award show`)."""
    return render.Table(f"{ref} 书面征求相关部门意见", ["#", "部门", "发函日期", "复函日期", "复函意见", "经办"],
                        [[c["number"], c["to"], _day(c["sent_on"]), _day(c["answered_on"]) or "未复函",
                          c["opinion"] or "", f"{c['sent_by']}" + (f" / {c['answered_by']}" if c["answered_by"] else "")]
                         for c in rows])


def _day(value: object) -> str:
    from award.workflow.timing.clock import cn_date

    if not isinstance(value, str):
        return ""
    try:
        return cn_date(date.fromisoformat(value))
    except ValueError:
        return value


@click.group()
def checklist() -> None:
    """资格审查（条件审查）核查表：评审人员对每项条件的核查意见（SHA-16/17、SQI-5/6）。"""


@checklist.command("record")
@click.argument("case_ref")
@click.argument("items", nargs=-1, metavar="[项目...]")
@click.option("--all", "every", is_flag=True, help="记录本案适用的全部项目。")
@click.option("--finding", required=True, help="核查意见：符合、不符合 或 待补充。")
@click.option("--note", default="", help="核查说明（不符合、待补充时必填）。")
@pass_settings
def checklist_record(settings: Settings, case_ref: str, items: tuple[str, ...], every: bool, finding: str,
                     note: str) -> None:
    """记录核查意见：项目写编号、序号或名称中的一段（见 award checklist show）。

    \b
    示例：award checklist record SHA-2026-001 gold_results --finding 符合 --note "近三年质量指标持续改进"
          award checklist record SHA-2026-001 --all --finding 符合
    """
    from award.workflow.casework_record import record_findings

    click.echo(record_findings(settings.engine(), case_ref, list(items), finding=finding, note=note,
                               actor=settings.actor(), every=every))


@checklist.command("show")
@click.argument("case_ref")
@json_option
@pass_settings
def checklist_show(settings: Settings, case_ref: str, as_json: bool) -> None:
    """查看案件的核查表：适用的项目、依据和核查意见。

    \b
    示例：award checklist show SHA-2026-001
    """
    from award.workflow.casework_record import show_checklist

    settings.member("查看核查表")
    view = show_checklist(settings.engine(), case_ref)

    def people() -> None:
        for cl in view["checklists"]:
            checklist_table(f"{view['case']} {cl['label']}（{cl['rule']}）", cl["items"]).print()

    render.emit(view, as_json=as_json, show=people)


def checklist_table(title: str, items: list[dict[str, object]]) -> render.Table:
    """Checklist items with their findings (also in `award show`)."""
    return render.Table(title, ["#", "项目", "条件", "依据", "核查意见", "说明", "核查人"],
                        [[i, f["item"], f["label"], f["rule"], f["finding_label"], f["note"] or "", f["by"] or ""]
                         for i, f in enumerate(items, start=1)])


COMMANDS: list[click.Command] = [consult, checklist]
