"""Things recorded on a case while it is in a state, each with its date, content and files, and their answers.

A definition declares them under `entries:`: WHI-4.4's self-evaluations and requests for help to the
local one-stop service station (answered by the station), SHA-22's written consultations of other
departments (addressed to a department, with the letter, answered by its reply). Each entry is one
history event (`entry_recorded`), each answer another (`entry_answered`, pointing at the entry's event
number), written by `entries_record.py` with the files given kept by `attachments.py`; the list here
is derived from the history, so nothing is kept twice. A transition that must wait for every answer
names the entry in the `no_open_entry` guard. Pure functions of the case's recorded events.
"""

from __future__ import annotations

from .caserecords import cn_day, entries_of
from .facts import CaseFacts
from .guards import GUARDS, Params

__all__ = ["cn_day", "entries_of"]  # caserecords.py derives them; kept here for callers


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
                      + f"{cn_day(e['on'])}）" for e in waiting)
    return False, (f"尚有{len(waiting)}件“{entry.label}”未收到{answer}：{listed}；收到{answer}后用 "
                   f"award entry answer {facts.ref} 编号 --on 日期 --text 内容 记录")
