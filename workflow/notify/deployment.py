"""The deployment file: the office's and district bureaus' addresses, and which notifier serves each channel.

Example (`deployment.yaml`)::

    office:
      name: 上海市政府质量奖审定委员会办公室        # the display name in From
      email: [award-office@example.gov.cn]
    districts:
      浦东新区: {email: [quality@pudong.example.gov.cn]}
    notifiers:
      email: {kind: smtp, host: smtp.example.gov.cn, port: 587, security: starttls,
              username: award, password_env: AWARD_SMTP_PASSWORD, sender: award-office@example.gov.cn,
              reply_to: award-office@example.gov.cn}
      # or {kind: spool, folder: /srv/award/spool, sender: ...} or {kind: console}
      chat: {kind: dingtalk, url_env: AWARD_DINGTALK_URL, secret_file: dingtalk.secret, format: markdown}
    delivery: {max_attempts: 6, backoff_seconds: 60, inline: false}

Secrets (the SMTP password, a robot's URL with its key, a signing secret) are named, never
written: `*_env` names an environment variable, `*_file` a file (relative names are looked up in
the office data folder's `secrets/`). They are read by the process that delivers (the scheduler,
`award outbox deliver`), never by a clerk's `advance`, unless `delivery.inline` lets the
clerk's process deliver too.

Without a file, e-mail is spooled to the office data folder's `spool/` (status `spooled`: it has
reached nobody) and no office address is known (such notifications are kept as failed, visible
in `award outbox list --failed`, never silently skipped).

This module reads the file as data only; the CLI's composition root (`commands/channels.py`,
called from `commands/context.py`) builds the notifiers from it, so that the engine never
imports `notifiers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError

__all__ = ["ROBOTS", "Addresses", "Delivery", "Deployment", "NotifierConfig", "load_deployment"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Addresses(_Model):
    """Where the office (or a district bureau) is reached.

    Attributes:
        name: the display name in From (the office only), e.g. 上海市政府质量奖审定委员会办公室.
        email: mailboxes.
        webhook: an office system's webhook URL.
        chat: whether the group chat robots of the deployment speak for it (the office: yes).
    """

    name: str | None = None
    email: list[str] = Field(default_factory=list)
    webhook: str | None = None
    chat: bool = True


ROBOTS = ("wecom", "dingtalk", "feishu")
"""Notifier kinds that are group-chat robots."""


class NotifierConfig(_Model):
    """One channel's notifier; which keys apply depends on `kind` (checked in `_complete`)."""

    kind: Literal["smtp", "spool", "console", "webhook", "wecom", "dingtalk", "feishu"]
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    sender: str = "award@localhost"
    reply_to: str | None = None
    folder: str | None = None
    url: str | None = None
    url_env: str | None = None
    url_file: str | None = None
    secret_env: str | None = None
    secret_file: str | None = None
    shape: Literal["json", "text"] = "json"
    format: Literal["text", "markdown"] = "text"
    timeout: float = Field(default=30, gt=0, le=600)

    @model_validator(mode="after")
    def _complete(self) -> NotifierConfig:
        """Refuse settings that could never deliver, naming the key to add; secrets are not read here."""
        missing = []
        if self.kind == "smtp":
            missing += [f"{k}（{why}）" for k, why in (("host", "邮件服务器地址"), ("port", "端口，如 25、465 或 587"))
                        if getattr(self, k) in (None, "")]
            if "@" not in self.sender:
                missing.append("sender（发件地址，如 award-office@example.gov.cn）")
            if self.username and not (self.password_env or self.password_file):
                missing.append("password_env 或 password_file（账号 " + self.username + " 的密码从哪里读）")
            if self.password_env and self.password_file:
                raise ValueError("password_env 与 password_file 只能写一个")
        if self.kind in ROBOTS:
            named = [k for k in ("url", "url_env", "url_file") if getattr(self, k)]
            if not named:
                missing.append("url、url_env 或 url_file（机器人的 webhook 地址）")
            if len(named) > 1:
                raise ValueError("url、url_env、url_file 只能写一个")
            if self.url and not self.url.lower().startswith(("http://", "https://")):
                raise ValueError(f"url 须以 https:// 开头，收到 {self.url[:40]!r}")
            if self.secret_env and self.secret_file:
                raise ValueError("secret_env 与 secret_file 只能写一个")
        if self.kind == "webhook" and self.url and not self.url.lower().startswith(("http://", "https://")):
            raise ValueError(f"url 须以 http:// 或 https:// 开头，收到 {self.url[:40]!r}")
        if missing:
            raise ValueError(f"{self.kind} 缺少 " + "、".join(missing))
        return self


