"""Commands on the staff roster: members bound to OS logins, their grants per procedure, their history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import render
from .context import Settings, json_option, pass_settings

if TYPE_CHECKING:
    from award.workflow.officeviews import StaffView


@click.group()
def staff() -> None:
    """工作人员名单：谁可以办理，绑定哪个系统登录名，担任哪个流程的什么角色。"""


_ROLE_HELP = "角色@范围，如 office@sha、reviewer@saq；管理员为 admin（可重复）。"
_FOR_HELP = "未写 @范围 的角色所属的流程或发文机关（可重复）：sha、shanghai、saq 等。"


def _echo_view(settings: Settings, view: StaffView, as_json: bool) -> None:
    def line() -> str:
        from award.workflow.registers.staff import grant_label

        catalog = settings.engine().catalog
        grants = "、".join(grant_label(catalog, g) for g in view.roles) or "无角色"
        state = "（已停用）" if view.disabled else ""
        return f"{view.name}{state}：{grants}；系统登录名 {view.login or '未绑定'}"

    render.emit(view, as_json=as_json, text=line)


@staff.command("add")
@click.argument("name", metavar="姓名")
@click.option("--login", help="此人使用的系统登录名（新登记的人员必填）。")
@click.option("--role", "roles", multiple=True, required=True, help=_ROLE_HELP)
@click.option("--for", "scopes", multiple=True, help=_FOR_HELP)
@click.option("--email", help="接收通知的电子邮箱。")
@click.option("--phone", help="电话。")
@json_option
@pass_settings
def staff_add(settings: Settings, name: str, login: str | None, roles: tuple[str, ...], scopes: tuple[str, ...],
              email: str | None, phone: str | None, as_json: bool) -> None:
    """登记工作人员并绑定系统登录名（或为已登记的人员增加角色）。仅管理员可用。

    \b
    示例：
      award staff add wang --login wangfang --role office@sha --email wang@example.gov.cn
      award staff add li --login lili --role reviewer --for sha
      award staff add zhou --role office@saq          # 为已登记的人员增加角色
    """
    view = settings.roster().add(settings.actor(), name, roles, login=login, for_scopes=scopes, email=email,
                                 phone=phone)
    _echo_view(settings, view, as_json)


@staff.command("revoke")
@click.argument("name", metavar="姓名")
@click.option("--role", "roles", multiple=True, required=True, help=_ROLE_HELP)
@click.option("--for", "scopes", multiple=True, help=_FOR_HELP)
@json_option
@pass_settings
def staff_revoke(settings: Settings, name: str, roles: tuple[str, ...], scopes: tuple[str, ...],
                 as_json: bool) -> None:
    """收回工作人员的角色。仅管理员可用。

    \b
    示例： award staff revoke wang --role office@sha
    """
    _echo_view(settings, settings.roster().revoke(settings.actor(), name, roles, for_scopes=scopes), as_json)


@staff.command("set")
@click.argument("name", metavar="姓名")
@click.option("--email", help="新的电子邮箱。")
@click.option("--phone", help="新的电话。")
@click.option("--login", help="改绑到另一个系统登录名。")
@json_option
@pass_settings
def staff_set(settings: Settings, name: str, email: str | None, phone: str | None, login: str | None,
              as_json: bool) -> None:
    """更改工作人员的联系方式或绑定的登录名（记入名单历史）。仅管理员可用。

    \b
    示例： award staff set wang --phone 021-12345678 --email wang@example.gov.cn
    """
    view = settings.roster().update(settings.actor(), name, email=email, phone=phone, login=login)
    _echo_view(settings, view, as_json)


@staff.command("disable")
@click.argument("name", metavar="姓名")
@click.option("--reason", default="", help="理由（必填）。")
@pass_settings
def staff_disable(settings: Settings, name: str, reason: str) -> None:
    """停用工作人员：此后不能办理，也不能查看。仅管理员可用。

    \b
    示例： award staff disable wang --reason "调离审定办"
    """
    view = settings.roster().set_disabled(settings.actor(), name, disabled=True, reason=reason)
    click.echo(f"已停用 {view.name}")


@staff.command("enable")
@click.argument("name", metavar="姓名")
@click.option("--reason", default="", help="理由（必填）。")
@pass_settings
def staff_enable(settings: Settings, name: str, reason: str) -> None:
    """重新启用已停用的工作人员。仅管理员可用。

    \b
    示例： award staff enable wang --reason "返岗"
    """
    view = settings.roster().set_disabled(settings.actor(), name, disabled=False, reason=reason)
    click.echo(f"已恢复 {view.name}")


@staff.command("list")
@json_option
@pass_settings
def staff_list(settings: Settings, as_json: bool) -> None:
    """列出工作人员名单（仅名单内人员可看）。

    \b
    示例： award staff list --json
    """
    settings.member("查看工作人员名单")
    views = settings.roster().members()

    def table() -> render.Table:
        from award.workflow.registers.staff import grant_label

        catalog = settings.engine().catalog
        return render.Table("工作人员", ["姓名", "系统登录名", "角色", "电子邮箱", "电话", "状态"],
                            [[v.name, v.login, "、".join(grant_label(catalog, g) for g in v.roles), v.email,
                              v.phone, "已停用" if v.disabled else "在岗"] for v in views])

    render.emit(views, as_json=as_json, table=table)


_KINDS = {"added": "登记", "granted": "授予角色", "ungranted": "收回角色", "updated": "修改信息",
          "disabled": "停用", "enabled": "恢复"}
_IDENTITIES = {"bound": "本人登录", "delegated": "代为操作", "shared": "共用电脑（未经验证）",
               "bootstrap": "初始化", "in-process": "程序内设置"}


@staff.command("history")
@click.argument("name", required=False, metavar="[姓名]")
@json_option
@pass_settings
def staff_history(settings: Settings, name: str | None, as_json: bool) -> None:
    """名单的每一次变更（或某一人员的）：谁在何时改了什么，以及当时如何确认身份。

    \b
    示例： award staff history wang
    """
    settings.member("查看名单变更记录")
    rows = settings.roster().changes(name)

    def table() -> render.Table:
        from datetime import datetime

        return render.Table("名单变更", ["#", "工作人员", "变更", "内容", "操作人", "身份", "时间"],
                            [[r["seq"], r["name"], _KINDS.get(r["kind"], r["kind"]),
                              "；".join(f"{k}={v}" for k, v in r["data"].items()),
                              r["actor"] + (f"（由 {r['entered_by']} 代为操作）" if r["entered_by"] else ""),
                              _IDENTITIES.get(r["identity"], r["identity"]),
                              render.shanghai(datetime.fromisoformat(r["wall_time"]))] for r in rows])

    render.emit(rows, as_json=as_json, table=table)


@click.command()
@json_option
@pass_settings
def whoami(settings: Settings, as_json: bool) -> None:
    """award 认定的当前办理人：系统登录名、与之绑定的工作人员及其角色。

    \b
    示例： award whoami
    """
    actor = settings.actor()

    def lines() -> str:
        from award.workflow.registers.staff import grant_label

        out = [f"系统登录名：{actor.login or '（操作系统无法确认）'}"]
        if not actor.on_roster:
            return "\n".join([*out, "不是在册的工作人员（或已停用）：不能查看个人信息，也不能作任何改动"])
        how = _IDENTITIES.get(actor.identity, actor.identity)
        out.append(f"工作人员：{actor.name}（{how}）" + (f"，由 {actor.entered_by} 代为操作" if actor.entered_by else ""))
        catalog = settings.engine().catalog
        out.append("角色：" + ("、".join(grant_label(catalog, g) for g in actor.roles) or "无"))
        return "\n".join(out)

    render.emit(actor, as_json=as_json, text=lines)


COMMANDS: list[click.Command] = [staff, whoami]
