"""Who a notification reaches on a channel, and why nobody when nobody: a definition's recipient kinds.

A definition names its recipient kinds in `recipients` (kind -> where the address comes from):
a field of the case or party (`contact_email|party.email`: the first filled), `office` (the
deployment's office), `config.district` (the deployment's bureau of the party's district),
`staff.ROLE` (every roster member with that role and an e-mail address: assigned experts,
the committee). Each kind gets its own letter (`NotifySpec.letters`).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..facts import CaseFacts, resolve
from ..specs.model import ProcessSpec
from ..store import StaffAccountRow, StaffRow
from .deployment import ROBOTS, Deployment

__all__ = ["addresses", "no_address"]


def addresses(deployment: Deployment, spec: ProcessSpec, facts: CaseFacts, role: str, channel: str,
              s: Session) -> list[str]:
    """The addresses of one recipient kind on one channel; [] when none is known."""
    path = spec.recipients.get(role, role)
    config = deployment.notifiers.get(channel)
    robot = config is not None and config.kind in ROBOTS
    if path.startswith("staff."):
        if channel != "email":
            return []
        wanted = path.removeprefix("staff.")  # grants are `role@scope`: this procedure, its issuer, or `*`
        scopes = {spec.id, "*", *([spec.issuer.id] if spec.issuer else [])}
        disabled = {a.name for a in s.exec(select(StaffAccountRow).where(col(StaffAccountRow.disabled))).all()}
        return [r.email for r in s.exec(select(StaffRow).order_by(col(StaffRow.name))).all()
                if any(g.partition("@")[0] == wanted and g.partition("@")[2] in scopes for g in r.roles)
                and r.email and r.name not in disabled]
    if path == "office":
        return deployment.addresses("office", channel, None)
    if path == "config.district":
        district = resolve(facts, "party.district")
        return deployment.addresses("district", channel, str(district) if district else None)
    if robot:
        return []  # a group robot speaks to the office's group, never to a party
    for option in path.split("|"):
        value = resolve(facts, option.strip())
        if value:
            return [str(value)]
    return []


def no_address(deployment: Deployment, spec: ProcessSpec, role: str, channel: str) -> str:
    """Why a recipient kind has no address on a channel, and what to do about it (Chinese)."""
    path = spec.recipients.get(role, role)
    label = spec.roles.get(role, role)
    if channel not in deployment.notifiers:
        where = deployment.file or "（未使用部署文件）"
        return f"部署文件 {where} 没有配置 {channel} 渠道（notifiers.{channel}），{label}的这条通知无法发出"
    if path == "office":
        return "没有审定办的地址：请在部署文件的 office 中填写（见 README“部署文件”）"
    if path.startswith("staff."):
        if channel != "email":
            return f"{channel} 渠道只发给审定办群聊，不发给个人"
        return f"名单中没有角色为 {path.removeprefix('staff.')} 且登记了电子邮箱的在岗工作人员（award staff add NAME --login LOGIN --role ROLE@SCOPE --email ...）"
    if path == "config.district":
        return "没有该区市场监管部门的地址：请在部署文件的 districts 中填写，并登记申报主体的所在区"
    config = deployment.notifiers[channel]
    if config.kind in ROBOTS:
        return f"{channel} 渠道是群聊机器人，只发给审定办群聊"
    return f"案件中没有“{role}”的地址（{path}）：请用 --set 填写后 award outbox retry"
