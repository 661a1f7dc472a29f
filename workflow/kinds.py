"""The closed sets of words the engine writes into its tables: event kinds, timer kinds and statuses.

Each is a `StrEnum`, so a member is the very string stored (`TimerStatus.PENDING == "pending"`) and the
tables stay readable; the checker knows the set (`on_events` keys must be event kinds).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LIVE_TIMERS", "NOTED_EVENTS", "EventKind", "ObjectionStatus", "OutboxStatus", "TimerKind", "TimerStatus"]


class EventKind(StrEnum):
    """What a history event records. `on_events` in a definition is keyed by these (except the first two,
    whose notifications a start or a transition declares itself)."""

    CREATED = "created"
    TRANSITION = "transition"
    OBJECTION_FILED = "objection_filed"
    OBJECTION_RESOLVED = "objection_resolved"
    REPORT_SUBMITTED = "report_submitted"
    DUTY_MET = "duty_met"
    DUTY_OVERDUE = "duty_overdue"
    REMINDER = "reminder"
    MARKED = "marked"
    TIMER_RECOMPUTED = "timer_recomputed"
    TIMER_REARMED = "timer_rearmed"
    FILE_ATTACHED = "file_attached"
    CONTACT_CORRECTED = "contact_corrected"
    REVIEW_ASSIGNED = "review_assigned"
    REVIEW_SCORED = "review_scored"
    SCORE_REFUSED = "score_refused"
    REVIEW_RECUSED = "review_recused"
    REVIEW_FEEDBACK = "review_feedback"
    REVIEW_WARNING = "review_warning"
    REVIEW_DISQUALIFIED = "review_disqualified"
    CONFLICT_RECORDED = "conflict_recorded"
    CONFLICT_WITHDRAWN = "conflict_withdrawn"
    ACCESS_REFUSED = "access_refused"
    EXPERTS_JOINED = "experts_joined"
    CHECKLIST_FINDING = "checklist_finding"
    TIMER_HELD = "timer_held"
    DELIVERY_FAILED = "delivery_failed"
    ENTRY_RECORDED = "entry_recorded"
    ENTRY_ANSWERED = "entry_answered"
    RECOVERY_RECORDED = "recovery_recorded"
    DEFINITION_MIGRATED = "definition_migrated"


NOTED_EVENTS = tuple(k for k in EventKind if k not in (EventKind.CREATED, EventKind.TRANSITION))
"""The events that move no state: the keys `on_events` may use."""


class TimerKind(StrEnum):
    """What a due timer does: fire a trigger, check a duty, remind, or set a mark. A retention mark (the
    definition's `retention`) belongs to the case, not to a state: leaving the state does not cancel it."""

    TRANSITION = "transition"
    DUTY = "duty"
    REMINDER = "reminder"
    MARK = "mark"
    RETENTION = "retention"


class TimerStatus(StrEnum):
    """A timer's life: pending until due; fired once; held while a guard refuses; blocked while a
    calendar year its step needs is unknown; failed on an error; cancelled when the case leaves the
    state; overdue when a duty's report did not come."""

    PENDING = "pending"
    HELD = "held"
    BLOCKED = "blocked"
    FIRED = "fired"
    FAILED = "failed"
    CANCELLED = "cancelled"
    OVERDUE = "overdue"


LIVE_TIMERS = (TimerStatus.PENDING, TimerStatus.HELD)
"""Timers that may still fire."""


class OutboxStatus(StrEnum):
    """A notification's life: pending, claimed for sending, sent, or failed (kept, visible, retryable);
    skipped when the deployment serves no such channel."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class ObjectionStatus(StrEnum):
    """An objection is open until resolved: upheld or dismissed."""

    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"
