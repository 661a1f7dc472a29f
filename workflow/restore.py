"""Corrections of a case's state, never erasures: a mistaken step is answered by a new event, history stays as it was.

`award case correct CASE --to STATE --reason ...` returns a case to a state it was in before. The
steps taken since that state was entered are undone by their consequences, not by deleting them:
their live timers are cancelled, their unsent notifications withdrawn (those already sent are named,
since mail cannot be recalled), an award they recorded is marked withdrawn and a revocation they
recorded lifted; then the restored state's timers are planned again. The correction is one history
event, hash-chained like every other, so `award verify` still passes and the history shows both the
mistake and its correction. A withdrawn or wrongly rejected case is reopened the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import col, select

from .errors import ConflictError, InvalidInput, Refused
from .logs import logger
from .names import resolve_state
from .store import CaseRow, EventRow, ObjectionRow, OutboxRow, PartyRecordRow, TimerRow, utc
from .timeline import check_forward
from .timing.clock import local_date
from .values import Verdict

if TYPE_CHECKING:
    from .engine import Engine
    from .views import Actor

__all__ = ["Correction", "correct"]

_LOGGER = logger(__name__)

ENTRY_KINDS = ("created", "transition", "correction")
LIVE_TIMERS = ("pending", "held")
UNSENT = ("pending", "failed")
"""Outbox statuses a correction may still withdraw; anything sent, spooled, printed, in flight or
uncertain is out of the office's hands and is named instead."""
OUT = ("sent", "spooled", "printed", "sending", "uncertain")


@dataclass(frozen=True, kw_only=True, slots=True)
class Correction:
    """What one correction did.

    Attributes:
        undone: the history events (seq, what) whose consequences were undone.
        cancelled_timers: (timer id, what) cancelled.
        withdrawn: (outbox id, recipient, subject) notifications not sent and now withdrawn.
        already_sent: (outbox id, recipient, subject) notifications that had gone out.
        records: what changed in the party's award records.
        planned: (timer id, what, due) timers planned for the restored state.
    """

    case_ref: str
    seq: int
    source: str
    source_label: str
    dest: str
    dest_label: str
    reason: str
    undone: tuple[tuple[int, str], ...]
    cancelled_timers: tuple[tuple[int, str], ...]
    withdrawn: tuple[tuple[int, str, str], ...]
    already_sent: tuple[tuple[int, str, str], ...]
    records: tuple[str, ...]
    planned: tuple[tuple[int, str, datetime], ...]
    restarted: bool


