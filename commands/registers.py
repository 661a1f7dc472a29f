"""Commands on the office's registers: the staff roster, parties, rounds."""

from __future__ import annotations

from typing import Any

import click

from . import render
from .context import Settings, json_option, pairs, pass_settings
from .export import output_options, unmasked_codes
from .params import DAY, ROUND_YEAR, page_note, page_options


@click.group()
def party() -> None:
    """申报主体（组织和个人）及其获奖记录。"""


@party.command("add")
@click.option("--kind", type=click.Choice(["organization", "person"]), required=True,
              help="类型：organization（组织）或 person（个人）。")
@click.option("--name", required=True, help="名称或姓名。")
@click.option("--code", required=True, help="统一社会信用代码（组织）或身份证号（个人）。")
@click.option("--registered-on", type=DAY, help="登记注册日期（组织），如 2015-06-01。")
@click.option("--email", help="电子邮箱。")
@click.option("--phone", help="电话。")
@click.option("--district", help="所在区（区局的通知按此发送）。")
@click.option("--attr", "attrs", multiple=True, help="申报主体的属性：名称=值（可重复）。")
@json_option
@pass_settings
def party_add(settings: Settings, kind: str, name: str, code: str, registered_on: Any, email: str | None,
              phone: str | None, district: str | None, attrs: tuple[str, ...], as_json: bool) -> None:
    """登记组织或个人；代码按校验位核对。

    \b
    示例：award party add --kind organization --name 上海某某公司 --code 91310000MA1FL1GF9K --registered-on 2015-06-01
    """
    view = settings.engine().office.party_add(
        kind=kind, name=name, code=code, registered_on=registered_on,
        email=email, phone=phone, district=district, attrs=pairs(attrs, "--attr"), actor=settings.actor())
    render.emit(view, as_json=as_json, text=f"已登记 {view.kind_label} #{view.id} {view.name}（{view.code}）")


@party.command("set")
@click.argument("ref")
@click.option("--name", help="新名称（组织名称不能与已有的重复）。")
@click.option("--email", help="电子邮箱。")
@click.option("--phone", help="电话。")
@click.option("--district", help="所在区。")
@click.option("--attr", "attrs", multiple=True, help="属性：名称=值（可重复）。")
@click.option("--reason", help="理由（记入申报主体的历史）。")
@json_option
@pass_settings
def party_set(settings: Settings, ref: str, name: str | None, email: str | None, phone: str | None,
              district: str | None, attrs: tuple[str, ...], reason: str | None, as_json: bool) -> None:
    """修改申报主体的名称、电子邮箱、电话、所在区或属性；每一处修改记入其历史。

    \b
    示例：
      award party set 91310000MA1FL1GF9K --name 上海某某质量科技有限公司 --reason "更名，见营业执照"
      award party set 91310000MA1FL1GF9K --attr saq_member=是
    """
    from award.workflow.registers.parties import party_update

    from .parties import change_text

    changes = {k: v for k, v in (("name", name), ("email", email), ("phone", phone), ("district", district))
               if v is not None}
    if not changes and not attrs:
        raise click.UsageError("请至少给出一项修改：--name、--email、--phone、--district 或 --attr")
    engine = settings.engine()
    view, diff = party_update(engine.office, ref, changes=changes, attrs=pairs(attrs, "--attr"),
                              actor=settings.actor(), wall_clock=engine.wall_clock, reason=reason)
    text = (f"已修改 #{view.id} {view.name}：" + "；".join(change_text(k, o, n) for k, (o, n) in diff.items())
            if diff else f"{view.name}：没有变化")
    render.emit({"party": view, "changes": {k: [o, n] for k, (o, n) in diff.items()}}, as_json=as_json, text=text)


@party.command("show")
@click.argument("ref")
@json_option
@pass_settings
def party_show(settings: Settings, ref: str, as_json: bool) -> None:
    """查看申报主体、其获奖记录（获奖、导入、撤销）和案件。

    \b
    示例：award party show 91310000MA1FL1GF9K
    """
    settings.member("查看申报主体")
    v = settings.engine().office.party_show(ref)
    render.emit(v, as_json=as_json, show=lambda: _print_party(v))


def _print_party(v: Any) -> None:
    con = render.console()
    safe = render.safe
    con.print(f"[bold]#{v.id} {safe(v.name)}[/bold]  {safe(v.kind_label)}  {safe(v.code)}")
    if v.registered_on:
        con.print(f"登记注册日期：{v.registered_on}")
    for label, value in (("电子邮箱", v.email), ("电话", v.phone), ("所在区", v.district)):
        if value:
            con.print(f"{label}：{safe(value)}")
    if v.attrs:
        con.print("属性：" + "，".join(f"{safe(k)}={safe(val)}" for k, val in v.attrs.items()))
    render.table("获奖记录", ["#", "奖项", "获奖日期", "撤销日期", "禁止申报至", "原因", "来源"],
           [[r.id, r.label, r.awarded_on, r.revoked_on, r.bar_until, r.reason,
             "导入" if r.source == "import" else r.case_ref] for r in v.records])
    render.table("案件", ["案件", "轮次", "赛道", "状态"], [[c["ref"], c["round"], c["track"], c["state_label"]] for c in v.cases])
    for r in v.records:
        if r.recovery:
            pending = [i["label"] for i in r.recovery if i["status"] == "pending"]
            con.print(f"获奖记录 #{r.id}（{safe(r.label)}）撤销后的事项："
                      + ("尚待办理 " + "、".join(pending) if pending else "已全部登记")
                      + f"（award revocation record {v.id} 事项 --record {r.id} ...）")


