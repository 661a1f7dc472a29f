"""Commands on what is recorded on a case during a state (`entries:` of a definition): a self-evaluation,
a request for help (WHI-4.4), a written consultation of another department (SHA-22), and their answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click

from . import render
from .context import Settings, json_option, pass_settings
from .params import DAY, RECORD_ID

_FILES = click.Path(path_type=Path, dir_okay=False)


@click.group()
def entry() -> None:
    """案件的记录事项及答复：孵化期间的自我评价、求助（WHI-4.4），资格审查中书面征求相关部门意见（SHA-22）。"""


@entry.command("add")
@click.argument("case_ref", metavar="案件")
@click.argument("kind", metavar="事项")
@click.option("--text", default="", help="内容：自我评价的结果、求助的需求、征求意见的事项等（流程定义要求的须填写）。")
@click.option("--to", "to", default=None, help="对象（事项有对象的必填），如征求意见的部门 市生态环境局。")
@click.option("--on", "on", type=DAY, help="事项发生的日期（默认今天），如 2025-11-20。")
@click.option("--file", "files", multiple=True, type=_FILES, help="随事项存档的文件（如征求意见函），可多次给出。")
@json_option
@pass_settings
def entry_add(settings: Settings, case_ref: str, kind: str, text: str, to: str | None, on: date | None,
              files: tuple[Path, ...], as_json: bool) -> None:
    """登记一项记录事项（事项写编号或中文名称，见 award definitions show）。

    \b
    示例：
      award entry add WHI-2025-001 self_evaluation --on 2025-12-15 --text "对照GB/T 19580自评，得分420分"
      award entry add WHI-2025-001 help_request --text "希望服务站协助开展自评师培训"
      award entry add SHA-2026-001 consultation --to 市生态环境局 --on 2026-03-12 --file 征求意见函.pdf
    """
    from award.workflow.entries_record import add_entry

    number = add_entry(settings.engine(), case_ref, kind, text=text, on=on, actor=settings.actor(), to=to,
                       files=files)
    whom = f"（{to.strip()}）" if to and to.strip() else ""
    render.emit({"case": case_ref.upper(), "number": number}, as_json=as_json,
                text=f"已登记 {case_ref.upper()} 的记录事项 #{number}{whom}；答复用 award entry answer "
                     f"{case_ref.upper()} {number} 登记")


@entry.command("answer")
@click.argument("case_ref", metavar="案件")
@click.argument("number", type=RECORD_ID, metavar="编号")
@click.option("--text", required=True, help="答复内容（必填）：提供的帮扶、复函意见等。")
@click.option("--on", "on", type=DAY, help="答复的日期（默认今天）。")
@click.option("--file", "files", multiple=True, type=_FILES, help="随答复存档的文件（如复函），可多次给出。")
@pass_settings
def entry_answer(settings: Settings, case_ref: str, number: int, text: str, on: date | None,
                 files: tuple[Path, ...]) -> None:
    """答复一项记录事项（如服务站对求助的帮扶、相关部门的复函）。

    \b
    示例：
      award entry answer WHI-2025-001 7 --on 2025-11-25 --text "已安排自评师培训两期"
      award entry answer SHA-2026-001 6 --on 2026-03-18 --text "近5年无环境违法记录" --file 复函.pdf
    """
    from award.workflow.entries_record import answer_entry

    click.echo(answer_entry(settings.engine(), case_ref, number, text=text, on=on, actor=settings.actor(),
                            files=files))


@entry.command("list")
@click.argument("case_ref", metavar="案件")
@json_option
@pass_settings
def entry_list(settings: Settings, case_ref: str, as_json: bool) -> None:
    """列出案件的记录事项及其答复。

    \b
    示例：award entry list WHI-2025-001 --json
    """
    from award.workflow.entries_record import list_entries

    settings.member("查看记录事项")
    rows = list_entries(settings.engine(), case_ref)
    render.emit(rows, as_json=as_json,
                table=render.Table(f"{case_ref.upper()} 的记录事项", ENTRY_COLUMNS, entry_rows(rows)))


ENTRY_COLUMNS = ["#", "事项", "日期", "内容", "登记人", "答复"]


def entry_rows(entries: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Entries as table rows: dates in Chinese, the addressee and files, an answer with its date and who gave it."""
    from award.workflow.timing.clock import cn_date

    def day(text: Any) -> str:
        return cn_date(date.fromisoformat(text)) if isinstance(text, str) else ""

    def files(names: Any) -> str:
        return f"\n文件：{'、'.join(names)}" if names else ""

    rows = []
    for e in entries:
        answer = e.get("answer")
        if answer:
            shown = f"{day(answer['on'])} {answer['by']}：{answer['text']}{files(answer.get('files'))}"
        else:
            shown = f"待{e['answer_label']}" if e.get("answer_label") else "—"
        what = e["label"] + (f"\n{e['to_label']}：{e['to']}" if e.get("to") else "")
        rows.append([e["number"], what, day(e["on"]), (e["text"] or "") + files(e.get("files")), e["by"], shown])
    return rows


COMMANDS: list[click.Command] = [entry]
