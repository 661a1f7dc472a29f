"""`award case migrate`: move running cases to the current version of their definition, recorded."""

from __future__ import annotations

import click

from . import render
from .cases import case
from .context import Settings, json_option, pass_settings
from .preview import dry_run_option


@case.command("migrate")
@click.argument("case_refs", nargs=-1, metavar="[案件编号]...")
@click.option("--round", "round_id", default=None, help="迁移该轮次中尚未按目标版本办理的全部案件。")
@click.option("--to", "to", default=None, help="目标版本（默认：当前版本，即 definitions 目录中的流程文件）。")
@click.option("--reason", default="", help="迁移理由（必填，记入每件案件的历史）。")
@dry_run_option
@json_option
@pass_settings
def case_migrate(settings: Settings, case_refs: tuple[str, ...], round_id: str | None, to: str | None,
                 reason: str, dry_run: bool, as_json: bool) -> None:
    """把案件改按当前版本的流程定义办理（仅审定办，AWD-7）。

    案件默认按其开始办理时的流程定义版本继续办理；本命令检查新版本中有案件所处的状态、赛道和
    尚未执行的定时，全部可以迁移才迁移（一件不行则都不迁），并在每件案件的历史中记下新旧版本。

    \b
    示例：award case migrate SHA-2026-001 --reason "按2022.2版管理办法继续办理"
          award case migrate --round sha-2026 --reason "本轮改按新版办理" --dry-run
    """
    from award.workflow.case_migration import migrate_cases

    done = migrate_cases(settings.engine(), refs=case_refs, round_id=round_id, to=to, actor=settings.actor(),
                         reason=reason, dry_run=dry_run)

    def people() -> None:
        head = "试运行（未写入任何内容）：将迁移" if dry_run else "已迁移"
        if not done:
            click.echo("没有需要迁移的案件：都已按目标版本办理")
            return
        click.echo(f"{head} {len(done)} 件案件：")
        for m in done:
            click.echo(f"  {m.ref}：流程定义 {m.procedure} 版本 {m.from_version} → {m.to_version}")

    render.emit({"dry_run": dry_run, "migrated": done}, as_json=as_json, show=people)


COMMANDS: list[click.Command] = []
