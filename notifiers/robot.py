"""What the three chat robots (WeCom, DingTalk, Feishu) share: one signed JSON POST and its reply.

Each robot answers HTTP 200 even when it refuses a message, with an error code in the body
(`{"errcode": 310000, ...}` for DingTalk and WeCom, `{"code": 19021, ...}` for Feishu): a non-zero
code is a failure, temporary only when the robot says "too fast" or "busy". Written with `urllib`
(as `webhook.py`), because apprise's `notify()` answers only True or False and logs the reason,
while the outbox must record the robot's own code and message on the row and know whether a
retry can help; see README "Chat robots".
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from abc import abstractmethod
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, ClassVar, Literal

from award.workflow.abc import Notifier
from award.workflow.errors import ConfigError, DeliveryError
from award.workflow.logs import logger
from award.workflow.timing.clock import system_clock
from award.workflow.values import Message

from .webhook import TEMPORARY_STATUSES, _NoRedirect

__all__ = ["Format", "RobotNotifier", "fit_bytes"]

_LOGGER = logger(__name__)

Format = Literal["text", "markdown"]

_USER_AGENT = "award-notifier/1"


def fit_bytes(text: str, limit: int, tail: str = "\n……（全文见电子邮件或 award show）") -> str:
    """Cut `text` to at most `limit` UTF-8 bytes, never inside a character, saying that it was cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(tail.encode("utf-8"))
    return data[:max(room, 0)].decode("utf-8", errors="ignore") + tail


class RobotNotifier(Notifier):
    """A group-chat robot reached by one webhook URL (which carries the robot's key: keep it secret).

    Attributes:
        channel: `chat`.
        url: the robot's webhook.
        format: `text` or `markdown`.
        secret: the signing secret (加签) when the robot is set up with one, else None.
        timeout: seconds for the whole request.
        clock: the sending time the signature is made from (the system clock).
    """

    channel: ClassVar[str] = "chat"
    robot: ClassVar[str]
    """The robot's Chinese name, for messages: 企业微信群机器人."""
    temporary_codes: ClassVar[Collection[int]] = ()
    """Error codes that mean "not now" (rate limits, busy): retried, others are permanent."""

    def __init__(self, *, url: str, format: Format = "text", secret: str | None = None, timeout: float = 10,
                 clock: Callable[[], datetime] = system_clock) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise ConfigError(f"{self.robot}的地址须以 https:// 开头，收到 {url[:40]!r}")
        if format not in ("text", "markdown"):
            raise ConfigError(f"{self.robot}的 format 应为 text 或 markdown，收到 {format!r}")
        self.url = url
        self.format: Format = format
        self.secret = secret
        self.timeout = timeout
        self.clock = clock
        self._opener = urllib.request.build_opener(_NoRedirect)

    @abstractmethod
    def payload(self, message: Message) -> dict[str, Any]:
        """The robot's documented JSON body for one message (signature included where it goes in the body)."""

    def target(self) -> str:
        """The URL to POST to (DingTalk adds its signature to the query)."""
        return self.url

    @staticmethod
    def reply_code(reply: dict[str, Any]) -> tuple[int | None, str]:
        """(error code, message) from a reply body; code 0 or None means accepted."""
        code = reply.get("errcode")
        return (int(code) if isinstance(code, int) else None), str(reply.get("errmsg", ""))

    @staticmethod
    def attachments_line(message: Message) -> str:
        """Chat carries no files: say which documents went with the letter."""
        if not message.attachments:
            return ""
        return "\n附件（随电子邮件发送）：" + "、".join(a.filename for a in message.attachments)

    def shown_url(self) -> str:
        """The URL without its key, for messages and logs."""
        return self.url.split("?", 1)[0]

    def send(self, message: Message) -> None:
        """POST one message and read the robot's verdict.

        Raises:
            DeliveryError: permanent for a refusal the robot will repeat (bad key, signature, keyword,
                content), temporary for "too fast"/"busy", 5xx, 408/429, a timeout or a network error.
        """
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.target(), data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": _USER_AGENT})
        shown = self.shown_url()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read(300).decode("utf-8", errors="replace").strip()
            permanent = exc.code < 500 and exc.code not in TEMPORARY_STATUSES
            raise DeliveryError(f"{self.robot} {shown} 回复 HTTP {exc.code}{('：' + detail) if detail else ''}"
                                f"；{'请核对机器人地址' if permanent else '稍后重试'}", permanent=permanent) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise DeliveryError(f"无法连接{self.robot} {shown}（{reason or type(exc).__name__}）；稍后重试") from exc
        try:
            reply = json.loads(raw)
        except ValueError:
            raise DeliveryError(f"{self.robot} {shown} 的答复不是 JSON（{raw[:80]!r}）；请核对机器人地址",
                                permanent=True) from None
        if not isinstance(reply, dict):
            raise DeliveryError(f"{self.robot} {shown} 的答复无法识别：{raw[:80]!r}", permanent=True)
        code, text = self.reply_code(reply)
        if code not in (None, 0):
            temporary = code in self.temporary_codes
            raise DeliveryError(f"{self.robot}拒收（错误码 {code}：{text}）；"
                                f"{'稍后重试' if temporary else '请核对机器人的地址、加签密钥和安全设置'}",
                                permanent=not temporary)
        _LOGGER.info("%s: sent %s", type(self).__name__, message.message_id)

