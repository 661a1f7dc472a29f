"""The deployment file: the office's and district bureaus' addresses, and which notifier serves each channel.

Example (`deployment.yaml`)::

    office:
      email: [award-office@example.gov.cn]
      webhook: https://chat.example.gov.cn/robot/send?key=...
    districts:
      浦东新区: {email: [quality@pudong.example.gov.cn]}
    notifiers:
      email: {kind: smtp, host: smtp.example.gov.cn, port: 587, security: starttls,
              username: award, password_env: AWARD_SMTP_PASSWORD, sender: award-office@example.gov.cn}
      # or {kind: spool, folder: ./mail-spool, sender: ...} or {kind: console}
      webhook: {kind: webhook, shape: text}
    delivery: {max_attempts: 6, backoff_seconds: 60}

Without a file, e-mail goes to the spool folder `./award-mail` and no office
address is known (such notifications are kept as failed, visible in
`award outbox list --failed`, never silently skipped).

This module reads the file as data only; the CLI's composition root
(`commands/context.py`) builds the notifiers from it, so that the engine never
imports `notifiers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError

__all__ = ["Deployment", "load_deployment"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Addresses(_Model):
    email: list[str] = Field(default_factory=list)
    webhook: str | None = None


class NotifierConfig(_Model):
    kind: Literal["smtp", "spool", "console", "webhook"]
    host: str | None = None
    port: int | None = None
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    sender: str = "award@localhost"
    folder: str | None = None
    url: str | None = None
    shape: Literal["json", "text"] = "json"
    timeout: float = 30


class Delivery(_Model):
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_seconds: int = Field(default=60, ge=1)


class Deployment(_Model):
    """Addresses and notifiers of one office."""

    office: Addresses = Field(default_factory=Addresses)
    districts: dict[str, Addresses] = Field(default_factory=dict)
    notifiers: dict[str, NotifierConfig] = Field(
        default_factory=lambda: {"email": NotifierConfig(kind="spool", folder="award-mail"),
                                 "console": NotifierConfig(kind="console")})
    delivery: Delivery = Field(default_factory=Delivery)
    base_dir: str = "."

    def addresses(self, role: str, channel: str, district: str | None) -> list[str]:
        """Addresses of the office or of the party's district bureau on a channel."""
        book = self.office if role == "office" else self.districts.get(district or "")
        if book is None:
            return []
        if channel == "webhook":
            return [book.webhook] if book.webhook else []
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
    try:
        data, lines = read_yaml(file)
    except DefinitionError as exc:
        raise ConfigError(f"部署文件有误：{exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"部署文件 {file} 的顶层必须是映射")
    try:
        return Deployment.model_validate({**data, "base_dir": str(file.parent.resolve())})
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            line = next((lines[k] for k in [loc[:i] for i in range(len(loc), 0, -1)] if k in lines), None)
            msgs.append(f"{file}:{line or 1}: {'.'.join(loc)}: {err['msg']}")
        raise ConfigError("部署文件有误：\n" + "\n".join(msgs)) from None