@party.command("list")
@click.option("--kind", type=click.Choice(["organization", "person"]), help="只列出此类型：organization（组织）或 person（个人）。")
@page_options(1000, "个")
@json_option
@output_options
@pass_settings
def party_list(settings: Settings, kind: str | None, limit: int, offset: int, as_json: bool) -> None:
    """List parties (resident ID numbers masked; `--output xlsx -o FILE --unmask` writes them in full, recorded).

    \b
    示例：
      award party list --kind person
      award party list --output xlsx -o 申报主体.xlsx
    """
    settings.member("查看申报主体名单")
    views = settings.engine().office.party_list(kind, limit=limit + 1, offset=offset)
    more, views = len(views) > limit, views[:limit]
    page_note(offset, limit, more, "个")
    codes = unmasked_codes(settings, [v.id for v in views], "party list")
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "申报主体", ["#", "类型", "名称", "代码", "登记注册日期", "所在区", "电子邮箱", "电话"],
        [[v.id, v.kind_label, v.name, codes.get(v.id, v.code), v.registered_on, v.district, v.email, v.phone]
         for v in views]))


from .data import alias_import_awards  # the old name stays for scripts
from .parties import PARTY_COMMANDS

party.add_command(alias_import_awards())
for _command in PARTY_COMMANDS:
    party.add_command(_command)


@click.group("round")
def round_() -> None:
    """流程的评审轮次（年份、日期和属性）。"""


@round_.command("open")
@click.argument("procedure")
@click.argument("year", type=ROUND_YEAR)
@click.option("--title", help="轮次标题（默认由流程名称和年份生成）。")
@click.option("--id", "round_id", help="轮次编号（默认为 流程-年份，如 sha-2026）。")
@click.option("--opened-on", type=DAY, help="开启日期（默认今天）。")
@click.option("--date", "dates", multiple=True, help="轮次日期：名称=YYYY-MM-DD[ HH:MM]（可重复）。")
@click.option("--property", "props", multiple=True, help="轮次属性：名称=值（可重复）。")
@click.option("--decision", help="不按评选周期或在办法有效期外开启时，办公室决定的文号或理由（记入轮次记录）。")
@json_option
@pass_settings
def round_open(settings: Settings, procedure: str, year: int, title: str | None, round_id: str | None,
               opened_on: Any, dates: tuple[str, ...], props: tuple[str, ...], decision: str | None,
               as_json: bool) -> None:
    """开启一个评审轮次；不按评选周期或在办法有效期外开启，须用 --decision 记录办公室的决定。

    \b
    示例：
      award round open sha 2026 --date announced=2026-03-02
      award round open sha 2028 --decision "沪府办规〔2027〕X号：新办法施行后继续评选"
    """
    engine = settings.engine()
    view = engine.office.round_open(
        procedure=procedure, year=year, title=title, round_id=round_id,
        opened_on=opened_on, dates=pairs(dates, "--date"),
        properties=pairs(props, "--property"), actor=settings.actor(), decision=decision,
        wall_clock=engine.wall_clock)
    text = f"已开启轮次 {view.id}：{view.title}"
    if view.decision:
        text += f"\n开启决定：{view.decision['decision']}（{view.decision['by']} 决定，已记入轮次记录）"
    render.emit(view, as_json=as_json, text=text)


@round_.command("list")
@click.option("--procedure", help="只列出此流程的轮次（流程编号，如 sha）。")
@json_option
@pass_settings
def round_list(settings: Settings, procedure: str | None, as_json: bool) -> None:
    """列出评审轮次。

    \b
    示例：award round list --procedure sha
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
    """查看评审轮次：日期、属性和各状态的案件数。

    \b
    示例：award round show sha-2026
    """
    engine = settings.engine()
    v = engine.office.round_show(round_id)
    labels = {k: d.label for k, d in engine.catalog.get(v.procedure).round_dates.items()}
    render.emit(v, as_json=as_json, show=lambda: _print_round(v, labels))


def _print_round(v: Any, labels: dict[str, str] | None = None) -> None:
    con = render.console()
    safe = render.safe
    con.print(f"[bold]{safe(v.title)}[/bold]  {safe(v.id)}  开启于 {v.opened_on}")
    for k, val in v.dates.items():
        con.print(f"{safe((labels or {}).get(k, k))}：{safe(render.shanghai(val))}")
    for k, val in v.properties.items():
        con.print(f"{safe(k)}：{safe(val)}")
    if v.decision:
        d = v.decision
        con.print(f"开启决定：{safe(d['decision'])}（{safe(d['by'])} 于 {safe(render.shanghai(d['at']))} 决定）")
        for item in d["overrides"]:
            con.print(f"  越过 [{safe(item['rule'])}] {safe(item['reason'])}")
    render.table("案件（按状态）", ["状态", "数量"], list(v.cases_by_state.items()))


from .notice import round_winners

round_.add_command(round_winners)

COMMANDS: list[click.Command] = [party, round_]
