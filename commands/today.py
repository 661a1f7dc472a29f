"""`award today`: what needs doing, for the acting person's roles."""

from __future__ import annotations

from datetime import datetime

import click

from . import render
from .context import Settings, json_option, pass_settings


def _at(value: str | None) -> str:
    return render.shanghai(datetime.fromisoformat(value)) if value else ""


@click.command()
@click.option("--days", default=5, show_default=True, type=click.IntRange(min=0),
              help="列出此后若干个工作日内届满的期限。")
@json_option
@pass_settings
def today(settings: Settings, days: int, as_json: bool) -> None:
    """今天要办的事：按当前身份的角色，列出近期届满的期限、暂缓的定时、发送失败的通知、
    未处理的异议、逾期的年度报告和等待本角色办理的案件。

    \b
    示例：award --as wang today --days 3
    """
    from award.workflow.labels import roles
    from award.workflow.today import today as what_today

    actor = settings.actor()
    view = what_today(settings.engine(), actor, days=days)
    def people() -> None:
        labels: dict[str, str] = {}
        for spec in settings.engine().catalog.specs():
            labels = {**spec.roles, **labels}
        with render.paged():
            out = render.current()
            out.print(f"[bold]{render.shanghai(view.now)}[/bold]　{view.actor}（{roles(labels, list(dict.fromkeys(r.split('@')[0] for r in view.roles))) or '无角色'}）"
                      f"　今后 {view.days} 个工作日（至 {render.shanghai(view.until)}）")
            if view.note:
                out.print(f"[yellow]注意：{view.note}[/yellow]")
            if view.deadlines:
                render.table("近期届满的期限", ["案件", "申报主体", "事项", "状态", "届满", "最后一日", "依据"],
                             [[d["case"], d["party"], d["what"], d["state_label"], _at(d["due_at"]), d["last_day"],
                               d["rule"]] for d in view.deadlines], ids=(0, 6))
            if view.held:
                render.table("暂缓的定时", ["案件", "事项", "原定届满", "原因"],
                             [[d["case"], d["what"], _at(d["due_at"]), d["note"]] for d in view.held])
            if view.failed_notifications:
                render.table("发送失败的通知", ["#", "案件", "收件人", "主题", "原因"],
                             [[o["id"], o["case"], o["recipient"], o["subject"], o["error"]]
                              for o in view.failed_notifications], ids=(0, 1))
            if view.objections:
                render.table("未处理的异议", ["#", "案件", "申报主体", "公示", "提出人", "理由", "提出时间"],
                             [[o["id"], o["case"], o["party"], o["state_label"], o["filed_by"], o["reason"],
                               _at(o["filed_at"])] for o in view.objections], ids=(0, 1))
            if view.overdue_reports:
                render.table("逾期未登记的获奖后义务", ["案件", "申报主体", "义务", "应登记", "依据"],
                             [[d["case"], d["party"], d["what"], _at(d["due_at"]), d["rule"]]
                              for d in view.overdue_reports])
            if view.waiting:
                render.table("等待您办理的案件", ["案件", "申报主体", "状态", "自", "可办理"],
                             [[w["case"], w["party"], w["state_label"], _at(w["since"]), "、".join(w["trigger_labels"])]
                              for w in view.waiting])
            if not any((view.deadlines, view.held, view.failed_notifications, view.objections, view.overdue_reports,
                        view.waiting)):
                out.print("今天没有需要办理的事项")

    render.emit(view, as_json=as_json, show=people)


COMMANDS: list[click.Command] = [today]
