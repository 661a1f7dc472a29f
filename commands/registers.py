"""Commands on the office's registers: the staff roster, parties, rounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import render
from .context import Settings, json_option, pairs, pass_settings


@click.group()
def staff() -> None:
    """The staff roster: who may act, in which roles."""


@staff.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="office, reviewer, committee, ... (repeatable).")
@click.option("--email", help="Address for notifications to this person.")
@json_option
@pass_settings
def staff_add(settings: Settings, name: str, roles: tuple[str, ...], email: str | None, as_json: bool) -> None:
    """Add a staff member (or roles to one).

    \b
    Example: award staff add wang --role office --role committee
    """
    view = settings.engine().office.staff_add(name, roles, email)
    render.emit(view, as_json=as_json, text=f"{view.name}：{'、'.join(view.roles)}")


@staff.command("list")
@json_option
@pass_settings
def staff_list(settings: Settings, as_json: bool) -> None:
    """List the staff roster.

    \b
    Example: award staff list --json
    """
    views = settings.engine().office.staff_list()
    roles = settings.engine().catalog.roles()
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "工作人员", ["姓名", "角色", "电子邮箱"],
        [[v.name, "、".join(roles.get(r, r) for r in v.roles), v.email] for v in views]))




@click.group()
def party() -> None:
    """Parties (organisations and persons) and their award history."""


@party.command("add")
@click.option("--kind", type=click.Choice(["organization", "person"]), required=True)
@click.option("--name", required=True)
@click.option("--code", required=True, help="Unified social credit code (organisation) or resident ID number (person).")
@click.option("--registered-on", type=click.DateTime(["%Y-%m-%d"]), help="Date of registration (organisations).")
@click.option("--email")
@click.option("--phone")
@click.option("--district", help="District (所在区), for the district bureau's notifications.")
@click.option("--attr", "attrs", multiple=True, help="A party attribute NAME=VALUE (repeatable).")
@json_option
@pass_settings
def party_add(settings: Settings, kind: str, name: str, code: str, registered_on: Any, email: str | None,
              phone: str | None, district: str | None, attrs: tuple[str, ...], as_json: bool) -> None:
    """Register an organisation or a person; codes are checked by their check character.

    \b
    Example: award party add --kind organization --name 上海某某公司 --code 91310000MA1FL1GF9K --registered-on 2015-06-01
    """
    view = settings.engine().office.party_add(
        kind=kind, name=name, code=code, registered_on=registered_on.date() if registered_on else None,
        email=email, phone=phone, district=district, attrs=pairs(attrs, "--attr"))
    render.emit(view, as_json=as_json, text=f"已登记 {view.kind_label} #{view.id} {view.name}（{view.code}）")


@party.command("set")
@click.argument("ref")
@click.option("--attr", "attrs", multiple=True, required=True, help="NAME=VALUE (repeatable).")
@json_option
@pass_settings
def party_set(settings: Settings, ref: str, attrs: tuple[str, ...], as_json: bool) -> None:
    """Change a party's attributes.

    \b
    Example: award party set 91310000MA1FL1GF9K --attr NAME=VALUE
    """
    view = settings.engine().office.party_set(ref, pairs(attrs, "--attr"))
    render.emit(view, as_json=as_json, text=f"{view.name}：{view.attrs}")


@party.command("show")
@click.argument("ref")
@json_option
@pass_settings
def party_show(settings: Settings, ref: str, as_json: bool) -> None:
    """Show a party, its awards (won, imported, revoked) and its cases.

    \b
    Example: award party show 91310000MA1FL1GF9K
    """
    v = settings.engine().office.party_show(ref)
    render.emit(v, as_json=as_json, show=lambda: _print_party(v))


def _print_party(v: Any) -> None:
    con = render.console()
    con.print(f"[bold]#{v.id} {v.name}[/bold]  {v.kind_label}  {v.code}")
    if v.registered_on:
        con.print(f"登记注册日期：{v.registered_on}")
    for label, value in (("电子邮箱", v.email), ("电话", v.phone), ("所在区", v.district)):
        if value:
            con.print(f"{label}：{value}")
    if v.attrs:
        con.print("属性：" + "，".join(f"{k}={val}" for k, val in v.attrs.items()))
    render.table("获奖记录", ["奖项", "获奖日期", "撤销日期", "禁止申报至", "原因", "来源"],
           [[r.label, r.awarded_on, r.revoked_on, r.bar_until, r.reason,
             "导入" if r.source == "import" else r.case_ref] for r in v.records])
    render.table("案件", ["案件", "轮次", "赛道", "状态"], [[c["ref"], c["round"], c["track"], c["state_label"]] for c in v.cases])


@party.command("list")
@click.option("--kind", type=click.Choice(["organization", "person"]))
@json_option
@pass_settings
def party_list(settings: Settings, kind: str | None, as_json: bool) -> None:
    """List parties (resident ID numbers masked).

    \b
    Example: award party list --kind person
    """
    views = settings.engine().office.party_list(kind)
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "申报主体", ["#", "类型", "名称", "代码", "登记注册日期", "所在区"],
        [[v.id, v.kind_label, v.name, v.code, v.registered_on, v.district] for v in views]))


@party.command("import-awards")
@click.argument("file", type=click.Path(path_type=Path))
@pass_settings
def party_import_awards(settings: Settings, file: Path) -> None:
    """Load awards won before the system existed (all rows or none).

    \b
    Columns: code,procedure,award,awarded_on[,label,revoked_on,reason,rule]
    Example: award party import-awards past-awards.csv
    """
    n = settings.engine().office.import_awards(file)
    click.echo(f"已导入 {n} 条获奖记录")




@click.group("round")
def round_() -> None:
    """Rounds of a procedure (a year, its dates and properties)."""


@round_.command("open")
@click.argument("procedure")
@click.argument("year", type=int)
@click.option("--title")
@click.option("--id", "round_id", help="Round id (default PROCEDURE-YEAR).")
@click.option("--opened-on", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--date", "dates", multiple=True, help="A named date NAME=YYYY-MM-DD[ HH:MM] (repeatable).")
@click.option("--property", "props", multiple=True, help="A round property NAME=VALUE (repeatable).")
@json_option
@pass_settings
def round_open(settings: Settings, procedure: str, year: int, title: str | None, round_id: str | None,
               opened_on: Any, dates: tuple[str, ...], props: tuple[str, ...], as_json: bool) -> None:
    """Open a round of a procedure.

    \b
    Example: award round open sha 2026
    """
    view = settings.engine().office.round_open(
        procedure=procedure, year=year, title=title, round_id=round_id,
        opened_on=opened_on.date() if opened_on else None, dates=pairs(dates, "--date"),
        properties=pairs(props, "--property"))
    render.emit(view, as_json=as_json, text=f"已开启轮次 {view.id}：{view.title}")


@round_.command("list")
@click.option("--procedure")
@json_option
@pass_settings
def round_list(settings: Settings, procedure: str | None, as_json: bool) -> None:
    """List rounds.

    \b
    Example: award round list --procedure sha
    """
    views = settings.engine().office.round_list(procedure)
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "评审轮次", ["轮次", "名称", "年度", "开启日期", "案件"],
        [[v.id, v.title, v.year, v.opened_on, sum(v.cases_by_state.values())] for v in views]))


@round_.command("show")
@click.argument("round_id")
@json_option
@pass_settings
def round_show(settings: Settings, round_id: str, as_json: bool) -> None:
    """Show a round: its dates, properties and cases by state.

    \b
    Example: award round show sha-2026
    """
    v = settings.engine().office.round_show(round_id)
    render.emit(v, as_json=as_json, show=lambda: _print_round(v))


def _print_round(v: Any) -> None:
    con = render.console()
    con.print(f"[bold]{v.title}[/bold]  {v.id}  开启于 {v.opened_on}")
    for k, val in v.dates.items():
        con.print(f"{k}：{render.shanghai(val)}")
    for k, val in v.properties.items():
        con.print(f"{k}：{val}")
    render.table("案件（按状态）", ["状态", "数量"], list(v.cases_by_state.items()))


COMMANDS: list[click.Command] = [staff, party, round_]
