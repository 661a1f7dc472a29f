"""The seams of the engine: each can be swapped without touching the rest.

- `Clock`: the one source of "now" (business time); tests and `--now` inject another.
- `Calendar`: which days are working days, by the official arrangement of each year.
- `Notifier`: one delivery channel (SMTP, a spool folder, a webhook, the console).
- `StepHook`: a side effect of every step (timers, the outbox), run inside the step's
  transaction on one frozen `Step` record; the engine states their order in one place
  (`Engine.step_hooks`).
- `Deliverer`: what sends the outbox after a commit (the engine and the scheduler call it).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from .values import DayInfo, Message

if TYPE_CHECKING:
    from sqlmodel import Session

    from .facts import CaseFacts
    from .specs.model import ProcessSpec, TransitionSpec
    from .store import CaseRow, EventRow

__all__ = ["Calendar", "Clock", "Deliverer", "Notifier", "Step", "StepHook"]

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


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step as its hooks see it, after its history event is written and before the commit.

    Attributes:
        session: the step's own transaction; a hook writes through it or not at all.
        case: the case row, already in its new state.
        event: the history event just appended (kind `created`, `transition` or a noted event).
        spec: the definition version the case runs under.
        facts: what guards saw, updated to the new state; gathered when a hook first reads it (`gather`),
            so a noted event no hook needs facts for (most fired marks) costs no query for them.
        transition: the transition fired, or None for an opened case or a noted event.
        planned: the timers this step planned, as written (with their ids), in the order written: the
            timers hook adds them, later hooks and the step's result read them instead of the table.
    """

    session: Session
    case: CaseRow
    event: EventRow
    spec: ProcessSpec
    gather: Callable[[], CaseFacts] = field(repr=False)
    transition: TransitionSpec | None = None
    planned: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def facts(self) -> CaseFacts:
        return self.gather()


@runtime_checkable
class StepHook(Protocol):
    """A side effect of every step, committed with it (timers, the outbox)."""

    def on_step(self, step: Step) -> None:
        """Write what this step implies through `step.session`; raising an `AwardError` undoes the step."""


@runtime_checkable
class Deliverer(Protocol):
    """Sends what the committed steps left in the outbox; never raises (rows stay for a retry)."""

    def deliver_quietly(self) -> None:
        """Deliver every due notification, logging failures instead of raising them."""
