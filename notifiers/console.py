"""Print messages to a terminal: for trying a procedure out, and for tests that read what was sent."""

from __future__ import annotations

import sys
from typing import ClassVar, TextIO

from award.workflow.abc import Notifier
from award.workflow.errors import DeliveryError
from award.workflow.logs import logger
from award.workflow.values import Message

__all__ = ["ConsoleNotifier"]

_LOGGER = logger(__name__)


class ConsoleNotifier(Notifier):
    """Writes each message as a readable block: recipient, subject, body.

    Attributes:
        channel: `console`.
        stream: where to write; None means whatever `sys.stdout` is at the time of sending (so a
            redirected or captured stdout is honoured).
    """

    channel: ClassVar[str] = "console"
    outcome: ClassVar[str] = "printed"  # shown on a terminal, not delivered to anyone

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> None:
        """Write the message; the HTML body, if any, is left out (the text says the same).

        Raises:
            DeliveryError: when the stream cannot be written (temporary).
        """
        stream = self.stream if self.stream is not None else sys.stdout
        rule = "─" * 40
        lines = [
            rule,
            f"通知编号：{message.message_id}",
            f"收件人：{message.to}",
            f"主题：{message.subject}",
            *(f"{name}: {value}" for name, value in message.headers.items()),
            "",
            message.text.rstrip("\n"),
            rule,
        ]
        try:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except OSError as exc:
            raise DeliveryError(f"无法输出到终端：{exc}", permanent=False) from exc
        _LOGGER.debug("printed %s to the console", message.message_id)
