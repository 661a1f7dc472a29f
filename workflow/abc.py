"""The seams of the engine: each can be swapped without touching the rest.

- `Clock`: the one source of "now" (business time); tests and `--now` inject another.
- `Calendar`: which days are working days, by the official arrangement of each year.
- `Notifier`: one delivery channel (SMTP, a spool folder, a webhook, the console).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from datetime import date, datetime
from typing import ClassVar

from .values import DayInfo, Message

__all__ = ["Calendar", "Clock", "Notifier"]

Clock = Callable[[], datetime]
"""Returns an aware datetime (UTC). Only `workflow.clock.system_clock` calls `datetime.now`."""


class Calendar(metaclass=ABCMeta):
    """Working days by the official Chinese arrangement of each year."""

    @abstractmethod
    def day(self, day: date) -> DayInfo:
        """Tell whether a day is a working day, and why.

        Raises:
            CalendarYearUnknown: when no source covers the day's year.
        """

    def is_working_day(self, day: date) -> bool:
        """Shorthand for `day(day).working`.

        Raises:
            CalendarYearUnknown: when no source covers the day's year.
        """
        return self.day(day).working

    @abstractmethod
    def covered_years(self) -> range | tuple[int, ...]:
        """The years for which official data is known."""


class Notifier(metaclass=ABCMeta):
    """One delivery channel. `send` either delivers the message or raises.

    Attributes:
        channel: the channel this notifier serves: `email`, `webhook`, `chat` or `console`.
        outcome: the outbox status a successful `send` earns: `sent` when the message reached a
            server that delivers it to a person (SMTP, a chat robot, a webhook), `spooled` when it
            was only written to a folder, `printed` when it was only shown on a terminal.
    """

    channel: ClassVar[str]
    outcome: ClassVar[str] = "sent"

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver one message.

        Raises:
            DeliveryError: when the message could not be delivered; `permanent=True` when
                retrying cannot help.
        """

    def close(self) -> None:
        """Release connections; called once when the engine is done."""
