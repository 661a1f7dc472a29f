"""What a case's history records, derived for views: its entries with their answers (`entries:`), and
its checklist findings (`checklists:`).

Pure functions of the definition and the case's recorded events, with no guard, pydantic or database
imported, so that the plain read path (`plainread.py`) derives what `award show` prints as the engine
does. The guards that read the same records are in `entries.py` and `casework.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .facts import NoteFacts, matches
from .kinds import EventKind
from .labels import FINDINGS
from .timing.clock import cn_date

if TYPE_CHECKING:
    from .specs.readspec import SpecLabels

__all__ = ["Finding", "applicable_items", "case_records", "checklist_for", "cn_day", "entries_of", "findings"]


def _names(files: Any) -> list[str]:
    return [str(f.get("file", "")) if isinstance(f, dict) else str(f) for f in files or []]


def entries_of(spec: SpecLabels, notes: Iterable[NoteFacts]) -> list[dict[str, Any]]:
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


def cn_day(iso: Any) -> str:
    """An ISO date as people read it (2026年3月12日); anything else as it is."""
    try:
        return cn_date(date.fromisoformat(str(iso)))
    except ValueError:
        return str(iso)


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One checklist item as it applies to the case, with the latest finding recorded (None: not yet)."""

    checklist: str
    item: str
    label: str
    rule: str
    finding: str | None = None
    note: str | None = None
    by: str | None = None
    at: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"checklist": self.checklist, "item": self.item, "label": self.label, "rule": self.rule,
                "finding": self.finding, "finding_label": FINDINGS.get(self.finding or "", "未核查"),
                "note": self.note, "by": self.by, "at": self.at}


def applicable_items(spec: SpecLabels, checklist: str, data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The items of a checklist that apply to a case with this form (its track's fields), in order."""
    cl = spec.checklists[checklist]
    return [(name, item) for name, item in cl.items.items() if matches(data, item.when)]


def findings(spec: SpecLabels, checklist: str, data: Mapping[str, Any], notes: Iterable[NoteFacts]) -> list[Finding]:
    """Each applicable item with the latest finding recorded for it (a later finding replaces an earlier one)."""
    latest: dict[str, NoteFacts] = {}
    for n in notes:
        if n.kind == EventKind.CHECKLIST_FINDING and n.data.get("checklist") == checklist:
            latest[str(n.data.get("item"))] = n
    out = []
    for name, item in applicable_items(spec, checklist, data):
        found = latest.get(name)
        out.append(Finding(checklist=checklist, item=name, label=item.label, rule=item.rule,
                           finding=str(found.data.get("finding")) if found else None,
                           note=found.comment if found else None, by=found.actor if found else None,
                           at=found.at.isoformat() if found else None))
    return out


def checklist_for(spec: SpecLabels, state: str) -> str | None:
    """The checklist recorded in `state` (the first that names it), if any."""
    return next((name for name, cl in spec.checklists.items() if state in cl.states), None)


def case_records(spec: SpecLabels, data: Mapping[str, Any], notes: Sequence[NoteFacts]) -> tuple[dict[str, Any], ...]:
    """The checklist findings of a case as JSON-ready dicts, for `award show`."""
    return tuple(f.as_json() for name in spec.checklists for f in findings(spec, name, data, notes))
