"""Commands on objections to a public notice and on post-award duties (reports, follow-ups)."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Settings, pass_settings
from .params import RECORD_ID, REPORT_YEAR


@click.group()
def objection() -> None:
    """公示期间提出的异议（SHA-32）。"""


@objection.command("file")
@click.argument("case_ref")
@click.option("--by", default="", help="异议人的真实姓名或单位名称（必填）。")
@click.option("--contact", default="", help="异议人的联系方式（必填）。")
@click.option("--reason", default="", help="异议理由（必填）。")
@click.option("--evidence", multiple=True, type=click.Path(path_type=Path), help="证明材料文件（可重复）。")
@pass_settings
def objection_file(settings: Settings, case_ref: str, by: str, contact: str, reason: str,
                   evidence: tuple[Path, ...]) -> None:
    """对正在公示的案件提出异议；案件随即暂停。

    \b
    示例：award objection file SHA-2026-001 --by 张三 --contact 13800000000 --reason "材料不实" --evidence proof.pdf
    """
    from award.workflow.objections import file_objection

    oid = file_objection(settings.engine(), case_ref, by=by, contact=contact, reason=reason, evidence=evidence,
                         actor=settings.actor())
    click.echo(f"已受理异议 #{oid}；案件暂停，待处理后继续")


@objection.command("resolve")
@click.argument("objection_id", type=RECORD_ID, metavar="异议编号")
@click.option("--dismiss", "outcome", flag_value="dismiss", help="异议不成立。")
@click.option("--uphold", "outcome", flag_value="uphold", help="异议成立：按流程规定处理（如取消资格）。")
@click.option("--reason", required=True, help="处理理由（必填）。")
@pass_settings
def objection_resolve(settings: Settings, objection_id: int, outcome: str | None, reason: str) -> None:
    """处理异议：不成立或成立。

    \b
    示例：award objection resolve 1 --dismiss --reason "经核查，材料属实"
    """
    from award.workflow.objections import resolve_objection

    if outcome is None:
        raise click.UsageError("请用 --dismiss 或 --uphold 说明处理结果")
    click.echo(resolve_objection(settings.engine(), objection_id, uphold=outcome == "uphold", reason=reason,
                                 actor=settings.actor()))


@click.group()
def report() -> None:
    """获奖后的义务：每年的质量绩效报告（SHA-33）、区市场监管部门的跟踪管理（SHA-38）。"""


@report.command("submit")
@click.argument("case_ref")
@click.option("--year", "index", type=REPORT_YEAR, required=True, help="获奖后第几年：1、2、3……（以义务的年数为限）。")
@click.option("--file", "file", type=click.Path(path_type=Path), required=True, help="报告或跟踪管理记录的文件。")
@click.option("--duty", help="案件有多项义务时写明是哪一项（编号或名称，如 quality_report、跟踪管理）。")
@click.option("--finding", help="义务要求写明结论时的结论（编号或名称，如跟踪管理的“持续改进”）。")
@click.option("--comment", help="说明（可选）。")
@pass_settings
def report_submit(settings: Settings, case_ref: str, index: int, file: Path, duty: str | None,
                  finding: str | None, comment: str | None) -> None:
    """登记一项获奖后义务的履行：收到的年度报告，或区市场监管部门的跟踪管理记录。

    \b
    示例：award report submit SHA-2026-001 --year 1 --file 质量绩效报告2027.pdf
          award report submit SHA-2026-001 --duty 跟踪管理 --year 1 --file 跟踪记录.pdf --finding 持续改进
    """
    from award.workflow.duties import submit_report

    click.echo(submit_report(settings.engine(), case_ref, duty=duty, index=index, file=file, actor=settings.actor(),
                             finding=finding, comment=comment))


from .notice import objection_list

objection.add_command(objection_list)

COMMANDS: list[click.Command] = [objection, report]
