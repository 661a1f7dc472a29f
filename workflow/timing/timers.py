"""Durable timers: planned in the step's transaction, fired exactly once by `tick`.

A timer row is created when a case enters a timed state and cancelled when
it leaves. `tick` claims each due timer with a conditional update (and
`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two ticks at once never fire a
timer twice. A timer whose guard refuses is held, not dropped, and becomes
pending again whenever the case changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import and_, bindparam, case, insert, or_, text, update
from sqlmodel import Session, col, select

from ..errors import (
    AwardError,
    CalendarYearUnknown,
    ConflictError,
    DatabaseBusy,
    DatabaseUnavailable,
    Refused,
)
from ..kinds import LIVE_TIMERS, EventKind, TimerKind, TimerStatus
from ..logs import logger
from ..reads import page
from ..specs.model import ProcessSpec, StateSpec, TimerSpec
from ..store import CaseRow, EventRow, Prepared, ReportRow, TimerRow, construct, utc, values_of
from ..timeline import last_business_time
from .clock import SHANGHAI, start_of_day
from .periods import add_years, anniversaries, before, due, parse_offset, parse_period
from .report import TickReport

if TYPE_CHECKING:
    from ..abc import Step
    from ..engine import Engine
    from ..facts import CaseFacts
    from ..views import Actor

__all__ = ["TickReport", "Timers", "install", "list_timers", "next_due", "reconsider", "retry_timer", "tick"]

_LOGGER = logger(__name__)

BLOCKED = TimerStatus.BLOCKED
"""A timer that could not fire because a calendar year its step needs is unknown: re-armed by
`recompute.recompute_timers` when the year is imported (`award calendar import`)."""

LIVE = (*LIVE_TIMERS, BLOCKED)

RETENTION_MARK = "retention"
"""The mark a retention timer sets when the material's keeping period has run (`marked` event)."""

NOT_A_CHANGE = ("timer_held", "delivery_failed")
"""Events that report on a case without changing it: they do not re-arm held timers."""


@dataclass(frozen=True)
class Timers:
    """The step hook that plans and cancels timers: a case entering a state gets that state's timers,
    one leaving it has them cancelled, and any step reconsiders the held ones."""

    engine: Engine

    def on_step(self, step: Step) -> None:
        s, row, event = step.session, step.case, step.event
        ev = values_of(event)  # not through the ORM's attributes (~3 k instructions a read)
        kind = ev["kind"]
        if kind in (EventKind.CREATED, EventKind.TRANSITION) and ev["source"] != ev["dest"]:
            cancel(s, row, before_seq=ev["seq"])  # and reconsider the held ones, in the same statement
            state = step.spec.state(values_of(row)["state"])
            step.planned.extend(plan(s, self.engine, row, event, state, step.spec, step.facts))
        elif kind not in NOT_A_CHANGE:
            reconsider(s, row)


def install(engine: Engine) -> Timers:
    """Plan and cancel timers inside every step of `engine`."""
    timers = Timers(engine)
    engine.timers = timers
    return timers


def _cancel_statement() -> Any:
    t = TimerRow.__table__  # type: ignore[attr-defined]
    left = and_(t.c.entry_seq < bindparam("before_seq"), t.c.kind != TimerKind.RETENTION)  # retention is kept (SHA-39)
    return (update(t).where(t.c.case_id == bindparam("case_id"), or_(*(t.c.status == v for v in LIVE)))
            .values(status=case((left, TimerStatus.CANCELLED), (t.c.status == TimerStatus.HELD, TimerStatus.PENDING),
                                else_=t.c.status),
                    note=case((left, "案件已离开该状态"), else_=t.c.note)))


def _reconsider_statement() -> Any:
    t = TimerRow.__table__  # type: ignore[attr-defined]
    return (update(t).where(t.c.case_id == bindparam("case_id"), t.c.status == TimerStatus.HELD)
            .values(status=TimerStatus.PENDING))


_TIMER_COLUMNS = tuple(c.name for c in TimerRow.__table__.columns if c.name != "id")  # type: ignore[attr-defined]


def _insert_statement() -> Any:
    table = TimerRow.__table__  # type: ignore[attr-defined]
    return insert(table).values({c: bindparam(c) for c in _TIMER_COLUMNS}).returning(table.c.id)