class Delivery(_Model):
    """The retry policy, and whether a clerk's own command may deliver.

    Attributes:
        max_attempts: tries before a row is failed.
        backoff_seconds: the first wait; each further wait doubles.
        inline: deliver right after a clerk's step in the clerk's process (needs the secrets there);
            off by default: the scheduler or `award outbox deliver` delivers.
        lease_seconds: how long a claimed row stays `sending` before another deliverer may take it.
    """

    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_seconds: int = Field(default=60, ge=1)
    inline: bool = False
    lease_seconds: int = Field(default=600, ge=10, le=86400)


class Deployment(_Model):
    """Addresses and notifiers of one office."""

    office: Addresses = Field(default_factory=Addresses)
    districts: dict[str, Addresses] = Field(default_factory=dict)
    notifiers: dict[str, NotifierConfig] = Field(
        default_factory=lambda: {"email": NotifierConfig(kind="spool"), "console": NotifierConfig(kind="console")})
    delivery: Delivery = Field(default_factory=Delivery)
    base_dir: str = "."
    file: str | None = None
    """The file this was read from; None for the defaults (no deployment file)."""

    def addresses(self, role: str, channel: str, district: str | None) -> list[str]:
        """Addresses of the office or of the party's district bureau on a channel."""
        book = self.office if role == "office" else self.districts.get(district or "")
        if book is None:
            return []
        if channel == "webhook":
            return [book.webhook] if book.webhook else []
        config = self.notifiers.get(channel)
        if config is not None and config.kind in ROBOTS:
            # a robot speaks into one group: the address is the channel; districts have none of their own
            return [f"{channel}:{role}"] if role == "office" and book.chat else []
        if config is None and channel not in ("email", "console"):
            return []  # a channel the deployment does not configure reaches nobody
        return list(book.email)


def load_deployment(path: str | None) -> Deployment:
    """Read the deployment file (YAML 1.2); None gives the defaults.

    Raises:
        ConfigError: naming the file, the key and what is wrong.
    """
    if not path:
        return Deployment()
    from ..errors import DefinitionError
    from ..specs.loader import read_yaml

    file = Path(path)
    _refuse_aliases(file)
    try:
        data, lines = read_yaml(file)
    except DefinitionError as exc:
        raise ConfigError(f"部署文件有误：{exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"部署文件 {file} 的顶层必须是映射")
    try:
        return Deployment.model_validate({**data, "base_dir": str(file.parent.resolve()),
                                          "file": str(file.resolve())})
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            line = next((lines[k] for k in [loc[:i] for i in range(len(loc), 0, -1)] if k in lines), None)
            text = str(err["msg"]).removeprefix("Value error, ")
            msgs.append(f"{file}:{line or 1}: {'.'.join(loc)}: {text}")
        raise ConfigError("部署文件有误：\n" + "\n".join(msgs)) from None



MAX_DEPLOYMENT_BYTES = 256 * 1024
"""A deployment file is a page of addresses; anything larger is not one."""


def _refuse_aliases(file: Path) -> None:
    """Refuse anchors and aliases (`&a`, `*a`) before anything expands them: a few lines of nested
    aliases ("billion laughs") would otherwise take exponential time and memory. The check reads
    the parser's events only, which is linear in the file's size; a deployment file needs neither.

    Raises:
        ConfigError: naming the file and the line of the first alias or anchor.
    """
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ConfigError(f"部署文件有误：无法读取 {file}（{exc.strerror}）") from None
    if size > MAX_DEPLOYMENT_BYTES:
        raise ConfigError(f"部署文件 {file} 过大（{size} 字节，上限 {MAX_DEPLOYMENT_BYTES}）：它只应写地址和通知方式")
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent, NodeEvent

    from ..errors import InvalidInput
    from ..userfiles import read_bytes

    try:
        try:  # bounded: a device such as /dev/zero has size 0 in stat and never ends
            text = read_bytes(file, what="部署文件", limit=MAX_DEPLOYMENT_BYTES).decode("utf-8")
        except InvalidInput as exc:
            raise ConfigError(str(exc)) from None
        for event in YAML(typ="safe", pure=True).parse(text):
            if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise ConfigError(f"部署文件 {file}:{line}: 不允许使用 YAML 锚点和别名（&名称、*名称）："
                                  "请把内容直接写出")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"无法读取部署文件 {file}：{exc}") from None
    except YAMLError:
        return  # read_yaml reports syntax errors with their line
