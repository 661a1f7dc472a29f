"""钉钉 (DingTalk) custom robots, with 加签 signing: text or markdown, reply `{"errcode": 0, ...}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from typing import Any, ClassVar

from award.workflow.values import Message

from .robot import RobotNotifier, fit_bytes

__all__ = ["DingtalkNotifier", "dingtalk_sign"]

LIMIT = 20000
"""DingTalk's documented message size, in UTF-8 bytes."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), not yet URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingtalkNotifier(RobotNotifier):
    """POSTs to `https://oapi.dingtalk.com/robot/send?access_token=TOKEN[&timestamp=&sign=]`.

    With a secret, each request carries the millisecond timestamp and its signature in the query;
    DingTalk refuses one more than an hour off. Temporary codes: -1 (busy) and 130101 (too fast);
    others (310000 a wrong signature, keyword or IP, 300001 a wrong token) are permanent.
    """

    robot: ClassVar[str] = "钉钉群机器人"
    temporary_codes: ClassVar[frozenset[int]] = frozenset({-1, 130101})

    def target(self) -> str:
        """The URL with `timestamp` and `sign` added when the robot is signed."""
        if not self.secret:
            return self.url
        stamp = int(self.clock().timestamp() * 1000)
        query = urllib.parse.urlencode({"timestamp": stamp, "sign": dingtalk_sign(self.secret, stamp)})
        return f"{self.url}{'&' if '?' in self.url else '?'}{query}"

    def payload(self, message: Message) -> dict[str, Any]:
        """`{"msgtype": "text", "text": {"content"}}` or `{"msgtype": "markdown", "markdown": {"title", "text"}}`."""
        extra = self.attachments_line(message)
        if self.format == "markdown":
            # DingTalk's markdown needs a blank line for a line break.
            body = "\n\n".join(line for line in f"{message.text}{extra}".splitlines() if line.strip())
            text = fit_bytes(f"#### {message.subject}\n\n{body}", LIMIT)
            return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}
        return {"msgtype": "text", "text": {"content": fit_bytes(f"{message.subject}\n{message.text}{extra}", LIMIT)}}
