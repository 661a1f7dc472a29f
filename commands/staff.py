"""Commands on the staff roster: members bound to OS logins, their grants per procedure, their history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import render
from .context import Settings, json_option, pass_settings

if TYPE_CHECKING:
    from award.workflow.views import StaffView


@click.group()
def staff() -> None:
    """The staff roster: who may act, bound to which OS login, in which roles of which procedure."""


_ROLE_HELP = "ROLE@SCOPE, e.g. office@sha or reviewer@saq; admin for the administrator (repeatable)."
_FOR_HELP = "The procedure or issuer for roles given without @SCOPE (repeatable): sha, shanghai, saq, ..."


def _echo_view(settings: Settings, view: StaffView, as_json: bool) -> None:
    def line() -> str:
        from award.workflow.registers.staff import grant_label

        catalog = settings.engine().catalog
        grants = "、".join(grant_label(catalog, g) for g in view.roles) or "无角色"
        state = "（已停用）" if view.disabled else ""
        return f"{view.name}{state}：{grants}；系统登录名 {view.login or '未绑定'}"

    render.emit(view, as_json=as_json, text=line)


@staff.command("add")
@click.argument("name")
@click.option("--login", help="The OS login this member works under (required for a new member).")
@click.option("--role", "roles", multiple=True, required=True, help=_ROLE_HELP)
@click.option("--for", "scopes", multiple=True, help=_FOR_HELP)
@click.option("--email", help="Address for notifications to this person.")
@click.option("--phone")
@json_option
@pass_settings
def staff_add(settings: Settings, name: str, login: str | None, roles: tuple[str, ...], scopes: tuple[str, ...],
              email: str | None, phone: str | None, as_json: bool) -> None:
    """Add a member bound to an OS login (or grant roles to one). Administrators only.

    \b
    Examples:
      award staff add wang --login wangfang --role office@sha --email wang@example.gov.cn
      award staff add li --login lili --role reviewer --for sha
      award staff add zhou --role office@saq          # a further grant for an existing member
    """
    view = settings.roster().add(settings.actor(), name, roles, login=login, for_scopes=scopes, email=email,
                                 phone=phone)
    _echo_view(settings, view, as_json)


@staff.command("revoke")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help=_ROLE_HELP)
@click.option("--for", "scopes", multiple=True, help=_FOR_HELP)
@json_option
@pass_settings
def staff_revoke(settings: Settings, name: str, roles: tuple[str, ...], scopes: tuple[str, ...],
                 as_json: bool) -> None:
    """Take roles away from a member. Administrators only.

    \b
    Example: award staff revoke wang --role office@sha
    """
    _echo_view(settings, settings.roster().revoke(settings.actor(), name, roles, for_scopes=scopes), as_json)


@staff.command("set")
@click.argument("name")
@click.option("--email")
@click.option("--phone")
@click.option("--login", help="Bind the member to another OS login.")
@json_option
@pass_settings
def staff_set(settings: Settings, name: str, email: str | None, phone: str | None, login: str | None,
              as_json: bool) -> None:
    """Change a member's contact data or bound login (recorded in the roster's history). Administrators only.

    \b
    Example: award staff set wang --phone 021-12345678 --email wang@example.gov.cn
    """
    view = settings.roster().update(settings.actor(), name, email=email, phone=phone, login=login)
    _echo_view(settings, view, as_json)


@staff.command("disable")
@click.argument("name")
@click.option("--reason", default="", help="Why (required).")
@pass_settings
def staff_disable(settings: Settings, name: str, reason: str) -> None:
    """Disable a member: they can no longer act or read. Administrators only.

    \b
    Example: award staff disable wang --reason "调离审定办"
    """
    view = settings.roster().set_disabled(settings.actor(), name, disabled=True, reason=reason)
    click.echo(f"已停用 {view.name}")


@staff.command("enable")
@click.argument("name")
@click.option("--reason", default="", help="Why (required).")
@pass_settings
def staff_enable(settings: Settings, name: str, reason: str) -> None:
    """Enable a disabled member again. Administrators only.

    \b
    Example: award staff enable wang --reason "返岗"
    """
    view = settings.roster().set_disabled(settings.actor(), name, disabled=False, reason=reason)
    click.echo(f"已恢复 {view.name}")


@staff.command("list")
@json_option
@pass_settings
def staff_list(settings: Settings, as_json: bool) -> None:
    """List the staff roster (members only).

    \b
    Example: award staff list --json
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
@click.argument("name", required=False)
@json_option
@pass_settings
def staff_history(settings: Settings, name: str | None, as_json: bool) -> None:
    """Every change of the roster (or of one member): who changed what, when, and how they were identified.

    \b
    Example: award staff history wang
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
    """Who `award` takes you for: the OS login, the roster member bound to it, and their roles.

    \b
    Example: award whoami
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
