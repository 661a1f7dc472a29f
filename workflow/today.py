"""What needs doing today, for the acting person's roles: `award today`.

One read across the office's data: deadlines ending in the next N working days, timers held and
why, notifications that failed, objections still open, yearly reports overdue, and the cases
waiting for a step the person's roles may take. The office (the roles that may correct cases)
sees everything; another role sees what concerns the cases waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from .finder import working_days_ahead
from .labels import timer_label
from .store import CaseRow, ObjectionRow, OutboxRow, PartyRow, TimerRow, utc

if TYPE_CHECKING:
    from .engine import Engine
    from .views import Actor

__all__ = ["Today", "today"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Today:
    """The clerk's day; each list holds plain dicts ready for a table or JSON.

    Attributes:
        until: the end of the window (the N-th working day from now).
        deadlines: timers due before `until` (notices ending, deadlines, reports due).
        held: timers held by a guard, with the reason.
        failed_notifications: outbox rows that could not be delivered.
        objections: objections still open.
        overdue_reports: yearly duties past due without a report.
        waiting: open cases with a step the actor's roles may take now.
    """

    actor: str
    roles: tuple[str, ...]
    now: datetime
    days: int
    until: datetime
    deadlines: tuple[dict[str, Any], ...]
    held: tuple[dict[str, Any], ...]
    failed_notifications: tuple[dict[str, Any], ...]
    objections: tuple[dict[str, Any], ...]
    overdue_reports: tuple[dict[str, Any], ...]
    waiting: tuple[dict[str, Any], ...]
    note: str | None = None


def today(engine: Engine, actor: Actor, *, days: int = 5) -> Today:
    """Everything needing attention within `days` working days, for `actor`'s roles."""
    from .errors import CalendarYearUnknown

    now = engine.clock()
    note = None
    try:
        until = working_days_ahead(engine, days)
    except CalendarYearUnknown as exc:  # late December: the next year's arrangement is not out yet
        until = now + timedelta(days=(days * 7 + 4) // 5)
        note = (f"今后 {days} 个工作日暂按 {(days * 7 + 4) // 5} 个自然日估算（{str(exc).split('。')[0]}；"
                "用 award calendar import 导入后即按工作日计算）")
    mine = set(actor.roles)
    with engine.db.session() as s:
        cases = {c.id: c for c in s.exec(select(CaseRow))}
        parties = {p.id: p.name for p in s.exec(select(PartyRow))}
        specs = {}
        for cid, c in cases.items():
            try:
                specs[cid] = engine.catalog.get(c.procedure, c.definition_version)
            except LookupError:
                continue
        def roles_in(spec: Any) -> set[str]:  # the actor's roles in this procedure or its issuer (role@scope grants)
            return set(actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)) | mine

        office_of = {cid: bool(roles_in(spec) & set(spec.correction_roles)) for cid, spec in specs.items()}
        waiting: list[dict[str, Any]] = []
        for cid, c in cases.items():
            spec = specs.get(cid)
            if spec is None or c.closed:
                continue
            # revoking an award is a response to events, never work waiting to be done
            human = [t for t in spec.transitions_from(c.state) if t.roles != ["system"]
                     and not any(e.get("effect") == "revoke_award" for e in t.effects)]
            forward = [t for t in human if not spec.state(t.dest).final]
            # a case waits for a role that can move it on; a step that only ends it (a withdrawal, open
            # almost everywhere) counts only where ending it is all that is left to decide
            steps = [t for t in (forward or human) if roles_in(spec) & set(t.roles)]
            if steps:
                waiting.append({"case": c.ref, "party": parties.get(c.party_id, ""), "state": c.state,
                                "state_label": spec.label_of(c.state), "since": utc(c.entered_at).isoformat(),
                                "triggers": [t.trigger for t in steps],
                                "trigger_labels": [t.label for t in steps]})
        waiting.sort(key=lambda w: str(w["since"]))
        concerned = {c["case"] for c in waiting}

        def visible(cid: int) -> bool:
            return office_of.get(cid, False) or cases[cid].ref in concerned

        def concerns(t: TimerRow) -> bool:  # a duty is also the business of whoever records it (SHA-38: the district)
            duty = specs[t.case_id].duty(t.duty) if t.duty and t.case_id in specs else None
            return visible(t.case_id) or bool(duty is not None and set(duty.roles) & roles_in(specs[t.case_id]))

        def timer(t: TimerRow) -> dict[str, Any]:
            c = cases[t.case_id]
            spec = specs.get(t.case_id)
            return {"id": t.id, "case": c.ref, "party": parties.get(c.party_id, ""), "kind": t.kind,
                    "what": timer_label(spec, t.state, t.kind, t.trigger, t.duty) if spec else (t.trigger or t.kind),
                    "state_label": spec.label_of(t.state) if spec else t.state, "due_at": utc(t.due_at).isoformat(),
                    "last_day": t.last_day.isoformat() if t.last_day else None, "rule": t.rule, "status": t.status,
                    "note": t.note}

        deadlines = [timer(t) for t in s.exec(
            select(TimerRow).where(col(TimerRow.status).in_(["pending", "held"]), col(TimerRow.due_at) <= until)
            .order_by(col(TimerRow.due_at))) if concerns(t)]
        held = [timer(t) for t in s.exec(select(TimerRow).where(TimerRow.status == "held")
                                         .order_by(col(TimerRow.due_at))) if visible(t.case_id)]
        overdue = [timer(t) for t in s.exec(select(TimerRow).where(TimerRow.status == "overdue")
                                            .order_by(col(TimerRow.due_at))) if concerns(t)]
        failed = [{"id": o.id, "case": cases[o.case_id].ref, "recipient": o.recipient, "subject": o.subject,
                   "error": o.last_error, "attempts": o.attempts}
                  for o in s.exec(select(OutboxRow).where(OutboxRow.status == "failed").order_by(col(OutboxRow.id)))
                  if office_of.get(o.case_id, False)]
        objections = [{"id": o.id, "case": cases[o.case_id].ref, "party": parties.get(cases[o.case_id].party_id, ""),
                       "filed_by": o.filed_by, "reason": o.reason, "filed_at": utc(o.filed_at).isoformat(),
                       "state_label": specs[o.case_id].label_of(o.state) if o.case_id in specs else o.state}
                      for o in s.exec(select(ObjectionRow).where(ObjectionRow.status == "open")
                                      .order_by(col(ObjectionRow.id)))
                      if office_of.get(o.case_id, False)]
    return Today(actor=actor.name, roles=tuple(actor.roles), now=now, days=days, until=until,
                 deadlines=tuple(deadlines), held=tuple(held), failed_notifications=tuple(failed),
                 objections=tuple(objections), overdue_reports=tuple(overdue), waiting=tuple(waiting), note=note)