_CANCEL = Prepared(_cancel_statement)
_RECONSIDER = Prepared(_reconsider_statement)
_INSERT = Prepared(_insert_statement)
_DEFAULTS = {"trigger": None, "duty": None, "duty_index": None, "target_at": None, "last_day": None,
             "provisional": False, "status": TimerStatus.PENDING, "note": None, "fired_at": None}


def cancel(s: Session, row: CaseRow, *, before_seq: int) -> None:
    """Cancel the live timers of the state the case left; held ones of a later entry become pending.

    One UPDATE rather than a cancel and a reconsider: every step of every case runs it.
    """
    _CANCEL.run(s, {"case_id": row.id, "before_seq": before_seq})


def reconsider(s: Session, row: CaseRow) -> None:
    """Held timers become pending again when the case changes."""
    _RECONSIDER.run(s, {"case_id": row.id})


def plan(s: Session, engine: Engine, row: CaseRow, event: EventRow, state: StateSpec, spec: ProcessSpec,
         facts: CaseFacts) -> list[dict[str, Any]]:
    """Create the timers of the state just entered, due times from the calendar; returns them as written,
    each with its id (the step's letters and result read them from here, not back from the table)."""
    case_id, ev = values_of(row)["id"], values_of(event)
    assert case_id is not None and engine.calendar is not None
    entered = utc(ev["business_time"])
    rows: list[dict[str, Any]] = []  # written by one prepared INSERT each (RETURNING the id), no unit of work
    for timer in state.timers:
        base: dict[str, Any] = {"case_id": case_id, "entry_seq": ev["seq"], "state": state.name, "rule": timer.rule,
                                "created_at": engine.clock()}
        if timer.every is not None:
            for k, d in enumerate(anniversaries(parse_period(timer.every), entered, engine.calendar), start=1):
                rows.append(_row(base, kind=TimerKind.DUTY, duty=timer.duty, duty_index=k, period=timer.every,
                               basis=d.basis, due_at=d.at, last_day=d.last_day, provisional=d.provisional))
                _reminders(rows, engine, base, timer, d.at, duty_index=k)
            continue
        if timer.after is not None or timer.after_field is not None:
            text = timer.after if timer.after is not None else _field_period(row, spec, timer)
            d = due(parse_period(text), entered, engine.calendar, start_day_counts=spec.start_day_counts)
            at, last_day, basis, provisional, period = d.at, d.last_day, d.basis, d.provisional, text
        else:
            assert timer.at is not None
            if timer.at not in facts.round.dates:
                raise Refused(f"{row.ref}：本轮未设定“{spec.round_dates[timer.at].label}”（{timer.at}），无法设定定时；"
                              f"请用 award round open ... --date {timer.at}=YYYY-MM-DD 设定")
            at = facts.round.dates[timer.at]
            # the last day before it is due, as for deadlines in periods.due (00:00 ends the day before)
            last_day = (at - timedelta(microseconds=1)).astimezone(SHANGHAI).date()
            basis, provisional, period = f"轮次日期 {timer.at}", False, \
                f"{spec.round_dates[timer.at].label} {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
        kind = TimerKind.TRANSITION if timer.trigger else TimerKind.MARK
        rows.append(_row(base, kind=kind, trigger=timer.trigger, duty=timer.mark, period=period, basis=basis,
                       due_at=at, last_day=last_day, provisional=provisional))
        _reminders(rows, engine, base, timer, at, duty_index=None)
    keep = spec.retention
    if keep is not None and (state.final or state.name in keep.also):
        # Kept `years` whole years from the day the outcome was reached, that day's anniversary included.
        last = add_years(entered.astimezone(SHANGHAI).date(), keep.years)
        rows.append(_row({"case_id": row.id, "entry_seq": event.seq, "state": state.name, "rule": keep.rule,
                          "created_at": engine.clock()}, kind=TimerKind.RETENTION, duty=RETENTION_MARK,
                         period=f"{keep.years}年", basis=f"自进入“{state.label}”起{keep.years}年",
                         due_at=start_of_day(last + timedelta(days=1)), last_day=last))
    for values in rows:
        values["id"] = _INSERT.run(s, values).fetchone()[0]
    return rows


