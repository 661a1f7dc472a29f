"""Recording entries and their answers on a case (`entries:` of a definition; what they mean: `entries.py`).

Each entry and each answer is one history event appended in its own transaction with the files given
with it, by a member holding a role the definition names, in a state the definition allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from .attachments import record, store_all
from .entries import cn_day, entries_of
from .errors import InvalidInput, RecordLookupError, Refused
from .facts import NoteFacts
from .inputs import free_text, single_line
from .kinds import EventKind
from .specs.model import EntrySpec, ProcessSpec
from .store import CaseRow, EventRow, utc
from .timing.clock import cn_date, local_date
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from sqlmodel import Session

    from .engine import Engine

__all__ = ["add_entry", "answer_entry", "list_entries"]

_KINDS = (EventKind.ENTRY_RECORDED, EventKind.ENTRY_ANSWERED)


def _entry_spec(spec: ProcessSpec, kind: str) -> tuple[str, EntrySpec]:
    """The declared entry by id or Chinese label."""
    for name, entry in spec.entries.items():
        if kind in (name, entry.label):
            return name, entry
    known = "、".join(f"{k}（{e.label}）" for k, e in spec.entries.items()) or "（无）"
    raise InvalidInput(f"流程“{spec.title}”没有记录事项“{kind}”；可记录：{known}")


def _day(on: date | None, today: date, what: str, *, not_before: date | None = None, since: str = "") -> date:
    day = on or today
    if day > today:
        raise InvalidInput(f"{what}的日期 {cn_date(day)} 晚于今天（{cn_date(today)}）：请写实际日期")
    if not_before is not None and day < not_before:
        raise InvalidInput(f"{what}的日期 {cn_date(day)} 早于{since}的日期 {cn_date(not_before)}")
    return day


def _in_states(spec: ProcessSpec, row: CaseRow, entry: EntrySpec, what: str) -> None:
    if row.state not in entry.states:
        where = "、".join(spec.label_of(st) for st in entry.states)
        raise Refused(f"{row.ref} 当前为“{spec.label_of(row.state)}”，不能登记“{what}”",
                      [Verdict(passed=False, guard="state", rule=entry.rule, reason=f"“{what}”只在{where}期间登记")])


def _notes(s: Session, row: CaseRow) -> list[NoteFacts]:
    events = s.exec(select(EventRow).where(EventRow.case_id == row.id, col(EventRow.kind).in_(_KINDS))
                    .order_by(col(EventRow.seq))).all()
    return [NoteFacts(seq=e.seq, kind=e.kind, actor=e.actor, at=utc(e.business_time), data=dict(e.data),
                      comment=e.comment) for e in events]


def add_entry(engine: Engine, ref: str, kind: str, *, text: str, on: date | None, actor: Actor,
              to: str | None = None, files: Sequence[Path] = ()) -> int:
    """Record an entry (its date, content, addressee and files) on a case in one of the entry's states;
    returns its number (the history event's)."""
    content = free_text(text, "内容（--text）").strip()
    addressee = single_line(to, "对象（--to）") if to is not None and to.strip() else None
    stored = store_all(engine, files)
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        name, entry = _entry_spec(spec, kind)
        engine.require_role(spec, actor, entry.roles, f"登记“{entry.label}”", entry.rule)
        _in_states(spec, row, entry, entry.label)
        if entry.to is not None and addressee is None:
            raise InvalidInput(f"“{entry.label}”须用 --to 写明{entry.to.label}", rule=entry.rule)
        if entry.to is None and addressee is not None:
            raise InvalidInput(f"“{entry.label}”没有登记对象，不用 --to")
        if entry.text_required and not content:
            raise InvalidInput(f"“{entry.label}”须写明内容（--text）", rule=entry.rule)
        day = _day(on, local_date(engine.clock()), entry.label)
        data: dict[str, Any] = {"entry": name, "on": day.isoformat(), "rule": entry.rule}
        if addressee is not None:
            data["to"] = addressee
        if stored:
            data["files"] = [f.as_json() for f in stored]
        event = engine.record_event(s, row, kind=EventKind.ENTRY_RECORDED, actor=actor, comment=content or None,
                                    data=data)
        record(s, row, stored, purpose="entry", seq=event.seq, actor=actor, now=engine.clock())
        return event.seq


def answer_entry(engine: Engine, ref: str, number: int, *, text: str, on: date | None, actor: Actor,
                 files: Sequence[Path] = ()) -> str:
    """Record the answer to an entry (the station's response to a request for help, a department's reply)."""
    content = free_text(text, "答复内容（--text）").strip()
    stored = store_all(engine, files)
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        found = {e["number"]: e for e in entries_of(spec, _notes(s, row))}
        if number not in found:
            raise RecordLookupError(f"{row.ref} 的记录事项 #{number}")
        asked = found[number]
        entry = spec.entries[asked["entry"]]
        if entry.answer is None:
            raise InvalidInput(f"“{entry.label}”无需答复")
        engine.require_role(spec, actor, entry.answer.roles, f"登记“{entry.answer.label}”", entry.rule)
        if not entry.answer.any_state:
            _in_states(spec, row, entry, entry.answer.label)
        if asked["answer"] is not None:
            raise InvalidInput(f"{row.ref} 的记录事项 #{number} 已答复（{cn_day(asked['answer']['on'])}）；"
                               "补充说明请另行登记")
        if not content:
            raise InvalidInput(f"“{entry.answer.label}”须写明内容（--text）", rule=entry.rule)
        day = _day(on, local_date(engine.clock()), entry.answer.label, not_before=date.fromisoformat(asked["on"]),
                   since=f"#{number}“{entry.label}”")
        data: dict[str, Any] = {"entry": asked["entry"], "answers": number, "on": day.isoformat(), "rule": entry.rule}
        if stored:
            data["files"] = [f.as_json() for f in stored]
        event = engine.record_event(s, row, kind=EventKind.ENTRY_ANSWERED, actor=actor, comment=content, data=data)
        record(s, row, stored, purpose="entry", seq=event.seq, actor=actor, now=engine.clock())
        whom = f"，{asked['to']}" if asked["to"] else ""
        return f"已登记 {row.ref} 记录事项 #{number}（{entry.label}{whom}）的{entry.answer.label}"


def list_entries(engine: Engine, ref: str) -> list[dict[str, Any]]:
    """The entries recorded on a case (derived from its history)."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        spec = engine.catalog.get(row.procedure, row.definition_version)
        return entries_of(spec, _notes(s, row))


