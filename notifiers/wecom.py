"""企业微信 (WeCom) group robots: `msgtype` text or markdown, reply `{"errcode": 0, "errmsg": "ok"}`."""

from __future__ import annotations

from typing import Any, ClassVar

from award.workflow.values import Message

from .robot import RobotNotifier, fit_bytes

__all__ = ["WecomNotifier"]

TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
"""WeCom's documented limits, in UTF-8 bytes, for a text and a markdown message."""


class WecomNotifier(RobotNotifier):
    """POSTs to `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`.

    Temporary codes: -1 (busy) and 45009 (more than 20 messages a minute); others (93000 a wrong
    key, 40008 a wrong type, 44004 empty content) are permanent.
    """

    robot: ClassVar[str] = "企业微信群机器人"
    temporary_codes: ClassVar[frozenset[int]] = frozenset({-1, 45009})

    def payload(self, message: Message) -> dict[str, Any]:
        """`{"msgtype": "text", "text": {"content": ...}}` or the markdown form."""
        extra = self.attachments_line(message)
        if self.format == "markdown":
            content = f"**{message.subject}**\n{message.text}{extra}"
            return {"msgtype": "markdown", "markdown": {"content": fit_bytes(content, MARKDOWN_LIMIT)}}
        content = f"{message.subject}\n{message.text}{extra}"
        return {"msgtype": "text", "text": {"content": fit_bytes(content, TEXT_LIMIT)}}
