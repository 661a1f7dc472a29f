"""Party commands of issue 12: search by part of a name, the party's history, correcting imported records."""

from __future__ import annotations

from typing import Any

import click

from . import render
from .context import Settings, json_option, pairs, pass_settings
from .export import output_options
from .params import RECORD_ID

_FIELD_LABELS = {"name": "名称", "email": "电子邮箱", "phone": "电话", "district": "所在区",
                 "registered_on": "登记注册日期", "awarded_on": "获奖日期", "label": "获奖名称",
                 "revoked_on": "撤销日期", "reason": "撤销原因", "rule": "撤销依据", "bar_until": "禁止申报至"}

_KIND_LABELS = {"party_imported": "导入登记", "party_changed": "修改", "record_imported": "导入获奖记录",
                "record_changed": "导入更新获奖记录", "record_corrected": "更正获奖记录",
                "record_removed": "删除获奖记录", "unmasked": "导出完整身份证号",
                "record_revoked": "撤销获奖记录", "recovery_recorded": "登记撤销后事项"}


def change_text(key: str, old: Any, new: Any) -> str:
    """One change as people read it: 所在区：浦东新区 → 闵行区."""
    label = _FIELD_LABELS.get(key, key.removeprefix("attr:"))
    return f"{label}：{'（空）' if old in (None, '') else old} → {'（空）' if new in (None, '') else new}"


@click.command("search")
@click.argument("text", metavar="名称或代码")
@json_option
@output_options
@pass_settings
def party_search(settings: Settings, text: str, as_json: bool) -> None:
    """按名称的一部分（或代码的开头）查找申报主体。

    \b
    示例： award party search 浦江
    """
    from award.workflow.registers.parties import search

    views = search(settings.engine().office, text)
    render.emit(views, as_json=as_json, text=None if views else f"没有名称含“{text}”的申报主体",
                table=lambda: render.Table(f"名称含“{text}”的申报主体", ["#", "类型", "名称", "代码", "所在区", "电子邮箱"],
                                           [[v.id, v.kind_label, v.name, v.code, v.district, v.email] for v in views]))


@click.command("history")
@click.argument("ref")
@json_option
@output_options
@pass_settings
def party_history(settings: Settings, ref: str, as_json: bool) -> None:
    """审定办对申报主体及其获奖记录所做的每一处修改（谁、何时、从什么改为什么、理由）。

    \b
    示例： award party history 91310000MA1FL1GF9K
    """
    from award.workflow.registers.parties import party_history as history

    view, entries = history(settings.engine().office, ref)
    render.emit({"party": view, "history": entries}, as_json=as_json, table=lambda: _history_table(view, entries))


def _history_table(view: Any, entries: Any) -> render.Table:
    rows = []
    for i, e in enumerate(entries, start=1):
        what = []
        for key, (old, new) in (e.data.get("changes") or {}).items():
            what.append(change_text(key, old, new))
        if e.data.get("label"):
            what.insert(0, str(e.data["label"]))
        if e.data.get("file"):
            what.append(f"文件 {e.data['file']} 第{e.data.get('line')}行")
        rows.append([i, render.shanghai(e.business_time), _KIND_LABELS.get(e.kind, e.kind), e.actor,
                     "\n".join(what), e.reason or "", render.shanghai(e.wall_time)])
    return render.Table(f"#{view.id} {view.name} 的变更记录",
                        ["#", "业务时间", "事项", "操作人", "内容", "理由", "实际记录时间"], rows)


@click.group("record")
def party_record() -> None:
    """更正或删除导入的获奖记录（须写明理由，记入申报主体的历史）。"""


@party_record.command("correct")
@click.argument("ref")
@click.argument("record_id", type=RECORD_ID, metavar="编号")
@click.option("--set", "sets", multiple=True, required=True,
              help="awarded_on=（获奖日期）、label=（名称）、revoked_on=（撤销日期）、reason=（原因）、rule=（依据）（可重复）。")
@click.option("--reason", "why", required=True, help="更正理由。")
@pass_settings
def record_correct(settings: Settings, ref: str, record_id: int, sets: tuple[str, ...], why: str) -> None:
    """更正导入的获奖记录；编号即 `award party show` 中的 #。

    \b
    示例： award party record correct 91310000MA1FL1GF9K 3 --set awarded_on=2021-12-20 --reason "原表年份有误"
    """
    from award.workflow.registers.parties import correct_record

    engine = settings.engine()
    diff = correct_record(engine.office, ref, record_id, changes=pairs(sets, "--set"), reason=why,
                          actor=settings.actor(), wall_clock=engine.wall_clock)
    if not diff:
        click.echo("没有变化")
    else:
        click.echo("已更正：" + "；".join(change_text(k, o, n) for k, (o, n) in diff.items()))


@party_record.command("remove")
@click.argument("ref")
@click.argument("record_id", type=RECORD_ID, metavar="编号")
@click.option("--reason", "why", required=True, help="删除理由。")
@pass_settings
def record_remove(settings: Settings, ref: str, record_id: int, why: str) -> None:
    """删除误录的获奖记录（原内容保留在申报主体的历史中）。

    \b
    示例： award party record remove 91310000MA1FL1GF9K 3 --reason "误录：该单位未获此奖"
    """
    from award.workflow.registers.parties import remove_record

    engine = settings.engine()
    label = remove_record(engine.office, ref, record_id, reason=why, actor=settings.actor(),
                          wall_clock=engine.wall_clock)
    click.echo(f"已删除获奖记录“{label}”（原内容已记入变更记录）")


PARTY_COMMANDS: list[click.Command] = [party_search, party_history, party_record]
