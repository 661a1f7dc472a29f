"""Commands on what is recorded on a case during a state (`entries:` of a definition): a self-evaluation,
a request for help and its answer (WHI-4.4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import click

from . import render
from .context import Settings, json_option, pass_settings
from .params import DAY, RECORD_ID


@click.group()
def entry() -> None:
    """案件的记录事项：孵化期间的自我评价、求助及答复（WHI-4.4）。"""


@entry.command("add")
@click.argument("case_ref", metavar="案件")
@click.argument("kind", metavar="事项")
@click.option("--text", required=True, help="内容（必填）：自我评价的结果、求助的需求等。")
@click.option("--on", "on", type=DAY, help="事项发生的日期（默认今天），如 2025-11-20。")
@json_option
@pass_settings
def entry_add(settings: Settings, case_ref: str, kind: str, text: str, on: date | None, as_json: bool) -> None:
    """登记一项记录事项（事项写编号或中文名称，见 award definitions show）。

    \b
    示例：
      award entry add WHI-2025-001 self_evaluation --on 2025-12-15 --text "对照GB/T 19580自评，得分420分"
      award entry add WHI-2025-001 help_request --text "希望服务站协助开展自评师培训"
    """
    from award.workflow.entries import add_entry

    number = add_entry(settings.engine(), case_ref, kind, text=text, on=on, actor=settings.actor())
    render.emit({"case": case_ref, "number": number}, as_json=as_json,
                text=f"已登记 {case_ref.upper()} 的记录事项 #{number}")


@entry.command("answer")
@click.argument("case_ref", metavar="案件")
@click.argument("number", type=RECORD_ID, metavar="编号")
@click.option("--text", required=True, help="答复内容（必填）：提供的帮扶。")
@click.option("--on", "on", type=DAY, help="答复的日期（默认今天）。")
@pass_settings
def entry_answer(settings: Settings, case_ref: str, number: int, text: str, on: date | None) -> None:
    """答复一项记录事项（如服务站对求助的帮扶）。

    \b
    示例：award entry answer WHI-2025-001 7 --on 2025-11-25 --text "已安排自评师培训两期"
    """
    from award.workflow.entries import answer_entry

    click.echo(answer_entry(settings.engine(), case_ref, number, text=text, on=on, actor=settings.actor()))


@entry.command("list")
@click.argument("case_ref", metavar="案件")
@json_option
@pass_settings
def entry_list(settings: Settings, case_ref: str, as_json: bool) -> None:
    """列出案件的记录事项及其答复。

    \b
    示例：award entry list WHI-2025-001 --json
    """
    from award.workflow.entries import list_entries

    settings.member("查看记录事项")
    rows = list_entries(settings.engine(), case_ref)
    render.emit(rows, as_json=as_json,
                table=render.Table(f"{case_ref.upper()} 的记录事项", ["#", "事项", "日期", "内容", "登记人", "答复"],
                                   entry_rows(rows)))


def entry_rows(entries: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Entries as table rows: dates in Chinese, an answer with its date and who gave it."""
    from award.workflow.timing.clock import cn_date

    def day(text: Any) -> str:
        return cn_date(date.fromisoformat(text)) if isinstance(text, str) else ""

    rows = []
    for e in entries:
        answer = e.get("answer")
        if answer:
            shown = f"{day(answer['on'])} {answer['by']}：{answer['text']}"
        else:
            shown = "待答复" if e.get("answer_label") else "—"
        rows.append([e["number"], e["label"], day(e["on"]), e["text"], e["by"], shown])
    return rows


COMMANDS: list[click.Command] = [entry]
