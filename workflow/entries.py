"""Things recorded on a case while it is in a state, each with its date, content and files, and their answers.

A definition declares them under `entries:`: WHI-4.4's self-evaluations and requests for help to the
local one-stop service station (answered by the station), SHA-22's written consultations of other
departments (addressed to a department, with the letter, answered by its reply). Each entry is one
history event (`entry_recorded`), each answer another (`entry_answered`, pointing at the entry's event
number), with the files given kept by `attachments.py`; the list is derived from the history, so
nothing is kept twice. A transition that must wait for every answer names the entry in the
`no_open_entry` guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from .attachments import record, store_all
from .errors import InvalidInput, RecordLookupError, Refused
from .facts import CaseFacts, NoteFacts
from .guards import GUARDS, Params
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

__all__ = ["add_entry", "answer_entry", "entries_of", "list_entries"]

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
            raise InvalidInput(f"{row.ref} 的记录事项 #{number} 已答复（{_cn(asked['answer']['on'])}）；"
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


def _names(files: Any) -> list[str]:
    return [str(f.get("file", "")) if isinstance(f, dict) else str(f) for f in files or []]


def entries_of(spec: ProcessSpec, notes: Iterable[NoteFacts]) -> list[dict[str, Any]]:
    """The entries of a case, oldest first, each with its answer (None while unanswered)."""
    out: dict[int, dict[str, Any]] = {}
    for e in notes:
        name = e.data.get("entry")
        entry = spec.entries.get(str(name))
        if entry is None:
            continue
        if e.kind == EventKind.ENTRY_RECORDED:
            out[e.seq] = {"number": e.seq, "entry": name, "label": entry.label, "rule": entry.rule,
                          "on": e.data.get("on"), "text": e.comment, "by": e.actor,
                          "to": e.data.get("to"), "to_label": entry.to.label if entry.to else None,
                          "files": _names(e.data.get("files")), "recorded_at": e.at.isoformat(),
                          "answer_label": entry.answer.label if entry.answer else None, "answer": None,
                          "open": entry.answer is not None}
        elif e.kind == EventKind.ENTRY_ANSWERED and e.data.get("answers") in out:
            asked = out[e.data["answers"]]
            asked["answer"] = {"on": e.data.get("on"), "text": e.comment, "by": e.actor,
                               "files": _names(e.data.get("files")), "recorded_at": e.at.isoformat()}
            asked["open"] = False
    return list(out.values())


def list_entries(engine: Engine, ref: str) -> list[dict[str, Any]]:
    """The entries recorded on a case (derived from its history)."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        spec = engine.catalog.get(row.procedure, row.definition_version)
        return entries_of(spec, _notes(s, row))


def _cn(iso: Any) -> str:
    try:
        return cn_date(date.fromisoformat(str(iso)))
    except ValueError:
        return str(iso)


# ------------------------------------------------------------------------------------------ guard


class NoOpenEntry(Params):
    """`entry`: the name of an entry of the definition (`entries:`) that has an `answer`."""

    entry: str


@GUARDS.register("no_open_entry", NoOpenEntry)
def no_open_entry(facts: CaseFacts, p: NoOpenEntry) -> tuple[bool, str]:
    """Every entry of this kind has its answer recorded (a decision waits for the departments' replies)."""
    entry = facts.spec.entries.get(p.entry)
    if entry is None or entry.answer is None:
        return False, f"流程未定义需答复的记录事项 {p.entry!r}"
    asked = [e for e in entries_of(facts.spec, facts.notes) if e["entry"] == p.entry]
    waiting = [e for e in asked if e["open"]]
    answer = entry.answer.label
    if not waiting:
        return True, f"“{entry.label}”{len(asked)}件，均已收到{answer}" if asked else f"未登记“{entry.label}”"
    listed = "；".join(f"#{e['number']}（" + (f"{e['to_label']}：{e['to']}，" if e["to"] else "")
                      + f"{_cn(e['on'])}）" for e in waiting)
    return False, (f"尚有{len(waiting)}件“{entry.label}”未收到{answer}：{listed}；收到{answer}后用 "
                   f"award entry answer {facts.ref} 编号 --on 日期 --text 内容 记录")
