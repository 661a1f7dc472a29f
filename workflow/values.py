"""Frozen values passed between the engine's parts and out to the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["Attachment", "DayInfo", "Due", "Message", "Verdict"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    """What one guard said about one step.

    Attributes:
        passed: whether the step may go ahead as far as this guard is concerned.
        guard: the registered guard's name (`years_since`).
        rule: the rule id it enforces (`SHA-16`).
        reason: why, in the office's language; for a pass, what was checked.
        overridden: the guard refused, but the office excused it for this case with a recorded
            reason (a rule that holds "in principle", `override:` in the definition).
    """

    passed: bool
    guard: str
    rule: str
    reason: str
    overridden: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class DayInfo:
    """The official status of one calendar day.

    Attributes:
        day: the date.
        working: whether it is a working day.
        kind: `workday`, `weekend`, `holiday` or `makeup` (调休 working weekend day).
        reason: in Chinese, e.g. `国庆节放假` or `调休上班（国庆节）`.
        holiday: the holiday's name when `kind` is holiday or makeup, else None.
        source: where the answer comes from (a calendar file, or the chinesecalendar package).
        provisional: True for a late-December day that next year's notice may still change.
    """

    day: date
    working: bool
    kind: str
    reason: str
    holiday: str | None
    source: str
    provisional: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Due:
    """When a period that starts at a moment ends.

    Attributes:
        at: the aware moment from which the case may move on (UTC-aware datetime).
        last_day: the last counted day, for day-based periods (the notice's last day).
        basis: what the result was computed from (period text and calendar sources), kept on the timer.
        provisional: True when a day the period depends on may still change.
    """

    at: datetime
    last_day: date | None
    basis: str
    provisional: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Attachment:
    """A document a letter carries (the material review report with SHA-23's feedback letter).

    Attributes:
        filename: the file name the recipient sees (Chinese allowed).
        content: the bytes of the file.
        mime_type: e.g. `text/plain`.
    """

    filename: str
    content: bytes
    mime_type: str = "text/plain"


@dataclass(frozen=True, kw_only=True, slots=True)
class Message:
    """One rendered notification ready for a notifier.

    Attributes:
        message_id: stable id derived from the outbox row, e.g. `<outbox-42.sha-2026-001.3f9c0a1b2c4d@award.local>`;
            the same row always gives the same id, so a receiver can drop a repeat.
        to: the address: an e-mail address, a webhook URL, or a console label.
        subject: the subject line (Chinese).
        text: the plain-text body.
        html: an optional HTML body.
        headers: extra headers (e.g. `X-Award-Case`).
        meta: what a structured channel may carry beside the text (case, template, outbox id).
        attachments: documents the letter carries; e-mail sends them as parts, chat robots name them.
    """

    message_id: str
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
