"""Files kept for a case: attach, list, get back (issue 12)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from . import render
from .context import Settings, json_option, pass_settings
from .export import output_options


@click.command("attach")
@click.argument("case_ref")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--comment", help="What the files are (kept in the history).")
@pass_settings
def case_attach(settings: Settings, case_ref: str, files: tuple[Path, ...], comment: str | None) -> None:
    """Attach documents to a case (survey report, approval, scans): kept, hashed, in its history.

    \b
    Example: award case attach WHI-2026-001 调查报告.pdf --comment "区质量发展委员会办公室审核通过的调查报告"
    """
    from award.workflow.attachments import attach

    stored = attach(settings.engine(), case_ref, list(files), actor=settings.actor(), comment=comment)
    for f in stored:
        click.echo(f"已保存 {f.name}（{f.bytes} 字节，摘要 {f.sha256[:12]}）")


@click.command("files")
@click.argument("case_ref")
@json_option
@output_options
@pass_settings
def case_files(settings: Settings, case_ref: str, as_json: bool) -> None:
    """List the files kept for a case (evidence, reports, attachments).

    \b
    Example: award case files SHA-2026-001
    """
    from award.workflow.attachments import list_files

    rows = list_files(settings.engine(), case_ref)
    render.emit(rows, as_json=as_json, table=lambda: render.Table(f"{case_ref.upper()} 的文件", ["#", "文件", "用途", "字节", "摘要", "历史", "提交人", "时间", "存档"],
                 [[r["id"], r["name"], r["purpose_label"], r["bytes"], r["sha256"][:12],
                   f"第{r['event_seq']}条" if r["event_seq"] else "", r["added_by"],
                   render.shanghai(datetime.fromisoformat(r["added_at"])), "在" if r["stored"] else "缺失"]
                  for r in rows]))


@click.command("file")
@click.argument("case_ref")
@click.argument("name")
@click.option("-o", "--file", "target", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Where to write the copy.")
@pass_settings
def case_file(settings: Settings, case_ref: str, name: str, target: Path) -> None:
    """Get a kept file back (checked against the hash in the history); NAME is its name or #.

    \b
    Example: award case file SHA-2026-001 质量绩效报告2027.pdf -o /tmp/报告.pdf
    """
    from award.workflow.attachments import fetch

    f = fetch(settings.engine(), case_ref, name, target)
    click.echo(f"已取出 {f['name']} 到 {target}（摘要 {f['sha256'][:12]} 核对无误）")


FILE_COMMANDS: list[click.Command] = [case_attach, case_files, case_file]


@click.command("contact")
@click.argument("case_ref")
@click.option("--set", "sets", multiple=True, required=True, help="A contact field FIELD=VALUE (repeatable).")
@click.option("--reason", required=True, help="Why (kept in the case's history).")
@pass_settings
def case_contact(settings: Settings, case_ref: str, sets: tuple[str, ...], reason: str) -> None:
    """Correct a case's contact data at any stage (the office); notices go to the new address from now on.

    \b
    Example: award case contact SHA-2026-001 --set contact_email=new@example.com --reason "联系人变更"
    """
    from award.workflow.corrections import correct_contact

    from .context import pairs

    changed = correct_contact(settings.engine(), case_ref, pairs(sets, "--set"), actor=settings.actor(),
                              reason=reason)
    if not changed:
        click.echo("没有变化")
    else:
        click.echo(f"已更正 {case_ref.upper()} 的联系方式：" + "、".join(f"{k}={v}" for k, v in changed.items()))


FILE_COMMANDS.append(case_contact)