def correct(engine: Engine, ref: str, *, to: str, reason: str, actor: Actor, restart: bool = False,
            backdate: str | None = None) -> Correction:
    """Return a case to an earlier state, in one transaction; nothing in its history is edited or deleted.

    Args:
        to: the state to return to, by id or Chinese label; the case must have been in it before.
        restart: count the restored state's periods from now instead of from when it was first entered.
        backdate: the reason, when the correction is dated before the case's last event.

    Raises:
        InvalidInput: no reason (exit 2).
        NameLookupError: no such state (exit 4).
        Refused: the actor may not correct, or the case was never in that state (exit 3).
    """
    from .engine import _role
    from .readviews import event_view as _event_view
    from .timing.timers import plan

    if not reason.strip():
        raise InvalidInput("更正须用 --reason 写明理由（会记入案件历史）")
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        engine.require_role(spec, actor, spec.correction_roles, "更正案件")
        target = resolve_state(spec, to)
        events = list(s.exec(select(EventRow).where(EventRow.case_id == row.id).order_by(col(EventRow.seq))).all())
        entries = [e for e in events if e.kind in ENTRY_KINDS and e.dest is not None]
        current = next((e for e in reversed(entries) if e.dest == row.state), entries[-1])
        earlier = [e for e in entries if e.seq < current.seq and e.dest != row.state]
        back_to = next((e for e in reversed(earlier) if e.dest == target), None)
        if back_to is None:
            options = "、".join(dict.fromkeys(f"{spec.label_of(e.dest or '')}（{e.dest}）" for e in earlier)) or "无"
            raise Refused(f"{row.ref}：不能更正到“{spec.label_of(target)}”：本案此前未处于该状态"
                          f"（当前：{spec.label_of(row.state)}）；可退回的状态：{options}",
                          [Verdict(passed=False, guard="correction", rule="",
                                   reason="更正只能把案件退回到它曾经所处的状态")])
        now, wall = engine.clock(), engine.wall_clock()
        assert row.id is not None
        extra = check_forward(s, row.id, row.ref, now, backdate)
        undone_events = [e for e in events if e.seq > back_to.seq]
        undone_ids = [e.id for e in undone_events]
        labels = {t.trigger: t.label for t in spec.transitions}
        undone = tuple((e.seq, _what(spec, e, labels)) for e in undone_events)

        live = s.exec(select(TimerRow).where(TimerRow.case_id == row.id, col(TimerRow.entry_seq) > back_to.seq,
                                             col(TimerRow.status).in_(LIVE_TIMERS))).all()
        cancelled = tuple((t.id or 0, t.trigger or t.duty or t.kind) for t in live)
        outbox = s.exec(select(OutboxRow).where(col(OutboxRow.event_id).in_(undone_ids))
                        .order_by(col(OutboxRow.id))).all() if undone_ids else []
        withdrawn = tuple((o.id or 0, o.recipient, o.subject) for o in outbox if o.status in UNSENT)
        sent = tuple((o.id or 0, o.recipient, o.subject) for o in outbox if o.status in OUT)
        records = _undo_effects(s, spec, row, undone_events, reason, local_date(now))

        old_version = row.version
        objections_open = bool(s.exec(select(ObjectionRow.id).where(
            ObjectionRow.case_id == row.id, ObjectionRow.status == "open")).first())
        basis = now if restart else utc(back_to.business_time)
        result = s.execute(
            update(CaseRow).where(col(CaseRow.id) == row.id, col(CaseRow.version) == old_version)
            .values(state=target, version=old_version + 1, closed=spec.state(target).final, held=objections_open,
                    entered_at=basis, updated_at=now).execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(row.ref)
        s.refresh(row)
        source = current.dest or ""
        event = engine.append_event(
            s, row, kind="correction", trigger=None, source=source, dest=target, actor=actor,
            role=_role(spec, actor, spec.correction_roles), now=now, wall=wall, comment=reason.strip(),
            data={"v": 1, "reason": reason.strip(), "back_to": back_to.seq, "undone": [seq for seq, _ in undone],
                  "cancelled_timers": [tid for tid, _ in cancelled], "notifications_withdrawn": [oid for oid, _, _ in withdrawn],
                  "already_sent": [oid for oid, _, _ in sent], "records": list(records), "restart": restart,
                  **extra})
        for t in live:
            t.status, t.note = "cancelled", f"更正（第{event.seq}条）：{reason.strip()}"[:2000]
            s.add(t)
        for o in outbox:
            if o.status in UNSENT:
                o.status, o.last_error = "cancelled", f"更正（第{event.seq}条）撤回，未发出"
                s.add(o)
        facts = engine.facts_at(s, spec, row)
        entry = EventRow(case_id=row.id, seq=event.seq, kind="correction", actor=actor.name, business_time=basis,
                         wall_time=wall, data={}, prev_hash="", hash="")
        new_timers = plan(s, engine, row, entry, spec.state(target), spec, facts) if engine.calendar is not None else []
        engine.run_hooks(s, row, event, spec, facts, None, new_timers)
        s.flush()
        planned = tuple((t.id or 0, t.trigger or t.duty or t.kind, utc(t.due_at)) for t in s.exec(
            select(TimerRow).where(TimerRow.case_id == row.id, TimerRow.entry_seq == event.seq)
            .order_by(col(TimerRow.due_at))).all())
        view = _event_view(spec, event)
    return Correction(case_ref=row.ref, seq=view.seq, source=source, source_label=spec.label_of(source),
                      dest=target, dest_label=spec.label_of(target), reason=reason.strip(), undone=undone,
                      cancelled_timers=cancelled, withdrawn=withdrawn, already_sent=sent, records=records,
                      planned=planned, restarted=restart)


def _what(spec: Any, e: EventRow, labels: dict[str, str]) -> str:
    if e.kind == "transition" and e.trigger:
        return f"{labels.get(e.trigger, e.trigger)}（{spec.label_of(e.source or '')} → {spec.label_of(e.dest or '')}）"
    if e.kind == "correction":
        return f"更正（→ {spec.label_of(e.dest or '')}）"
    from .labels import event_kind

    return event_kind(e.kind)


def _undo_effects(s: Any, spec: Any, row: CaseRow, undone: list[EventRow], reason: str, today: Any) -> tuple[str, ...]:
    """Withdraw an award recorded, lift a revocation recorded, by the undone steps (the party's records)."""
    effects: set[str] = set()
    for e in undone:
        if e.kind == "transition" and e.trigger:
            t = spec.transition(e.trigger, e.source or "")
            if t is not None:
                effects |= {eff["effect"] for eff in t.effects}
    out: list[str] = []
    records = s.exec(select(PartyRecordRow).where(PartyRecordRow.case_id == row.id)).all()
    if "revoke_award" in effects:
        for r in records:
            if r.revoked_on is not None:
                r.revoked_on, r.bar_until, r.reason, r.rule = None, None, None, None
                s.add(r)
                out.append(f"撤销“{r.label}”的决定已取消，禁止申报期随之取消")
    if "record_award" in effects:
        for r in records:
            if r.revoked_on is None and r.source == "case":
                r.revoked_on, r.reason = today, f"更正：授奖记录撤回（{reason.strip()}）"
                s.add(r)
                out.append(f"“{r.label}”的授奖记录已标为撤回（不设禁止申报期）")
    return tuple(out)
