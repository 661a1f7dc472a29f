"""Real SMTP servers on 127.0.0.1 (aiosmtpd), shared by the notifier tests and the outbox tests.

`smtp_server` is one session-scoped server; `SmtpService` is one a test can stop and start again on the
same port (a mail server that goes down and comes back).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

__all__ = ["HOST", "Received", "RecordingHandler", "SmtpServer", "SmtpService", "free_port", "smtp_server_fixture"]

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on (aiosmtpd cannot start on port 0: its readiness check needs the number)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------------

# Recipients the handler treats specially, by local part.
REFUSED = "nobody"  # RCPT 550
BUSY = "busy"  # RCPT 450
SPAM = "spamtrap"  # DATA 554
LATER = "greylist"  # DATA 451
BLOCKED_SENDER = "blocked"  # MAIL FROM 553


@dataclass
class Received:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that records what it accepts and refuses some recipients."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.split("@", 1)[0] == BLOCKED_SENDER:
            return "553 5.7.1 Sender address rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local == REFUSED:
            return "550 5.1.1 No such user here"
        if local == BUSY:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        locals_ = {address.split("@", 1)[0] for address in envelope.rcpt_tos}
        if SPAM in locals_:
            return "554 5.7.1 Message rejected as spam"
        if LATER in locals_:
            return "451 4.7.1 Greylisted, try again later"
        with self.lock:
            self.received.append(
                Received(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), content=envelope.content)
            )
        return "250 Message accepted for delivery"

    def with_message_id(self, message_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.message["Message-ID"] == message_id]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler


@pytest.fixture(scope="session", name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        yield SmtpServer(host=HOST, port=port, handler=handler)
    finally:
        controller.stop()


class SmtpService:
    """A recording server on a fixed port that can be stopped (connections refused) and started again."""

    def __init__(self, handler: RecordingHandler | None = None, port: int | None = None) -> None:
        self.handler = handler or RecordingHandler()
        self.port = port or free_port()
        self._controller: Controller | None = None

    def start(self) -> SmtpService:
        if self._controller is None:
            self._controller = Controller(self.handler, hostname=HOST, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
