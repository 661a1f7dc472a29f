"""飞书 (Feishu) custom bots: text, or a card with a markdown element; optional signing; reply `{"code": 0}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar

from award.workflow.values import Message

from .robot import RobotNotifier, fit_bytes

__all__ = ["FeishuNotifier", "feishu_sign"]

LIMIT = 20000
"""Feishu's documented request size (20 KB), in UTF-8 bytes, less room for the envelope."""


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class FeishuNotifier(RobotNotifier):
    """POSTs to `https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN`.

    With a secret, the body carries `timestamp` (seconds, as a string) and `sign`. Feishu replies
    `{"code": 0, "msg": "success"}` (older bots `{"StatusCode": 0}`); 11232 (too frequent) is
    temporary, others (19021 a wrong signature, 19024 a missing keyword, 9499 a bad body) permanent.
    """

    robot: ClassVar[str] = "飞书群机器人"
    temporary_codes: ClassVar[frozenset[int]] = frozenset({11232})

    @staticmethod
    def reply_code(reply: dict[str, Any]) -> tuple[int | None, str]:
        code = reply.get("code", reply.get("StatusCode"))
        return (int(code) if isinstance(code, int) else None), str(reply.get("msg", reply.get("StatusMessage", "")))

    def payload(self, message: Message) -> dict[str, Any]:
        """`{"msg_type": "text", "content": {"text"}}` or an `interactive` card with a markdown element."""
        extra = self.attachments_line(message)
        body: dict[str, Any]
        if self.format == "markdown":
            body = {"msg_type": "interactive", "card": {
                "header": {"title": {"tag": "plain_text", "content": message.subject}},
                "elements": [{"tag": "markdown", "content": fit_bytes(f"{message.text}{extra}", LIMIT)}]}}
        else:
            body = {"msg_type": "text", "content": {"text": fit_bytes(f"{message.subject}\n{message.text}{extra}", LIMIT)}}
        if self.secret:
            stamp = int(self.clock().timestamp())
            body = {"timestamp": str(stamp), "sign": feishu_sign(self.secret, stamp), **body}
        return body
