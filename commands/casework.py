"""The checklist of conditions the reviewer judges (SHA-16/17, SQI-5/6). (Written consultations, SHA-22,
are entries: `commands/entries.py`.)"""

from __future__ import annotations

import click

from . import render
from .context import Settings, json_option, pass_settings


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


COMMANDS: list[click.Command] = [checklist]
