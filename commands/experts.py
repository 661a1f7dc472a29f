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
    """专家库：专家、所在单位、辅导登记和利害关系（SHA-9、SHA-14、SHA-29）。"""


@expert.command("add")
@click.argument("name", metavar="姓名")
@click.option("--pool", required=True, help="专家库编号（见流程定义的 review.pool），如 shanghai_gov。")
@click.option("--org-name", help="专家所在单位。")
@click.option("--org-code", help="所在单位的统一社会信用代码（用于发现利害关系）。")
@click.option("--title", help="职务。")
@click.option("--speciality", "specialities", multiple=True, help="专业领域（可重复）。")
@click.option("--email", help="电子邮箱。")
@click.option("--phone", help="电话。")
@click.option("--staff", help="专家办理时使用的工作人员账号（--as）。")
@json_option
@pass_settings
def expert_add(settings: Settings, name: str, pool: str, org_name: str | None, org_code: str | None,
               title: str | None, specialities: tuple[str, ...], email: str | None, phone: str | None,
               staff: str | None, as_json: bool) -> None:
    """把专家加入专家库（由审定办聘任）。

    \b
    示例： award expert add 张三 --pool shanghai_gov --org-name 某大学 --org-code 91310000MA1FL1GF9K --staff zhang
    """
    view = _experts(settings).add(pool=pool, name=name, org_name=org_name, org_code=org_code, title=title,
                                  specialities=specialities, email=email, phone=phone, staff=staff,
                                  actor=settings.actor())
    render.emit(view, as_json=as_json, text=lambda: f"已登记专家 {view.name}（编号 {view.id}），{view.pool_label}")


@expert.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--pool", required=True, help="专家加入的专家库。")
@json_option
@pass_settings
def expert_import(settings: Settings, file: Path, pool: str, as_json: bool) -> None:
    """从 .xlsx 或 .csv 文件导入专家（全部导入或全部不导入）。

    表头：姓名、单位、统一社会信用代码、职务、专业领域（多个用“、”分隔）、电子邮箱、电话、工作人员账号。

    \b
    示例： award expert import experts.xlsx --pool shanghai_gov
    """
    views = _experts(settings).import_file(pool=pool, path=file, actor=settings.actor())
    render.emit(views, as_json=as_json, text=lambda: f"已从 {file.name} 导入 {len(views)} 位专家")


@expert.command("list")
@click.option("--pool", help="只列出此专家库。")
@click.option("--all", "include_disabled", is_flag=True, help="包括已停用的专家。")
@json_option
@pass_settings
def expert_list(settings: Settings, pool: str | None, include_disabled: bool, as_json: bool) -> None:
    """列出专家库中的专家。

    \b
    示例： award expert list --pool shanghai_gov
    """
    views = _experts(settings).list(pool, include_disabled=include_disabled)
    render.emit(views, as_json=as_json, table=lambda: render.Table("评审专家", _EXPERT_COLUMNS, _expert_rows(views)))


