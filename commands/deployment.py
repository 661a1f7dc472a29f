"""`award deployment check`: read the deployment file as the deliverer would, and say what is missing."""

from __future__ import annotations

from typing import Any

import click

from . import render
from .context import Settings, json_option, pass_settings


@click.group()
def deployment() -> None:
    """The deployment file: addresses, notifiers, delivery."""


def _secret_state(settings: Settings, cfg: Any, channel: str) -> str:
    """Whether the secrets a channel names are available to this process (not an error: a clerk lacks them)."""
    from award.commands.channels import read_secret
    from award.workflow.errors import ConfigError

    needed = [(env, file, what) for env, file, what in (
        (cfg.password_env, cfg.password_file, "SMTP 密码"), (cfg.url_env, cfg.url_file, "机器人地址"),
        (cfg.secret_env, cfg.secret_file, "加签密钥")) if env or file]
    if not needed:
        return "无需密钥"
    states = []
    for env, file, what in needed:
        name = f"环境变量 {env}" if env else f"文件 {file}"
        try:
            read_secret(env=env, file=file, what=what, secrets_dir=settings.home().path("secrets"))
            states.append(f"{what}（{name}）：本进程可读")
        except ConfigError:
            states.append(f"{what}（{name}）：本进程读不到，投递进程须有")
    return "；".join(states)


@deployment.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@json_option
@pass_settings
def deployment_check(settings: Settings, path: str | None, as_json: bool) -> None:
    """Validate the deployment file (PATH, or --deployment/AWARD_DEPLOYMENT/award.toml's deployment).

    A wrong or incomplete setting (an SMTP notifier without a port, a robot without its URL,
    YAML aliases) exits 6 naming the key. Secrets are only looked for: a clerk's shell need not
    have them, the delivering process must.

    \b
    Example: award deployment check /srv/award/deployment.yaml
    """
    from award.workflow.errors import ConfigError
    from award.workflow.notify.deployment import load_deployment

    file = path or settings.deployment_file()
    if not file:
        raise ConfigError("没有部署文件：用 award deployment check 文件路径，或 --deployment / AWARD_DEPLOYMENT 指定；"
                          "没有部署文件时邮件只写入办公数据目录的 spool/，不会发给任何人")
    dep = load_deployment(file)
    spool = settings.home().path("spool").resolve()
    channels = []
    for channel, cfg in dep.notifiers.items():
        target = {"smtp": f"{cfg.host}:{cfg.port}（{cfg.security}）", "spool": str(cfg.folder or spool),
                  "console": "终端", "webhook": cfg.url or "office.webhook"}.get(cfg.kind, cfg.format)
        channels.append({"channel": channel, "kind": cfg.kind, "target": target,
                         "secrets": _secret_state(settings, cfg, channel),
                         "reaches_people": cfg.kind not in ("spool", "console")})
    report = {"file": dep.file, "office": {"name": dep.office.name, "email": dep.office.email},
              "districts": sorted(dep.districts), "channels": channels,
              "delivery": dep.delivery.model_dump()}
    render.emit(report, as_json=as_json, show=lambda: _show(dep, channels))


def _show(dep: Any, channels: list[dict[str, Any]]) -> None:
    """The check's result for people."""
    click.echo(f"部署文件 {dep.file}：格式正确")
    click.echo(f"审定办：{dep.office.name or '（未写 office.name：发件人不显示名称）'}  "
               f"{'、'.join(dep.office.email) or '（没有邮箱：给审定办的通知将记为失败）'}")
    click.echo(f"各区：{'、'.join(sorted(dep.districts)) or '（无）'}")
    render.table("通知渠道", ["渠道", "方式", "目标", "密钥", "能否送达个人"],
                 [[c["channel"], c["kind"], c["target"], c["secrets"], "能" if c["reaches_people"] else "否（只写入目录或终端）"]
                  for c in channels])
    d = dep.delivery
    where = "办事员的命令执行后即投递（inline）" if d.inline else "由 award scheduler 或 award outbox deliver 投递"
    click.echo(f"投递：{where}；最多尝试 {d.max_attempts} 次，首次间隔 {d.backoff_seconds} 秒，逐次加倍")


COMMANDS: list[click.Command] = [deployment]
