"""Frozen views of the office's work beside a case's page: the roster, rounds, public notices, and what
one step did. Kept apart from `views.py` (what reading a case prints), so that `show` and `history`
create only the classes they print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .values import Verdict
    from .views import TimerView

__all__ = ["NoticeList", "RoundView", "StaffView", "StepResult"]


@dataclass(frozen=True, kw_only=True, slots=True)
class StaffView:
    """A roster member: grants (`role@scope`), contact data, bound login, and whether disabled."""

    name: str
    roles: tuple[str, ...]
    email: str | None
    login: str | None = None
    phone: str | None = None
    disabled: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class RoundView:
    id: str
    procedure: str
    procedure_title: str
    year: int
    title: str
    opened_on: date
    dates: dict[str, datetime]
    properties: dict[str, Any]
    cases_by_state: dict[str, int] = field(default_factory=dict)
    decision: dict[str, Any] | None = None  # the office's decision to open it off the rhythm or validity


@dataclass(frozen=True, kw_only=True, slots=True)
class StepResult:
    """What one `advance` did."""

    case_ref: str
    trigger: str
    trigger_label: str
    source: str
    source_label: str
    dest: str
    dest_label: str
    seq: int
    verdicts: tuple[Verdict, ...]
    timers: tuple[TimerView, ...] = ()
    notifications: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeList:
    """Who is on a public notice, and its period (first and last day, from the notice timers).

    Attributes:
        rule: the rule the notice period cites (SHA-22, SQI-13, ...).
        objection_rule: the rule objections cite (the upheld trigger's rule: SHA-32, SQI-17).
        period: the period as the definition writes it (`5 working days`), if the state has a timer.
    """

    round_id: str
    round_title: str
    procedure: str
    procedure_title: str
    source: str
    state: str
    state_label: str
    entries: tuple[dict[str, Any], ...]
    first_day: date | None
    last_day: date | None
    period: str | None
    rule: str | None
    objection_rule: str | None
    provisional: bool
