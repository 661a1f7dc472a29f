"""Commands on objections to a public notice and on post-award reports."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Settings, pass_settings
from .params import RECORD_ID, REPORT_YEAR


@click.group()
def objection() -> None:
    """Objections filed during a public notice (SHA-32)."""


@objection.command("file")
@click.argument("case_ref")
@click.option("--by", default="", help="The objector's real name (person or organisation); required.")
@click.option("--contact", default="", help="How to reach the objector; required.")
@click.option("--reason", default="", help="Why; required.")
@click.option("--evidence", multiple=True, type=click.Path(path_type=Path), help="A file of evidence (repeatable).")
@pass_settings
def objection_file(settings: Settings, case_ref: str, by: str, contact: str, reason: str,
                   evidence: tuple[Path, ...]) -> None:
    """File an objection against a case whose public notice is running; it holds the case.

    \b
    Example: award objection file SHA-2026-001 --by 张三 --contact 13800000000 --reason "材料不实" --evidence proof.pdf
    """
    from award.workflow.objections import file_objection

    oid = file_objection(settings.engine(), case_ref, by=by, contact=contact, reason=reason, evidence=evidence,
                         actor=settings.actor())
    click.echo(f"已受理异议 #{oid}；案件暂停，待处理后继续")


@objection.command("resolve")
@click.argument("objection_id", type=RECORD_ID)
@click.option("--dismiss", "outcome", flag_value="dismiss", help="The objection does not hold.")
@click.option("--uphold", "outcome", flag_value="uphold", help="The objection holds: the definition's consequence applies.")
@click.option("--reason", required=True)
@pass_settings
def objection_resolve(settings: Settings, objection_id: int, outcome: str | None, reason: str) -> None:
    """Dismiss or uphold an objection.

    \b
    Example: award objection resolve 1 --dismiss --reason "经核查，材料属实"
    """
    from award.workflow.objections import resolve_objection

    if outcome is None:
        raise click.UsageError("请用 --dismiss 或 --uphold 说明处理结果")
    click.echo(resolve_objection(settings.engine(), objection_id, uphold=outcome == "uphold", reason=reason,
                                 actor=settings.actor()))


@click.group()
def report() -> None:
    """Duties after an award (yearly quality performance reports, SHA-33)."""


@report.command("submit")
@click.argument("case_ref")
@click.option("--year", "index", type=REPORT_YEAR, required=True, help="Which year after the award: 1, 2 or 3.")
@click.option("--file", "file", type=click.Path(path_type=Path), required=True)
@click.option("--duty", help="The duty's name when a case has several.")
@pass_settings
def report_submit(settings: Settings, case_ref: str, index: int, file: Path, duty: str | None) -> None:
    """Record a yearly report received.

    \b
    Example: award report submit SHA-2026-001 --year 1 --file 质量绩效报告2027.pdf
    """
    from award.workflow.objections import submit_report

    click.echo(submit_report(settings.engine(), case_ref, duty=duty, index=index, file=file, actor=settings.actor()))


from .notice import objection_list

objection.add_command(objection_list)

COMMANDS: list[click.Command] = [objection, report]
