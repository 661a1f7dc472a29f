"""Commands on process definitions: list, show, check (no database needed)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import render
from .context import Settings, json_option, pass_settings

if TYPE_CHECKING:
    from award.workflow.errors import Problem
    from award.workflow.specs.catalog import Catalog
    from award.workflow.specs.model import EntrySpec, ProcessSpec


@click.group()
def definitions() -> None:
    """流程定义：列出、查看、检查、绘图（不需要数据库）。"""


@definitions.command("list")
@json_option
@pass_settings
def definitions_list(settings: Settings, as_json: bool) -> None:
    """列出已定义的流程：当前版本，以及为按旧版本开始的案件保留的已发布版本（definitions/archive）。

    \b
    示例：award definitions list
    """
    from award.workflow.specs.catalog import load_catalog

    catalog = load_catalog(settings.definitions_root())
    rows = [{"id": s.id, "version": s.version, "title": s.title, "source": s.source,
             "states": len(s.states), "transitions": len(s.transitions), "file": str(catalog.file_of(s)),
             "archived": catalog.is_archived(s)}  # a released version kept for the cases that started on it
            for s in catalog.versions()]

    def warn() -> None:
        if catalog.problems:
            click.echo(f"注意：流程定义有 {len(catalog.problems)} 处问题，运行 award definitions check 查看", err=True)

    render.emit(rows, as_json=as_json, table=lambda: render.Table(
        "流程定义", ["ID", "版本", "名称", "依据", "状态数", "触发数", "用途"],
        [[r["id"], r["version"], r["title"], r["source"], r["states"], r["transitions"],
          "已发布的旧版本（仅供按此版本开始的案件）" if r["archived"] else "当前版本"] for r in rows]),
        show=warn)


@definitions.command("show")
@click.argument("definition_id")
@json_option
@pass_settings
def definitions_show(settings: Settings, definition_id: str, as_json: bool) -> None:
    """查看流程：状态、操作、条件及其依据的条款。

    \b
    示例：award definitions show sha
    """
    from award.workflow.specs.catalog import load_catalog

    catalog = load_catalog(settings.definitions_root())
    spec = catalog.get(definition_id)
    render.emit(spec.model_dump(mode="json", by_alias=True), as_json=as_json, show=lambda: _print_spec(catalog, spec))


def _print_spec(catalog: Catalog, spec: ProcessSpec) -> None:
    con = render.console()
    safe = render.safe
    con.print(f"[bold]{safe(spec.title)}[/bold]  {safe(spec.id)} 版本 {safe(spec.version)}  依据：{safe(spec.source)}")
    render.table("赛道", ["ID", "名称", "申报主体"],
           [[k, t.label, "组织" if t.party == "organization" else "个人"] for k, t in spec.tracks.items()])
    render.table("状态", ["ID", "名称", "类型", "定时"],
           [[s.name, s.label, "终止" if s.final else ("公示" if s.notice else ""),
             "；".join(f"{t.after or _field_label(spec, t.after_field) or t.at or t.every} → "
                      f"{t.trigger or t.duty or t.mark} [{t.rule}]" for t in s.timers)]
            for s in spec.states])
    rows = []
    for t in spec.transitions:
        guards = "\n".join(f"[{g.rule}] {g.check}" + (f" 当 {g.when}" if g.when else "")
                           + ("（原则上：可 --override 破例）" if g.override else "") for g in t.guards)
        rows.append([t.trigger, t.label, ",".join(t.source), t.dest, ",".join(spec.roles.get(r, r) for r in t.roles),
                     guards])
    render.table("触发", ["触发", "名称", "来源", "目标", "角色", "守卫条件（规则）"], rows)
    if spec.quotas:
        render.table("名额", ["名额", "上限", "规则"], [[q.label, q.max, q.rule] for q in spec.quotas.limits])
    if spec.entries:  # `award entry add CASE ID`
        def answer(e: EntrySpec) -> str:
            if e.answer is None:
                return ""
            who = "、".join(spec.roles.get(r, r) for r in e.answer.roles)
            return f"{e.answer.label}（{who}{'；任何状态均可登记' if e.answer.any_state else ''}）"

        render.table("记录事项", ["ID", "名称", "状态", "登记", "对象", "答复", "规则"],
                     [[k, e.label, "、".join(spec.label_of(st) for st in e.states),
                       "、".join(spec.roles.get(r, r) for r in e.roles), e.to.label if e.to else "",
                       answer(e), e.rule] for k, e in spec.entries.items()])
    from award.workflow.specs.check import spec_rules

    render.table("引用的规则", ["规则", "条款", "内容"],
           [[r, catalog.rules[r].article, catalog.rules[r].summary] for r in sorted(spec_rules(spec))
            if r in catalog.rules])


@definitions.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path), metavar="[目录]")
@json_option
@pass_settings
def definitions_check(settings: Settings, path: Path | None, as_json: bool) -> None:
    """检查流程定义、通知模板和日历的全部问题（不需要数据库）。

    \b
    示例：award definitions check ./my-definitions
    """
    from award.workflow.specs.check import check_all
    from award.workflow.userfiles import check_path

    root = check_path(path, "流程定义目录") if path else settings.definitions_root()
    problems, summary = check_all(root)
    render.emit({"ok": not problems, "summary": summary, "problems": problems}, as_json=as_json,
                show=lambda: _print_problems(problems, summary))
    if problems:
        sys.exit(6)


def _print_problems(problems: Sequence[Problem], summary: str) -> None:
    for p in problems:
        click.echo(render.plain(str(p) + (f" [{p.rule}]" if p.rule else "")), err=True)
    if problems:
        click.echo(f"发现 {len(problems)} 处问题", err=True)
    else:
        click.echo(f"全部检查通过：{summary}")


COMMANDS: list[click.Command] = [definitions]


def _field_label(spec: ProcessSpec, name: str | None) -> str | None:
    """A timer due from a case field (`after_field`) is shown by the field's label: the office sets it per request."""
    if name is None:
        return None
    return f"“{spec.fields[name].label}”（每次要求时设定）" if name in spec.fields else name
