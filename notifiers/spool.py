"""Write each e-mail as an `.eml` file into a folder, for a mail agent (or a person) to pick up."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import ClassVar

from award.workflow.abc import Notifier
from award.workflow.errors import DeliveryError
from award.workflow.logs import logger
from award.workflow.values import Message

from .mime import build_email

__all__ = ["SpoolNotifier", "spool_filename"]

_LOGGER = logger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def spool_filename(message_id: str) -> str:
    """A filesystem-safe, collision-free file name for a Message-ID.

    The readable part keeps letters, digits and `._@-` (at most 80 characters); a hash of the exact
    id follows, so two ids that differ only in replaced characters never share a file.
    """
    readable = _UNSAFE.sub("_", message_id.strip().strip("<>")).strip("._")[:80] or "message"
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:12]
    return f"{readable}.{digest}.eml"


class SpoolNotifier(Notifier):
    """Writes one `.eml` per message, once.

    The file appears whole or not at all (written to a temporary file in the same folder, then
    `os.replace`), so a pickup agent never reads half a message. A message whose file already
    exists is dropped: the outbox may retry after a crash between writing and recording.

    Attributes:
        channel: `email`.
        folder: the spool folder (created if missing).
        sender: the From address.
        sender_name: the office's display name in From, or None.
        reply_to: the Reply-To address, or None.
    """

    channel: ClassVar[str] = "email"
    outcome: ClassVar[str] = "spooled"  # a file in a folder has reached nobody yet

    def __init__(self, folder: Path, *, sender: str, sender_name: str | None = None,
                 reply_to: str | None = None) -> None:
        self.folder = Path(folder)
        self.sender = sender
        self.sender_name = sender_name
        self.reply_to = reply_to

    def path_for(self, message: Message) -> Path:
        """Where the message's file is (or will be)."""
        return self.folder / spool_filename(message.message_id)

    def send(self, message: Message) -> None:
        """Write the message's `.eml` unless it is already there.

        Raises:
            DeliveryError: permanent when the message cannot be built (a bad header); temporary
                when the folder cannot be written (full disk, permissions).
        """
        target = self.path_for(message)
        if target.exists():
            _LOGGER.info("spool: %s already written, repeat dropped", message.message_id)
            return
        try:
            data = build_email(message, sender=self.sender, sender_name=self.sender_name,
                               reply_to=self.reply_to).as_bytes()
        except ValueError as exc:
            raise DeliveryError(f"邮件 {message.message_id} 无法生成：{exc}", permanent=True) from exc
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._write_atomically(target, data)
        except OSError as exc:
            raise DeliveryError(f"无法写入邮件目录 {self.folder}：{exc}", permanent=False) from exc
        _LOGGER.info("spool: wrote %s as %s", message.message_id, target.name)

    def _write_atomically(self, target: Path, data: bytes) -> None:
        fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
