"""`award case correct`: return a case to an earlier state with a recorded reason (history is never edited)."""

from __future__ import annotations

import click

from . import render
from .cases import case
from .context import Settings, json_option, pass_settings


@case.command("correct")
@click.argument("case_ref")
@click.option("--to", "to", required=True, help="退回到的状态（状态编号或中文名称），须是本案此前所处的状态。")
@click.option("--reason", default="", help="更正理由（必填，记入案件历史）。")
@click.option("--restart", is_flag=True,
              help="恢复状态的期限从现在重新起算（默认仍按当初进入该状态的时间计算）。")
@click.option("--backdate", "backdate", is_flag=True, help="更正的业务时间早于本案最后一条记录时，须加此项并写明理由。")
@json_option
@pass_settings
def case_correct(settings: Settings, case_ref: str, to: str, reason: str, restart: bool, backdate: bool,
                 as_json: bool) -> None:
    """更正误操作：把案件退回到此前的状态（仅审定办），原有历史保留不改。

    撤销误操作所设的定时和尚未发出的通知（已发出的会列出），并为恢复的状态重新设定定时。
    已撤回或被误驳回的案件也用此命令恢复。

    \b
    示例：award case correct SHA-2026-001 --to material_review --reason "误点了未入选，应进入现场评审"
    """
    from award.workflow.restore import correct

    result = correct(settings.engine(), case_ref, to=to, reason=reason, actor=settings.actor(), restart=restart,
                     backdate=reason if backdate else None)
    def people() -> None:
        click.echo(f"{result.case_ref}：已更正（第{result.seq}条记录）　{result.source_label} → {result.dest_label}")
        click.echo(f"  理由：{result.reason}")
        for seq, what in result.undone:
            click.echo(f"  撤销第{seq}条记录的后果：{what}")
        for tid, what in result.cancelled_timers:
            click.echo(f"  已取消定时 #{tid}：{_what(settings, what)}")
        for oid, to_whom, subject in result.withdrawn:
            click.echo(f"  已撤回未发出的通知 #{oid}：{to_whom}《{subject}》")
        for oid, to_whom, subject in result.already_sent:
            click.echo(f"  注意：通知 #{oid} 已发给 {to_whom}《{subject}》，无法撤回，请另行告知更正情况")
        for line in result.records:
            click.echo(f"  {line}")
        basis = "自现在重新起算" if result.restarted else "按当初进入该状态的时间计算"
        for tid, what, due in result.planned:
            click.echo(f"  重新设定定时 #{tid}：{_what(settings, what)}，{render.shanghai(due)} 到期（{basis}）")

    render.emit(result, as_json=as_json, show=people)


def _what(settings: Settings, what: str) -> str:
    """A timer's trigger or duty id as its Chinese name, across the bundled definitions."""
    from award.workflow.labels import timer_kind

    for spec in settings.engine().catalog.specs():
        for t in spec.transitions:
            if t.trigger == what:
                return t.label
    return timer_kind(what) if what in ("transition", "reminder", "duty", "mark") else what


COMMANDS: list[click.Command] = []
