"""Build each channel's notifier from the deployment file: the composition root's half of notifications.

Secrets are read here, when a channel is first used by the process that delivers, never when a
clerk's command merely writes to the outbox. A secret that is not there raises `ConfigError`
naming the variable or file; the deliverer records it on the row and tries again later.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from award.workflow.abc import Notifier
    from award.workflow.notify.deployment import Deployment, NotifierConfig

__all__ = ["channel_factory", "read_secret"]


def read_secret(*, env: str | None, file: str | None, what: str, secrets_dir: Path | None) -> str | None:
    """A secret from an environment variable or a file's first line; None when the settings name neither.

    Raises:
        ConfigError: the variable is unset or empty, or the file is missing, unreadable or empty.
    """
    from award.workflow.errors import ConfigError

    if env:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(f"{what}：本进程的环境变量 {env} 未设置（投递进程需要它；办事员的命令不需要）")
        return value
    if file:
        path = Path(file).expanduser()
        if not path.is_absolute() and secrets_dir is not None:
            path = secrets_dir / path
        try:
            value = path.read_text(encoding="utf-8").splitlines()[0].strip() if path.stat().st_size else ""
        except OSError as exc:
            raise ConfigError(f"{what}：无法读取密钥文件 {path}（{exc.strerror}）") from None
        if not value:
            raise ConfigError(f"{what}：密钥文件 {path} 是空的")
        return value
    return None


def build_notifier(channel: str, cfg: NotifierConfig, deployment: Deployment, *, spool_dir: Path,
                   secrets_dir: Path | None) -> Notifier:
    """One channel's notifier.

    Raises:
        ConfigError: a secret the channel needs is not available to this process.
    """
    from award import notifiers as n

    where = f"部署文件 notifiers.{channel}"
    if cfg.kind == "smtp":
        assert cfg.host and cfg.port  # the deployment model refuses an smtp channel without them
        password = read_secret(env=cfg.password_env, file=cfg.password_file, what=f"{where} 的 SMTP 密码",
                               secrets_dir=secrets_dir)
        return n.SmtpNotifier(host=cfg.host, port=cfg.port, security=cfg.security, username=cfg.username,
                              password=password, sender=cfg.sender, timeout=cfg.timeout,
                              sender_name=deployment.office.name, reply_to=cfg.reply_to)
    if cfg.kind == "spool":
        folder = Path(cfg.folder).expanduser() if cfg.folder else spool_dir
        if not folder.is_absolute():
            folder = Path(deployment.base_dir) / folder
        return n.SpoolNotifier(folder, sender=cfg.sender, sender_name=deployment.office.name, reply_to=cfg.reply_to)
    if cfg.kind == "webhook":
        return n.WebhookNotifier(url=cfg.url, shape=cfg.shape, timeout=cfg.timeout)
    if cfg.kind in ("wecom", "dingtalk", "feishu"):
        url = cfg.url or read_secret(env=cfg.url_env, file=cfg.url_file, what=f"{where} 的机器人地址",
                                     secrets_dir=secrets_dir)
        assert url  # the deployment model requires one of url, url_env, url_file
        secret = read_secret(env=cfg.secret_env, file=cfg.secret_file, what=f"{where} 的加签密钥",
                             secrets_dir=secrets_dir)
        robots: dict[str, type[n.WecomNotifier | n.DingtalkNotifier | n.FeishuNotifier]] = {
            "wecom": n.WecomNotifier, "dingtalk": n.DingtalkNotifier, "feishu": n.FeishuNotifier}
        robot = robots[cfg.kind]
        if cfg.kind == "wecom" and secret:
            from award.workflow.errors import ConfigError

            raise ConfigError(f"{where}：企业微信群机器人没有加签，请删去 secret_env/secret_file")
        return robot(url=url, format=cfg.format, secret=secret, timeout=cfg.timeout)
    return n.ConsoleNotifier()


def channel_factory(deployment: Deployment, *, spool_dir: Path, secrets_dir: Path | None) -> Callable[[str], Notifier]:
    """channel -> notifier, built on first use and remembered (a failure is not remembered: the secret may come)."""
    from award.workflow.errors import ConfigError

    built: dict[str, Notifier] = {}

    def get(channel: str) -> Notifier:
        if channel not in built:
            cfg = deployment.notifiers.get(channel)
            if cfg is None:
                where = deployment.file or "（未使用部署文件，只有默认的 email 与 console 渠道）"
                raise ConfigError(f"部署文件 {where} 没有配置渠道 {channel}（notifiers.{channel}）")
            built[channel] = build_notifier(channel, cfg, deployment, spool_dir=spool_dir, secrets_dir=secrets_dir)
        return built[channel]

    return get