@expert.command("show")
@click.argument("expert_ref", metavar="专家")
@json_option
@pass_settings
def expert_show(settings: Settings, expert_ref: str, as_json: bool) -> None:
    """查看专家及其任职、咨询和辅导记录。

    \b
    示例： award expert show 张三
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
@click.argument("expert_ref", metavar="专家")
@click.option("--reason", required=True, help="理由（必填）。")
@pass_settings
def expert_disable(settings: Settings, expert_ref: str, reason: str) -> None:
    """停用专家（记录保留）。

    \b
    示例： award expert disable 张三 --reason 本人申请退出
    """
    view = _experts(settings).disable(expert_ref, reason=reason, actor=settings.actor())
    click.echo(f"专家 {view.name} 已停用")


@expert.command("relation")
@click.argument("expert_ref", metavar="专家")
@click.option("--kind", required=True, type=click.Choice(["employment", "consulting", "coaching"]),
              help="employment（任职）、consulting（咨询）或 coaching（辅导，须向审定办登记，SHA-14）。")
@click.option("--org-code", required=True, help="该组织的统一社会信用代码。")
@click.option("--org-name", help="该组织的名称。")
@click.option("--from", "start", help="开始日期，如 2022-01-01。")
@click.option("--to", "end", help="结束日期（不写表示仍在继续）。")
@pass_settings
def expert_relation(settings: Settings, expert_ref: str, kind: str, org_code: str, org_name: str | None,
                    start: str | None, end: str | None) -> None:
    """登记专家在某组织的任职、咨询或辅导（有利害关系的立即回避）。

    \b
    示例： award expert relation 张三 --kind coaching --org-code 91310000MA1FL1GF9K --from 2025-03-01
    """
    from award.workflow.review.conflicts import add_relation

    add_relation(settings.engine(), expert_ref, kind=kind, org_code=org_code, org_name=org_name,
                 start=_date(start, "--from"), end=_date(end, "--to"), actor=settings.actor())
    labels = {"employment": "任职", "consulting": "咨询服务", "coaching": "指导关系备案"}
    click.echo(f"已登记{labels[kind]}：{org_name or org_code}")


@expert.command("group")
@click.option("--member", "member_code", required=True, help="成员单位的统一社会信用代码。")
@click.option("--group", "group_code", required=True, help="集团公司的统一社会信用代码。")
@click.option("--group-name", help="集团公司名称。")
@pass_settings
def expert_group(settings: Settings, member_code: str, group_code: str, group_name: str | None) -> None:
    """登记组织所属的集团公司（用于发现利害关系）。

    \b
    示例： award expert group --member 91310000MA1FL1GF9K --group 91310000132200821H --group-name 某集团
    """
    from award.workflow.review.conflicts import add_group

    add_group(settings.engine(), member_code=member_code, group_code=group_code, group_name=group_name,
              actor=settings.actor())
    click.echo(f"已登记集团关系：{member_code} 属于 {group_name or group_code}")


@expert.group("conflict")
def conflict() -> None:
    """专家与申报方之间的利害关系（SHA-29、SHA-14）。"""


@conflict.command("add")
@click.argument("expert_ref", metavar="专家")
@click.option("--party", "party_ref", required=True, help="申报方（编号、代码或名称）。")
@click.option("--kind", required=True,
              type=click.Choice(["same_org", "same_group", "employment", "consulting", "coaching", "other"]),
              help="类别：same_org（同一单位）、same_group（同一集团）、employment（任职）、consulting（咨询）、"
                   "coaching（辅导）、other（其他）。")
@click.option("--reason", required=True, help="事实经过。")
@click.option("--declared", is_flag=True, help="由专家本人申报（审定办代为录入）。")
@json_option
@pass_settings
def conflict_add(settings: Settings, expert_ref: str, party_ref: str, kind: str, reason: str, declared: bool,
                 as_json: bool) -> None:
    """登记利害关系；专家立即回避该申报方的案件。

    \b
    示例： award expert conflict add 张三 --party 91310000MA1FL1GF9K --kind other --reason 近亲属在该单位任高管
    """
    from award.workflow.review.conflicts import add_conflict

    view = add_conflict(settings.engine(), expert_ref=expert_ref, party_ref=party_ref, kind=kind, reason=reason,
                        declared=declared, actor=settings.actor())
    render.emit(view, as_json=as_json, text=lambda: f"已记录利害关系 #{view.id}：{view.expert} 与 {view.party}（{view.kind_label}，{view.source_label}）；"
                                                       "该专家已回避该申报方的全部案件")


@conflict.command("list")
@click.option("--expert", "expert_ref", help="只列出此专家的。")
@click.option("--party", "party_ref", help="只列出此申报方的。")
@click.option("--all", "include_withdrawn", is_flag=True, help="包括已撤销的记录。")
@json_option
@pass_settings
def conflict_list(settings: Settings, expert_ref: str | None, party_ref: str | None, include_withdrawn: bool,
                  as_json: bool) -> None:
    """列出利害关系（本人申报、录入和系统发现的）。

    \b
    示例： award expert conflict list --expert 张三
    """
    from award.workflow.review.conflicts import list_conflicts

    views = list_conflicts(settings.engine(), expert_ref=expert_ref, party_ref=party_ref,
                           include_withdrawn=include_withdrawn)
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "利害关系", ["#", "专家", "申报方", "类别", "来源", "事实", "录入人", "录入时间", "状态"],
        [[v.id, v.expert, v.party, v.kind_label, v.source_label, v.reason, v.entered_by,
          render.shanghai(v.entered_at), "有效" if v.active else f"已撤销：{v.withdrawn_reason}"] for v in views]))


@conflict.command("withdraw")
@click.argument("conflict_id", type=RECORD_ID, metavar="编号")
@click.option("--reason", required=True, help="理由（必填）。")
@pass_settings
def conflict_withdraw(settings: Settings, conflict_id: int, reason: str) -> None:
    """撤销录入有误的利害关系记录（仅审定办）；已有的回避保留。

    \b
    示例： award expert conflict withdraw 3 --reason 录入有误
    """
    from award.workflow.review.conflicts import withdraw_conflict

    view = withdraw_conflict(settings.engine(), conflict_id, reason=reason, actor=settings.actor())
    click.echo(f"利害关系 #{view.id} 已撤销")



COMMANDS: list[click.Command] = [expert]