def _field_period(row: CaseRow, spec: ProcessSpec, timer: TimerSpec) -> str:
    """The period (or deadline) a step set in the case's form for an `after_field` timer.

    Raises:
        Refused: the field is empty (the step entering the state must fill it: `required_for`).
    """
    assert timer.after_field is not None
    value = row.data.get(timer.after_field)
    if not isinstance(value, str) or not value.strip():
        label = spec.fields[timer.after_field].label if timer.after_field in spec.fields else timer.after_field
        raise Refused(f"{row.ref}：未填写“{label}”（{timer.after_field}），无法设定定时；"
                      f"请用 --set {timer.after_field}=期限 填写（如 10个工作日 或 2024-09-30）")
    return value


def _row(base: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {**_DEFAULTS, **base, **values}


def _reminders(rows: list[dict[str, Any]], engine: Engine, base: dict[str, Any], timer: TimerSpec, at: datetime,
               duty_index: int | None) -> None:
    assert engine.calendar is not None
    for offset in timer.remind:
        when = before(at, parse_offset(offset), engine.calendar)
        rows.append(_row(base, kind=TimerKind.REMINDER, trigger=timer.trigger, duty=timer.duty or timer.mark,
                       duty_index=duty_index, period=offset, basis=f"{offset}（到期 {at.isoformat()}）", due_at=when,
                       target_at=at))


def list_timers(engine: Engine, *, case: str | None = None, status: str | None = None,
                provisional: bool = False, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Timers for people: due time, state, what fires, status and why (a held or failed timer's note).

    `provisional`: only what still waits for calendar data: live timers whose due time rests on
    provisional days, and timers blocked for an unknown year. `limit`/`offset`: one page.
    """
    with engine.db.session() as s:
        q = select(TimerRow, CaseRow).join(CaseRow, col(TimerRow.case_id) == col(CaseRow.id))
        if case:
            q = q.where(CaseRow.id == engine.case_row(s, case).id)
        if status:
            q = q.where(TimerRow.status == status)
        if provisional:
            q = q.where(col(TimerRow.status).in_(LIVE)).where(
                (col(TimerRow.provisional).is_(True)) | (col(TimerRow.status) == BLOCKED))
        return [{"id": t.id, "case": c.ref, "state": t.state, "kind": t.kind, "trigger": t.trigger, "duty": t.duty,
                 "index": t.duty_index, "rule": t.rule, "period": t.period, "due_at": utc(t.due_at),
                 "last_day": t.last_day.isoformat() if t.last_day else None, "status": t.status, "note": t.note,
                 "provisional": t.provisional}
                for t, c in s.exec(page(q.order_by(col(TimerRow.due_at), col(TimerRow.id)), limit, offset)).all()]


def retry_timer(engine: Engine, timer_id: int, *, actor: Actor | None = None) -> str:
    """Put a failed or held timer back to pending (after the data that stopped it was fixed).

    Raises:
        RecordLookupError: no such timer.
        InvalidInput: the timer is not failed or held.
    """
    from ..errors import InvalidInput, RecordLookupError

    with engine.db.session() as s:
        timer = s.get(TimerRow, timer_id)
        if timer is None:
            raise RecordLookupError(f"定时 #{timer_id}")
        if actor is not None:  # the CLI always passes it; None only for in-process code
            from ..registers.staff import authorize

            case = s.get(CaseRow, timer.case_id)
            assert case is not None
            authorize(actor, engine.spec_of(case), "timers", f"重试定时 #{timer_id}")
        if timer.status not in (TimerStatus.FAILED, TimerStatus.HELD, BLOCKED):
            raise InvalidInput(f"定时 #{timer_id} 的状态为 {timer.status}，只有 failed 或 held（以及等待节假日安排的 blocked）的定时可以重试")
        timer.status, timer.note = TimerStatus.PENDING, f"重新排队（原因：{timer.note or '无'}）"[:2000]
        s.add(timer)
    return f"定时 #{timer_id} 已重新排队，下次 award tick 时处理"


def next_due(engine: Engine) -> datetime | None:
    """The earliest pending timer's due time (for the scheduler's next wake-up)."""
    with engine.db.session() as s:
        row = s.exec(select(TimerRow).where(TimerRow.status == TimerStatus.PENDING).order_by(col(TimerRow.due_at))).first()
        return utc(row.due_at) if row else None


def tick(engine: Engine, *, limit: int = 10_000) -> TickReport:
    """Fire every due timer once, oldest first, each in its own transaction; then deliver, as any step does."""
    refresh = getattr(engine.calendar, "refreshed", None)
    if refresh is not None:  # a year imported by another process since this one started counts now
        engine.calendar = refresh()
    report = _fire_due(engine, limit=limit)
    if report.fired:
        engine.after_commit()  # the fired steps' notifications (reminders, overdue notices) go out now
    return report


BATCH = 20
"""How many cases' due timers a PostgreSQL worker claims at once (each timer still fired in its own transaction)."""

SCAN = 2000
"""How far down the due list a worker looks for cases no other worker holds (so many workers each find
a batch of their own)."""

LOCK_SPACE = 0x61776474
"""The advisory-lock key space of tick workers on PostgreSQL (`pg_try_advisory_lock(LOCK_SPACE, case id)`)."""

CONFLICT_RETRIES = 3
"""A timer whose case a clerk changed at the same moment is tried again this many times."""


def _fire_due(engine: Engine, *, limit: int) -> TickReport:
    """Fire due timers, each in its own transaction; SQLite claims one at a time (its write lock
    serialises workers anyway), PostgreSQL in batches of cases (`_Claims`)."""
    now = engine.clock()
    report = TickReport()
    skipped: set[int] = set()
    if engine.db.is_sqlite:
        for _ in range(limit):
            if _fire_one(engine, report, skipped, None, now) is None:
                break
        return report
    with _Claims(engine, now) as claims:
        fired = 0
        while fired < limit:
            batch = claims.take(BATCH, skipped)
            if not batch:
                break
            for tid in batch[:limit - fired]:
                for _attempt in range(CONFLICT_RETRIES):
                    if _fire_one(engine, report, skipped, tid, now) != "conflict":
                        break
                fired += 1
            claims.release()
    return report


class _Claims:
    """A PostgreSQL worker's claims: the due timers of a batch of cases, held with session advisory locks.

    One short statement takes a batch: among the first SCAN due timers (index on status, due_at), the
    cases of the first BATCH that no other worker holds are locked with `pg_try_advisory_lock`, and
    their due timers are this worker's, in due order. Locking the case, not the timer, keeps two workers
    from firing two timers of one case at once (the second would wait for the first's row lock and then
    lose on the case's version). The locks belong to this worker's own connection, kept for the whole
    tick: when the worker dies (kill -9, a lost host), PostgreSQL ends its session and the locks with it,
    so another worker claims the timers at once: no lease to wait out, no column to reset. A lock only
    keeps other workers away; firing still takes the timer with a conditional UPDATE
    (`status = 'pending'`) in the step's own transaction, so a timer fires exactly once whatever the
    locks say.
    """

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine, self.now = engine, now
        self.conn: Any = None
        self.cases: list[int] = []

    def __enter__(self) -> Self:
        self.conn = self.engine.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock_all()"))
        finally:
            self.conn.close()

    def take(self, n: int, skipped: set[int]) -> list[int]:
        """The due timers of up to `n` cases no other worker holds (their locks held until `release`)."""
        rows = self.conn.execute(_TAKE, {"space": LOCK_SPACE, "now": self.now, "scan": SCAN + len(skipped),
                                         "n": n, "skipped": sorted(skipped) or [0]}).all()
        self.cases = sorted({int(r[1]) for r in rows})
        return [int(r[0]) for r in rows]

    def release(self) -> None:
        if self.cases:
            self.conn.execute(_RELEASE, {"space": LOCK_SPACE, "ids": self.cases})
        self.cases = []


_TAKE = text("""
    WITH due AS MATERIALIZED (
        SELECT id, case_id, due_at FROM timers
        WHERE status = 'pending' AND due_at <= :now AND id <> ALL(:skipped)
        ORDER BY due_at, id LIMIT :scan),
    firsts AS MATERIALIZED (
        SELECT case_id, min(due_at) AS first FROM due GROUP BY case_id ORDER BY first, case_id),
    mine AS MATERIALIZED (
        SELECT case_id FROM firsts WHERE pg_try_advisory_lock(:space, case_id) LIMIT :n)
    SELECT due.id, due.case_id FROM due JOIN mine USING (case_id) ORDER BY due.due_at, due.id
""")
_RELEASE = text("SELECT pg_advisory_unlock(:space, id) FROM unnest(CAST(:ids AS integer[])) AS id")


def _fire_one(engine: Engine, report: TickReport, skipped: set[int], tid: int | None,
              now: datetime) -> str | None:
    """Claim and fire one timer (`tid`, or on SQLite the oldest due) in its own transaction.

    Returns None when there was nothing to fire, "conflict" when a concurrent step changed the case
    first (the timer stays pending), else "done".
    """
    from ..engine import SYSTEM

    ref = ""
    try:
        with engine.db.session() as s:
            timer = _claim_next(s, engine, now, skipped) if tid is None else _claim(s, tid, now)
            if timer is None:
                return None
            assert timer.id is not None
            tid = timer.id
            case = engine.case_row(s, timer.case_id)
            ref = case.ref
            what, detail = _fire(engine, s, timer, case, SYSTEM)
            report.fired.append((tid, ref, what, detail))
    except (DatabaseBusy, DatabaseUnavailable):
        raise  # the whole tick stops: every later timer would wait out the same lock (exit 5 or 6)
    except Refused as exc:
        assert tid is not None
        why = exc.summary + "；" + "；".join(v.reason for v in exc.failures)
        _tell_held(engine, tid, why)
        _set_status(engine, tid, TimerStatus.HELD, why)
        report.held.append((tid, ref, "暂缓", str(exc)))
        skipped.add(tid)
    except ConflictError:
        assert tid is not None
        skipped.add(tid)
        return "conflict"
    except CalendarYearUnknown as exc:  # the step it fires needs a year not imported yet: wait for it
        assert tid is not None
        _set_status(engine, tid, BLOCKED, str(exc))
        report.held.append((tid, ref, "等待节假日安排", str(exc)))
        skipped.add(tid)
    except AwardError as exc:
        assert tid is not None
        _set_status(engine, tid, TimerStatus.FAILED, str(exc))
        report.failed.append((tid, ref, "失败", str(exc)))
        skipped.add(tid)
    return "done"


_ALL_COLUMNS = tuple(c.name for c in TimerRow.__table__.columns)  # type: ignore[attr-defined]


def _claim_statement(which: Any) -> Any:
    t = TimerRow.__table__  # type: ignore[attr-defined]
    return (update(t).where(t.c.id == which(t), t.c.status == TimerStatus.PENDING)
            .values(status=TimerStatus.FIRED, fired_at=bindparam("now")).returning(*(t.c[c] for c in _ALL_COLUMNS)))


def _oldest_due(t: Any) -> Any:
    return (select(t.c.id).where(t.c.status == TimerStatus.PENDING, t.c.due_at <= bindparam("now"))
            .order_by(t.c.due_at, t.c.id).limit(1).scalar_subquery())


_CLAIM_ID = Prepared(lambda: _claim_statement(lambda t: bindparam("id")))
_MARK_OVERDUE = Prepared(lambda: update(TimerRow.__table__).where(  # type: ignore[attr-defined]
    TimerRow.__table__.c.id == bindparam("id")).values(status=TimerStatus.OVERDUE))  # type: ignore[attr-defined]
_CLAIM_OLDEST = Prepared(lambda: _claim_statement(_oldest_due))


def _claimed(s: Session, found: tuple[Any, ...] | None) -> TimerRow | None:
    """The claimed timer as read back by its claim: a row object outside the session (no step writes it
    through the ORM; an overdue duty is marked by `_MARK_OVERDUE`), which saves the ORM's attach."""
    return construct(TimerRow, **dict(zip(_ALL_COLUMNS, found, strict=True))) if found is not None else None


def _claim(s: Session, tid: int, now: datetime) -> TimerRow | None:
    """Take one claimed timer for firing: the conditional UPDATE that makes firing exactly-once."""
    return _claimed(s, _CLAIM_ID.first(s, {"id": tid, "now": now}))


def _claim_next(s: Session, engine: Engine, now: datetime, skipped: set[int]) -> TimerRow | None:
    """Claim the oldest due timer in one statement: UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING.

    SQLite's write lock serialises workers, and the `status = 'pending'` condition keeps a timer from
    firing twice; the claim and the step it fires commit together, so a worker killed mid-step leaves
    the timer pending for the next one.
    """
    if not skipped and engine.db.is_sqlite:  # the usual claim: one prepared statement
        return _claimed(s, _CLAIM_OLDEST.first(s, {"now": now}))
    due = select(TimerRow.id).where(TimerRow.status == "pending", col(TimerRow.due_at) <= now)
    if skipped:
        due = due.where(col(TimerRow.id).not_in(skipped))
    due = due.order_by(col(TimerRow.due_at), col(TimerRow.id)).limit(1)
    if not engine.db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    claim = (update(TimerRow)
             .where(col(TimerRow.id) == due.scalar_subquery(), col(TimerRow.status) == "pending")
             .values(status="fired", fired_at=now).returning(TimerRow)
             .execution_options(synchronize_session=False))
    return s.execute(claim).scalars().first()


def _fire(engine: Engine, s: Session, timer: TimerRow, case: CaseRow, actor: Any) -> tuple[str, str]:
    due_at = utc(timer.due_at)
    if timer.kind == TimerKind.TRANSITION:
        assert timer.trigger is not None
        # A timer held by a guard (an open objection) fires once the guard passes: the case moves on
        # then, not at the due time, which already lies before the events that released it.
        last = last_business_time(s, case.id or 0)
        at = max(due_at, last) if last is not None else due_at
        result = engine.advance_in(s, case.id or 0, timer.trigger, actor=actor, at=at,
                                   extra={"timer": timer.id, "due_at": due_at.isoformat(), "rule": timer.rule})
        return result.trigger_label, f"{result.source_label} → {result.dest_label}"
    if timer.kind == TimerKind.DUTY:
        done = s.exec(select(ReportRow).where(ReportRow.case_id == case.id, ReportRow.duty == timer.duty,
                                              ReportRow.duty_index == timer.duty_index)).first()
        kind = EventKind.DUTY_MET if done else EventKind.DUTY_OVERDUE
        engine.record_event(s, case, kind=kind, actor=actor, at=due_at,
                            data={"duty": timer.duty, "index": timer.duty_index, "rule": timer.rule,
                                  "due_at": due_at.isoformat()})
        from ..duties import duty_label

        label = duty_label(engine.spec_of(case), timer.duty)
        if not done:
            _MARK_OVERDUE.run(s, {"id": timer.id})
            return f"第{timer.duty_index}次{label}逾期未登记", timer.rule
        return f"第{timer.duty_index}次{label}已按时登记", timer.rule
    if timer.kind == TimerKind.REMINDER:
        if timer.duty_index is not None and s.exec(select(ReportRow).where(
                ReportRow.case_id == case.id, ReportRow.duty == timer.duty,
                ReportRow.duty_index == timer.duty_index)).first():
            return "无需提醒（已提交）", timer.period
        engine.record_event(s, case, kind=EventKind.REMINDER, actor=actor, at=due_at,
                            data={"duty": timer.duty, "index": timer.duty_index, "trigger": timer.trigger,
                                  "rule": timer.rule, "period": timer.period, "due_at": utc(timer.target_at).isoformat() if timer.target_at else None})
        return "提醒", timer.period
    engine.record_event(s, case, kind=EventKind.MARKED, actor=actor, at=due_at,
                        data={"mark": timer.duty, "rule": timer.rule, "period": timer.period})
    if timer.kind == TimerKind.RETENTION:
        return "申报评审材料保存期满", timer.rule
    return f"标记 {timer.duty}", timer.rule


def _tell_held(engine: Engine, tid: int, why: str) -> None:
    """Record a `timer_held` event when the definition notifies on it (the office's group chat hears
    that a notice ended but the case waits); definitions that do not listen keep their history as it was."""
    from ..engine import SYSTEM

    try:
        with engine.db.session() as s:
            timer = s.get(TimerRow, tid)
            case = s.get(CaseRow, timer.case_id) if timer is not None else None
            if timer is None or case is None or "timer_held" not in engine.spec_of(case).on_events:
                return
            engine.record_event(s, case, kind="timer_held", actor=SYSTEM, comment=why[:1000],
                         data={"timer": tid, "trigger": timer.trigger, "rule": timer.rule,
                               "due_at": utc(timer.due_at).isoformat()})
    except ConflictError:
        _LOGGER.info("timer %s held; a concurrent step changed the case first, no held event", tid)
    engine.after_commit()


def _set_status(engine: Engine, tid: int, status: str, note: str) -> None:
    with engine.db.session() as s:
        s.execute(update(TimerRow).where(col(TimerRow.id) == tid).values(status=status, note=note[:2000])
                  .execution_options(synchronize_session=False))
