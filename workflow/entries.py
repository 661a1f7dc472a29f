"""Things recorded on a case while it is in a state, each with its date and content, and their answers.

A definition declares them under `entries:` (WHI-4.4: the organisation's self-evaluation during the
cycle, its requests for help to the local one-stop service station and the station's answer). Each
entry is one history event (`entry_recorded`), each answer another (`entry_answered`, pointing at
the entry's event number); the list is derived from the history, so nothing is kept twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from .errors import InvalidInput, RecordLookupError, Refused
from .inputs import free_text
from .kinds import EventKind
from .specs.model import EntrySpec, ProcessSpec
from .store import EventRow, utc
from .timing.clock import cn_date, local_date
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["add_entry", "answer_entry", "entries_of", "list_entries"]


def _entry_spec(spec: ProcessSpec, kind: str) -> tuple[str, EntrySpec]:
    """The declared entry by id or Chinese label."""
    for name, entry in spec.entries.items():
        if kind in (name, entry.label):
            return name, entry
    known = "、".join(f"{k}（{e.label}）" for k, e in spec.entries.items()) or "（无）"
    raise InvalidInput(f"流程“{spec.title}”没有记录事项“{kind}”；可记录：{known}")


def _day(on: date | None, today: date, what: str) -> date:
    day = on or today
    if day > today:
        raise InvalidInput(f"{what}的日期 {cn_date(day)} 晚于今天（{cn_date(today)}）")
    return day


def add_entry(engine: Engine, ref: str, kind: str, *, text: str, on: date | None, actor: Actor) -> int:
    """Record an entry (its date and content) on a case in one of the entry's states; returns its number."""
    content = free_text(text, "内容（--text）").strip()
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        name, entry = _entry_spec(spec, kind)
        engine.require_role(spec, actor, entry.roles, f"登记“{entry.label}”", entry.rule)
        if row.state not in entry.states:
            where = "、".join(spec.label_of(st) for st in entry.states)
            raise Refused(f"{row.ref} 当前为“{spec.label_of(row.state)}”，不能登记“{entry.label}”",
                          [Verdict(passed=False, guard="state", rule=entry.rule,
                                   reason=f"“{entry.label}”只在{where}期间登记")])
        if not content:
            raise InvalidInput(f"“{entry.label}”须写明内容（--text）", rule=entry.rule)
        day = _day(on, local_date(engine.clock()), entry.label)
        event = engine.record_event(s, row, kind=EventKind.ENTRY_RECORDED, actor=actor, comment=content,
                                    data={"entry": name, "on": day.isoformat(), "rule": entry.rule})
        return event.seq


def answer_entry(engine: Engine, ref: str, number: int, *, text: str, on: date | None, actor: Actor) -> str:
    """Record the answer to an entry (the station's response to a request for help)."""
    content = free_text(text, "答复内容（--text）").strip()
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        events = s.exec(select(EventRow).where(EventRow.case_id == row.id,
                                               col(EventRow.kind).in_([EventKind.ENTRY_RECORDED,
                                                                       EventKind.ENTRY_ANSWERED]))).all()
        asked = next((e for e in events if e.seq == number and e.kind == EventKind.ENTRY_RECORDED), None)
        if asked is None or asked.data.get("entry") not in spec.entries:
            raise RecordLookupError(f"{row.ref} 的记录事项 #{number}")
        entry = spec.entries[asked.data["entry"]]
        if entry.answer is None:
            raise InvalidInput(f"“{entry.label}”无需答复")
        engine.require_role(spec, actor, entry.answer.roles, f"登记“{entry.answer.label}”", entry.rule)
        if any(e.kind == EventKind.ENTRY_ANSWERED and e.data.get("answers") == number for e in events):
            raise InvalidInput(f"{row.ref} 的记录事项 #{number} 已答复；补充说明请另行登记")
        if not content:
            raise InvalidInput(f"“{entry.answer.label}”须写明内容（--text）", rule=entry.rule)
        day = _day(on, local_date(engine.clock()), entry.answer.label)
        engine.record_event(s, row, kind=EventKind.ENTRY_ANSWERED, actor=actor, comment=content,
                            data={"entry": asked.data["entry"], "answers": number, "on": day.isoformat(),
                                  "rule": entry.rule})
        return f"已登记 {row.ref} 记录事项 #{number}（{entry.label}）的{entry.answer.label}"


def entries_of(spec: ProcessSpec, events: Iterable[EventRow]) -> list[dict[str, Any]]:
    """The entries of a case, oldest first, each with its answer (None while unanswered)."""
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        name = e.data.get("entry")
        entry = spec.entries.get(str(name))
        if entry is None:
            continue
        if e.kind == EventKind.ENTRY_RECORDED:
            out[e.seq] = {"number": e.seq, "entry": name, "label": entry.label, "rule": entry.rule,
                          "on": e.data.get("on"), "text": e.comment, "by": e.actor,
                          "recorded_at": utc(e.business_time).isoformat(),
                          "answer_label": entry.answer.label if entry.answer else None, "answer": None}
        elif e.kind == EventKind.ENTRY_ANSWERED and e.data.get("answers") in out:
            out[e.data["answers"]]["answer"] = {"on": e.data.get("on"), "text": e.comment, "by": e.actor,
                                                "recorded_at": utc(e.business_time).isoformat()}
    return list(out.values())


def list_entries(engine: Engine, ref: str) -> list[dict[str, Any]]:
    """The entries recorded on a case (derived from its history)."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        spec = engine.catalog.get(row.procedure, row.definition_version)
        events = s.exec(select(EventRow).where(EventRow.case_id == row.id,
                                               col(EventRow.kind).in_([EventKind.ENTRY_RECORDED,
                                                                       EventKind.ENTRY_ANSWERED]))
                        .order_by(col(EventRow.seq))).all()
        return entries_of(spec, events)
