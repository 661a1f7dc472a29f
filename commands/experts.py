"""Commands on the expert pool: experts, their relations to organisations, and conflicts of interest."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from . import render
from .context import Settings, json_option, pass_settings
from .params import RECORD_ID


def _date(value: str | None, what: str) -> date | None:
    from award.workflow.errors import InvalidInput

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} 须为日期，如 2024-06-30，收到 {value!r}") from None


def _experts(settings: Settings) -> Any:
    from award.workflow.registers.experts import Experts

    engine = settings.engine()
    return Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)


def _expert_rows(views: Any) -> list[list[Any]]:
    return [[v.id, v.name, v.org_name or "", v.title or "", "、".join(v.specialities), v.pool_label, v.joined_label,
             v.staff or "", "在库" if v.active else f"已停用：{v.disabled_reason}"] for v in views]


_EXPERT_COLUMNS = ["编号", "姓名", "单位", "职务", "专业领域", "专家库", "加入方式", "工作人员账号", "状态"]


@click.group()
def expert() -> None:
    """The expert pool: experts, their organisations, coaching registrations and conflicts (SHA-9, SHA-14, SHA-29)."""


@expert.command("add")
@click.argument("name")
@click.option("--pool", required=True, help="The pool id (see definitions: review.pool), e.g. shanghai_gov.")
@click.option("--org-name", help="The expert's organisation.")
@click.option("--org-code", help="Its unified social credit code (used to detect conflicts).")
@click.option("--title", help="Position.")
@click.option("--speciality", "specialities", multiple=True, help="A speciality (repeatable).")
@click.option("--email")
@click.option("--phone")
@click.option("--staff", help="The staff roster name this expert acts as (--as).")
@json_option
@pass_settings
def expert_add(settings: Settings, name: str, pool: str, org_name: str | None, org_code: str | None,
               title: str | None, specialities: tuple[str, ...], email: str | None, phone: str | None,
               staff: str | None, as_json: bool) -> None:
    """Add an expert to a pool (appointed by the office).

    \b
    Example: award expert add 张三 --pool shanghai_gov --org-name 某大学 --org-code 91310000MA1FL1GF9K --staff zhang
    """
    view = _experts(settings).add(pool=pool, name=name, org_name=org_name, org_code=org_code, title=title,
                                  specialities=specialities, email=email, phone=phone, staff=staff,
                                  actor=settings.actor())
    render.emit(view, as_json=as_json, text=lambda: f"已登记专家 {view.name}（编号 {view.id}），{view.pool_label}")


@expert.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--pool", required=True, help="The pool the experts join.")
@json_option
@pass_settings
def expert_import(settings: Settings, file: Path, pool: str, as_json: bool) -> None:
    """Import experts from a .xlsx or .csv file (all or nothing).

    Headers: 姓名, 单位, 统一社会信用代码, 职务, 专业领域 (several separated by 、), 电子邮箱, 电话, 工作人员账号.

    \b
    Example: award expert import experts.xlsx --pool shanghai_gov
    """
    views = _experts(settings).import_file(pool=pool, path=file, actor=settings.actor())
    render.emit(views, as_json=as_json, text=lambda: f"已从 {file.name} 导入 {len(views)} 位专家")


@expert.command("list")
@click.option("--pool")
@click.option("--all", "include_disabled", is_flag=True, help="Include disabled experts.")
@json_option
@pass_settings
def expert_list(settings: Settings, pool: str | None, include_disabled: bool, as_json: bool) -> None:
    """List the experts of the pools.

    \b
    Example: award expert list --pool shanghai_gov
    """
    views = _experts(settings).list(pool, include_disabled=include_disabled)
    render.emit(views, as_json=as_json, table=lambda: render.Table("评审专家", _EXPERT_COLUMNS, _expert_rows(views)))


@expert.command("show")
@click.argument("expert_ref")
@json_option
@pass_settings
def expert_show(settings: Settings, expert_ref: str, as_json: bool) -> None:
    """Show an expert with their employment, consulting and coaching records.

    \b
    Example: award expert show 张三
    """
    view = _experts(settings).show(expert_ref)

    def relations() -> None:
        kinds = {"employment": "任职", "consulting": "咨询服务"}
        rows = [[kinds.get(v["kind"], v["kind"]), v["org_name"] or "", v["org_code"], v["start"] or "",
                 v["end"] or "至今"] for v in view.services]
        rows += [["备案的指导关系", c["org_name"] or "", c["org_code"], c["start"] or "", c["end"] or "至今"]
                 for c in view.coaching]
        if rows:
            render.table("任职、咨询与指导关系", ["关系", "单位", "统一社会信用代码", "起", "止"], rows)

    render.emit(view, as_json=as_json, table=lambda: render.Table(f"专家 {view.name}", _EXPERT_COLUMNS,
                                                                   _expert_rows([view])), show=relations)


@expert.command("disable")
@click.argument("expert_ref")
@click.option("--reason", required=True)
@pass_settings
def expert_disable(settings: Settings, expert_ref: str, reason: str) -> None:
    """Take an expert out of the pool (their records stay).

    \b
    Example: award expert disable 张三 --reason 本人申请退出
    """
    view = _experts(settings).disable(expert_ref, reason=reason, actor=settings.actor())
    click.echo(f"专家 {view.name} 已停用")


@expert.command("relation")
@click.argument("expert_ref")
@click.option("--kind", required=True, type=click.Choice(["employment", "consulting", "coaching"]),
              help="employment, consulting, or coaching (registered with the office, SHA-14).")
@click.option("--org-code", required=True, help="The organisation's unified social credit code.")
@click.option("--org-name")
@click.option("--from", "start", help="Start date, e.g. 2022-01-01.")
@click.option("--to", "end", help="End date (empty: ongoing).")
@pass_settings
def expert_relation(settings: Settings, expert_ref: str, kind: str, org_code: str, org_name: str | None,
                    start: str | None, end: str | None) -> None:
    """Record an expert's employment, consulting or coaching for an organisation (recuses at once if it conflicts).

    \b
    Example: award expert relation 张三 --kind coaching --org-code 91310000MA1FL1GF9K --from 2025-03-01
    """
    from award.workflow.review.conflicts import add_relation

    add_relation(settings.engine(), expert_ref, kind=kind, org_code=org_code, org_name=org_name,
                 start=_date(start, "--from"), end=_date(end, "--to"), actor=settings.actor())
    labels = {"employment": "任职", "consulting": "咨询服务", "coaching": "指导关系备案"}
    click.echo(f"已登记{labels[kind]}：{org_name or org_code}")


@expert.command("group")
@click.option("--member", "member_code", required=True, help="Member organisation's credit code.")
@click.option("--group", "group_code", required=True, help="Group company's credit code.")
@click.option("--group-name")
@pass_settings
def expert_group(settings: Settings, member_code: str, group_code: str, group_name: str | None) -> None:
    """Record that an organisation belongs to a group company (read by conflict detection).

    \b
    Example: award expert group --member 91310000MA1FL1GF9K --group 91310000132200821H --group-name 某集团
    """
    from award.workflow.review.conflicts import add_group

    add_group(settings.engine(), member_code=member_code, group_code=group_code, group_name=group_name,
              actor=settings.actor())
    click.echo(f"已登记集团关系：{member_code} 属于 {group_name or group_code}")


@expert.group("conflict")
def conflict() -> None:
    """Conflicts of interest between experts and applicants (SHA-29, SHA-14)."""


@conflict.command("add")
@click.argument("expert_ref")
@click.option("--party", "party_ref", required=True, help="The applicant (id, code or name).")
@click.option("--kind", required=True,
              type=click.Choice(["same_org", "same_group", "employment", "consulting", "coaching", "other"]))
@click.option("--reason", required=True, help="The facts.")
@click.option("--declared", is_flag=True, help="The expert declared it (the office enters their declaration).")
@json_option
@pass_settings
def conflict_add(settings: Settings, expert_ref: str, party_ref: str, kind: str, reason: str, declared: bool,
                 as_json: bool) -> None:
    """Record a conflict of interest; the expert is recused at once from the applicant's cases.

    \b
    Example: award expert conflict add 张三 --party 91310000MA1FL1GF9K --kind other --reason 近亲属在该单位任高管
    """
    from award.workflow.review.conflicts import add_conflict

    view = add_conflict(settings.engine(), expert_ref=expert_ref, party_ref=party_ref, kind=kind, reason=reason,
                        declared=declared, actor=settings.actor())
    render.emit(view, as_json=as_json, text=lambda: f"已记录利害关系 #{view.id}：{view.expert} 与 {view.party}（{view.kind_label}，{view.source_label}）；"
                                                       "该专家已回避该申报方的全部案件")


@conflict.command("list")
@click.option("--expert", "expert_ref")
@click.option("--party", "party_ref")
@click.option("--all", "include_withdrawn", is_flag=True, help="Include withdrawn entries.")
@json_option
@pass_settings
def conflict_list(settings: Settings, expert_ref: str | None, party_ref: str | None, include_withdrawn: bool,
                  as_json: bool) -> None:
    """List conflicts of interest (declared, entered and detected).

    \b
    Example: award expert conflict list --expert 张三
    """
    from award.workflow.review.conflicts import list_conflicts

    views = list_conflicts(settings.engine(), expert_ref=expert_ref, party_ref=party_ref,
                           include_withdrawn=include_withdrawn)
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "利害关系", ["#", "专家", "申报方", "类别", "来源", "事实", "录入人", "录入时间", "状态"],
        [[v.id, v.expert, v.party, v.kind_label, v.source_label, v.reason, v.entered_by,
          render.shanghai(v.entered_at), "有效" if v.active else f"已撤销：{v.withdrawn_reason}"] for v in views]))


@conflict.command("withdraw")
@click.argument("conflict_id", type=RECORD_ID)
@click.option("--reason", required=True)
@pass_settings
def conflict_withdraw(settings: Settings, conflict_id: int, reason: str) -> None:
    """Withdraw a conflict entry found wrong (the office only); past recusals stay.

    \b
    Example: award expert conflict withdraw 3 --reason 录入有误
    """
    from award.workflow.review.conflicts import withdraw_conflict

    view = withdraw_conflict(settings.engine(), conflict_id, reason=reason, actor=settings.actor())
    click.echo(f"利害关系 #{view.id} 已撤销")



COMMANDS: list[click.Command] = [expert]
