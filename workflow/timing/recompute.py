"""Deadlines follow the calendar data: recompute live timers after a calendar year is added or changed.

A due time counted in working days depends on the State Council's arrangement of every day it
consulted. While next year's notice is unknown, late-December days are provisional and the due time is
flagged (`TimerRow.provisional`); a period that needs a day of an unknown year cannot be counted at all,
so a timer whose firing would enter such a state is `blocked` instead of failing for good. Once the office
imports the year, `recompute_timers` walks every live timer:

- a pending or held timer is counted again from its state's entry with the new calendar; when its due
  time, last day or provisional flag changes, the row is updated and the case's history records the old
  and new due time and why (`timer_recomputed`);
- a blocked timer is re-armed (`pending` again, `timer_rearmed` in the history), so that the next tick
  fires it with the data now known.

It is idempotent: a second run with the same data changes nothing. Each case is its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from ..errors import CalendarYearUnknown, ConflictError
from ..logs import logger
from ..specs.model import ProcessSpec, StateSpec, TimerSpec
from ..store import CaseRow, EventRow, TimerRow, utc
from .periods import anniversaries, before, due, parse_offset, parse_period
from .timers import BLOCKED

if TYPE_CHECKING:
    from ..engine import Engine
    from ..views import Actor

__all__ = ["Recomputed", "recompute_timers"]

_LOGGER = logger(__name__)

_ATTEMPTS = 3

@dataclass(frozen=True, kw_only=True, slots=True)
class Recomputed:
    """What happened to one timer: `recomputed`, `confirmed` (same due time, no longer provisional),
    `rearmed` (was blocked), or `unknown` (still needs a year nobody has imported)."""

    timer: int
    case: str
    action: str
    old_due_at: datetime
    new_due_at: datetime
    provisional: bool
    why: str


def recompute_timers(engine: Engine, *, actor: Actor, reason: str) -> list[Recomputed]:
    """Recompute every live timer with `engine.calendar` and record each change in its case's history.

    Args:
        engine: the engine, whose calendar already holds the new data.
        actor: who changed the data (recorded as the actor of each history event).
        reason: why, e.g. "导入2027年节假日安排（国务院办公厅关于2027年部分节假日安排的通知）".
    """
    with engine.db.session() as s:
        case_ids = sorted(set(s.exec(select(TimerRow.case_id).where(
            col(TimerRow.status).in_(["pending", "held", BLOCKED]))).all()))
    out: list[Recomputed] = []
    for case_id in case_ids:
        for attempt in range(_ATTEMPTS):
            try:
                with engine.transaction(case_id) as s:
                    out += _recompute_case(engine, s, case_id, actor, reason)
                break
            except ConflictError:  # a step or tick wrote the case meanwhile: count again from what it wrote
                if attempt == _ATTEMPTS - 1:
                    raise
    return out


def _recompute_case(engine: Engine, s: Session, case_id: int, actor: Actor, reason: str) -> list[Recomputed]:
    row = s.get(CaseRow, case_id)
    assert row is not None
    spec = engine.spec_of(row)
    q = select(TimerRow).where(TimerRow.case_id == case_id, col(TimerRow.status).in_(["pending", "held", BLOCKED]))
    if not engine.db.is_sqlite:  # a tick must not fire a timer while it is being re-dated (SQLite: one writer)
        q = q.with_for_update()
    timers = s.exec(q.order_by(col(TimerRow.id))).all()
    out: list[Recomputed] = []
    for timer in timers:
        assert timer.id is not None
        old = utc(timer.due_at)
        try:
            fresh = _count_again(engine, s, spec, timer)
        except CalendarYearUnknown as exc:
            out.append(Recomputed(timer=timer.id, case=row.ref, action="unknown", old_due_at=old, new_due_at=old,
                                  provisional=timer.provisional, why=str(exc)))
            continue
        blocked = timer.status == BLOCKED
        if fresh is None and not blocked:
            continue
        new_at, last_day, basis, provisional, target_at = fresh or (old, timer.last_day, None, timer.provisional, None)
        if not blocked and (new_at, last_day, provisional) == (old, timer.last_day, timer.provisional):
            continue
        if blocked:
            action = "rearmed"
            why = f"{reason}；此前因缺少节假日安排未能触发，现重新排队"
            timer.status, timer.note = "pending", f"{reason}，重新排队（原因：{timer.note or '缺少节假日安排'}）"[:2000]
        elif new_at != old:
            action = "recomputed"
            why = f"{reason}；" + ("原到期时间依据暂定日期计算" if timer.provisional else "所依据日期的节假日安排有变")
        else:
            action, why = "confirmed", f"{reason}；到期时间不变，不再是暂定"
        if provisional:
            why += "（仍依据暂定日期，次年安排公布后可能再变）"
        timer.due_at, timer.last_day, timer.provisional = new_at, last_day, provisional
        if basis is not None:
            timer.basis = basis
        if target_at is not None:
            timer.target_at = target_at
        s.add(timer)
        change = Recomputed(timer=timer.id, case=row.ref, action=action, old_due_at=old, new_due_at=new_at,
                            provisional=provisional, why=why)
        _record(engine, s, row, timer, change, kind="timer_rearmed" if blocked else "timer_recomputed", actor=actor)
        out.append(change)
    return out


def _count_again(engine: Engine, s: Session, spec: ProcessSpec, timer: TimerRow
                 ) -> tuple[datetime, Any, str | None, bool, datetime | None] | None:
    """(due at, last day, basis, provisional, reminder target) counted now; None when not calendar-based."""
    assert engine.calendar is not None
    if timer.kind == "retention":
        return None  # whole years from a day: no working day is counted
    timer_spec = _timer_spec(spec.state(timer.state), timer)
    if timer_spec is None:
        _LOGGER.warning("timer #%s matches no timer of state %s any more; left as it is", timer.id, timer.state)
        return None
    entered_at = s.exec(select(EventRow.business_time).where(
        EventRow.case_id == timer.case_id, EventRow.seq == timer.entry_seq)).first()
    if entered_at is None:
        return None
    entered = utc(entered_at)
    if timer.kind == "reminder":
        target = _target(spec, timer_spec, entered, timer, engine)
        if target is None:  # an absolute date: the target does not move, the reminder may
            if timer.target_at is None:
                return None
            target = utc(timer.target_at)
        when = before(target, parse_offset(timer.period), engine.calendar)
        return when, timer.last_day, None, timer.provisional, target
    if timer_spec.after is None and timer_spec.after_field is None:
        return None  # yearly anniversaries and round dates never consult the calendar
    text = timer_spec.after if timer_spec.after is not None else timer.period  # the period the step set
    d = due(parse_period(text), entered, engine.calendar, start_day_counts=spec.start_day_counts)
    return d.at, d.last_day, d.basis, d.provisional, None


def _target(spec: ProcessSpec, t: TimerSpec, entered: datetime, timer: TimerRow, engine: Engine) -> datetime | None:
    """The due time a reminder reminds of, counted now (None for a round date)."""
    assert engine.calendar is not None
    if t.every is not None and timer.duty_index:
        return anniversaries(parse_period(t.every), entered, engine.calendar)[timer.duty_index - 1].at
    if t.after is not None:
        return due(parse_period(t.after), entered, engine.calendar, start_day_counts=spec.start_day_counts).at
    return None


def _timer_spec(state: StateSpec, timer: TimerRow) -> TimerSpec | None:
    """The definition's timer a row was planned from (the definition version is pinned per case)."""
    for t in state.timers:
        if t.rule != timer.rule:
            continue
        kinds = {
            "reminder": timer.period in t.remind and t.trigger == timer.trigger and (t.duty or t.mark) == timer.duty,
            "transition": t.trigger is not None and t.trigger == timer.trigger,
            "mark": t.mark is not None and t.mark == timer.duty,
            "duty": t.every is not None and t.duty == timer.duty,
        }
        if kinds.get(timer.kind, False):
            return t
    return None


def _record(engine: Engine, s: Session, row: CaseRow, timer: TimerRow, change: Recomputed, *, kind: str,
            actor: Actor) -> None:
    """A history event for one timer change.

    Its business time is now, or the timer's due time when that has already passed (never before the
    case's last event): a timer that fires after this event fires at `max(due, last event)`, so an
    event stamped "now" would move a late-imported or re-armed timer's step to the moment of the import.
    The real time of the import is the event's wall time.
    """
    last = s.exec(select(EventRow.business_time).where(EventRow.case_id == row.id)
                  .order_by(col(EventRow.seq).desc())).first()
    at = min(engine.clock(), change.new_due_at)
    if last is not None:
        at = max(at, utc(last))
    engine.record_event(s, row, kind=kind, actor=actor, at=at, data={
        "timer": timer.id, "rule": timer.rule, "old_due_at": utc(change.old_due_at).isoformat(),
        "due_at": utc(change.new_due_at).isoformat(), "provisional": change.provisional, "reason": change.why})
