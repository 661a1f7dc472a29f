"""Recording the reviewer's finding on each checklist item (SHA-16/17, SQI-5/6).

Each finding is one history event appended in its own transaction, by a member holding a role the
definition names, in a state the definition allows; what they mean is derived in `casework.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .casework import applicable_items, checklist_for, findings
from .errors import InvalidInput, Refused
from .inputs import free_text
from .kinds import EventKind
from .specs.casework import FINDINGS
from .specs.model import ProcessSpec
from .store import CaseRow
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["record_findings", "show_checklist"]


def _finding(text: str) -> str:
    word = text.strip()
    by_word = {v: k for k, v in FINDINGS.items()}
    if word in FINDINGS:
        return word
    if word in by_word:
        return by_word[word]
    raise InvalidInput(f"核查意见须为 符合、不符合 或 待补充，收到 {word[:20]!r}")


def record_findings(engine: Engine, ref: str, items: list[str], *, finding: str, note: str, actor: Actor,
                    every: bool = False) -> str:
    """Record the reviewer's finding on checklist items (by id or number; `every`: all applicable items)."""
    code = _finding(finding)
    note = free_text(note, "核查说明（--note）").strip()
    if code != "met" and not note:
        raise InvalidInput(f"核查意见为“{FINDINGS[code]}”时须用 --note 写明理由或需补充的内容")
    if not items and not every:
        raise InvalidInput("请写明核查项目（编号或序号，见 award checklist show），或用 --all 记录全部项目")
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        name = checklist_for(spec, row.state)
        if name is None:
            where = "、".join(f"{cl.label}（{'、'.join(spec.label_of(x) for x in cl.states)}）"
                             for cl in spec.checklists.values()) or "本流程没有核查表"
            rule = next((cl.rule for cl in spec.checklists.values()), "AWD-5")
            raise Refused(f"{row.ref} 当前为“{spec.label_of(row.state)}”，没有可记录的核查表",
                          [Verdict(passed=False, guard="state", rule=rule, reason=f"核查意见只在：{where}")])
        cl = spec.checklists[name]
        engine.require_role(spec, actor, cl.roles, f"记录“{cl.label}”的核查意见", cl.rule)
        applicable = applicable_items(spec, name, to_form(spec, row))
        chosen = [n for n, _ in applicable] if every else [_item(spec, name, applicable, i) for i in items]
        for item in dict.fromkeys(chosen):
            engine.record_event(s, row, kind=EventKind.CHECKLIST_FINDING, actor=actor, comment=note or None,
                                data={"checklist": name, "item": item, "finding": code,
                                      "rule": spec.checklists[name].items[item].rule})
    return f"已记录{len(dict.fromkeys(chosen))}项核查意见：{FINDINGS[code]}"


def to_form(spec: ProcessSpec, row: CaseRow) -> dict[str, Any]:
    from .specs.fields import to_python

    return to_python(spec.fields, dict(row.data))


def _item(spec: ProcessSpec, checklist: str, applicable: list[tuple[str, Any]], text: str) -> str:
    key = text.strip()
    names = [n for n, _ in applicable]
    if key.isascii() and key.isdigit() and 1 <= int(key) <= len(names):
        return names[int(key) - 1]
    if key in names:
        return key
    by_label = [n for n, item in applicable if key and key in item.label]
    if len(by_label) == 1:
        return by_label[0]
    listed = "；".join(f"{i}. {n}（{item.label}）" for i, (n, item) in enumerate(applicable, start=1))
    raise InvalidInput(f"“{spec.checklists[checklist].label}”没有适用于本案的项目 {key[:40]!r}；可选：{listed}")


def show_checklist(engine: Engine, ref: str) -> dict[str, Any]:
    """Every checklist of the case's procedure with each applicable item and its latest finding."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        notes = engine.case_facts(s, row).notes
        form = to_form(spec, row)
        return {"case": row.ref, "checklists": [
            {"checklist": name, "label": cl.label, "rule": cl.rule,
             "items": [f.as_json() for f in findings(spec, name, form, notes)]}
            for name, cl in spec.checklists.items()]}
