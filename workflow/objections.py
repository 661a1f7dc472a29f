"""Objections during a public notice (real name, reason, evidence) and their resolution.

An objection is accepted only while a notice runs; it holds the case (the
notice's timer is held by its `no_open_objection` guard). Dismissed: the
case moves on once the notice has run its full length. Upheld: the
definition's `objection_upheld` trigger is fired in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from .attachments import record, store_all
from .errors import InvalidInput, RecordLookupError, Refused
from .inputs import MAX_NAME_CHARS, free_text, single_line
from .kinds import LIVE_TIMERS, EventKind, ObjectionStatus, TimerKind
from .registers.staff import authorize
from .specs.model import ProcessSpec
from .store import CaseRow, ObjectionRow, TimerRow, utc
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["file_objection", "resolve_objection"]


def _objection_rule(spec: ProcessSpec) -> str | None:
    """The rule objections cite: that of the trigger fired when one is upheld (SHA-32, SQI-17, ...)."""
    for state in spec.states:
        transition = spec.transition(state.objection_upheld, state.name) if state.objection_upheld else None
        if transition is not None and transition.rule:
            return transition.rule
    return None


def file_objection(engine: Engine, ref: str, *, by: str, contact: str, reason: str, evidence: Sequence[Path],
                   actor: Actor) -> int:
    """Record an objection against a case whose public notice is running; it holds the case."""
    if by.strip():
        by = single_line(by, "异议人（--by）")
    if contact.strip():
        contact = single_line(contact, "联系方式（--contact）", max_chars=MAX_NAME_CHARS)
    reason = free_text(reason, "异议理由（--reason）")
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        authorize(actor, spec, "objections", "登记异议")
        rule = _objection_rule(spec)
        if not by.strip() or not contact.strip():
            raise InvalidInput("异议须实名提出：请用 --by 写明姓名或单位，--contact 写明联系方式", rule=rule)
        if not reason.strip():
            raise InvalidInput("异议须写明理由（--reason）", rule=rule)
        stored = store_all(engine, evidence)
        files = [f.as_json() for f in stored]
        state = spec.state(row.state)
        now = engine.clock()
        running = s.exec(select(TimerRow).where(TimerRow.case_id == row.id, TimerRow.kind == TimerKind.TRANSITION,
                                                col(TimerRow.status).in_(LIVE_TIMERS))).all()
        if not state.notice or not any(utc(t.due_at) > now for t in running):
            raise Refused(f"{row.ref} 当前不在公示期内（{spec.label_of(row.state)}），不能受理异议",
                          [Verdict(passed=False, guard="notice", rule=rule or "",
                                   reason="异议只能在公示期内提出")])
        objection = ObjectionRow(case_id=row.id or 0, state=row.state, filed_by=by.strip(), contact=contact.strip(),
                                 reason=reason.strip(), evidence=files, filed_at=now)
        s.add(objection)
        s.flush()
        row.held = True
        s.add(row)
        event = engine.record_event(s, row, kind=EventKind.OBJECTION_FILED, actor=actor, comment=reason.strip(),
                                    data={"objection": objection.id, "by": by.strip(), "evidence": files})
        record(s, row, stored, purpose="evidence", seq=event.seq, actor=actor, now=now)
        assert objection.id is not None
        oid = objection.id
    return oid


def resolve_objection(engine: Engine, objection_id: int, *, uphold: bool, reason: str, actor: Actor) -> str:
    """Dismiss or uphold an objection; an upheld one fires the notice's `objection_upheld` trigger."""
    reason = free_text(reason, "处理理由（--reason）")
    with engine.db.session() as s:
        found = s.get(ObjectionRow, objection_id)
        if found is None:
            raise RecordLookupError(f"异议 #{objection_id}")
        case = s.get(CaseRow, found.case_id)
        assert case is not None
        ref = case.ref
        authorize(actor, engine.spec_of(case), "objections", f"处理异议 #{objection_id}")
        rule = _objection_rule(engine.spec_of(case))
    if not reason.strip():
        raise InvalidInput("处理异议须写明理由（--reason）", rule=rule)
    with engine.transaction(ref) as s:
        objection = s.get(ObjectionRow, objection_id)
        assert objection is not None
        if objection.status != ObjectionStatus.OPEN:
            raise InvalidInput(f"异议 #{objection_id} 已处理（{objection.status}）")
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
        objection.resolution, objection.resolved_by, objection.resolved_at = reason.strip(), actor.name, engine.clock()
        s.add(objection)
        s.flush()
        others = s.exec(select(ObjectionRow).where(ObjectionRow.case_id == row.id,
                                                   ObjectionRow.status == ObjectionStatus.OPEN)).all()
        row.held = bool(others)
        s.add(row)
        engine.record_event(s, row, kind=EventKind.OBJECTION_RESOLVED, actor=actor, comment=reason.strip(),
                            data={"objection": objection_id, "outcome": objection.status})
        outcome = "异议不成立，公示期满后案件继续办理"
        if uphold:
            trigger = spec.state(objection.state).objection_upheld if objection.state in spec.state_map else None
            if trigger and row.state == objection.state:
                result = engine.advance_in(s, row.ref, trigger, actor=actor, comment=reason.strip(),
                                           extra={"objection": objection_id})
                outcome = f"异议成立：{result.source_label} → {result.dest_label}"
            else:
                outcome = "异议成立（案件已不在该公示状态，请按规定处理）"
    return outcome

