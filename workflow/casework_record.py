"""Recording the review's own work on a case: written consultations of other departments (SHA-22) and the
reviewer's finding on each checklist item (SHA-16/17, SQI-5/6).

Each record is one history event appended in its own transaction (with the files it names), by a
member holding a role the definition names, in a state the definition allows; what they mean is
derived in `casework.py`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .attachments import record, store_all
from .casework import applicable_items, checklist_for, consultations, findings
from .errors import InvalidInput, RecordLookupError, Refused
from .inputs import free_text, single_line
from .kinds import EventKind
from .specs.casework import FINDINGS
from .specs.model import ProcessSpec
from .store import CaseRow
from .timing.clock import cn_date, local_date
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from sqlmodel import Session

    from .engine import Engine

__all__ = ["consult_answer", "consult_ask", "list_consultations", "record_findings", "show_checklist"]


def _in_state(spec: ProcessSpec, row: CaseRow, states: list[str], rule: str, what: str) -> None:
    if row.state not in states:
        where = "、".join(spec.label_of(s) for s in states)
        raise Refused(f"{row.ref} 当前为“{spec.label_of(row.state)}”，不能{what}；只能在：{where}",
                      [Verdict(passed=False, guard="state", rule=rule, reason=f"{what}只在{where}时办理")])


def _day(day: date, what: str, engine: Engine, *, not_before: date | None = None) -> str:
    today = local_date(engine.clock())
    if day > today:
        raise InvalidInput(f"{what}{cn_date(day)}晚于今天（{cn_date(today)}）：请写实际日期")
    if not_before is not None and day < not_before:
        raise InvalidInput(f"{what}{cn_date(day)}早于发函日期{cn_date(not_before)}")
    return day.isoformat()


def _consultation_spec(engine: Engine, s: Session, ref: str, actor: Actor, what: str) -> tuple[CaseRow, ProcessSpec]:
    row = engine.case_row(s, ref)
    spec = engine.spec_of(row)
    cs = spec.consultation
    if cs is None:
        raise Refused(f"{spec.title}没有书面征求相关部门意见的环节",
                      [Verdict(passed=False, guard="consultation", rule="AWD-5",
                               reason="流程定义未规定 consultation（由谁、在哪些状态征求意见）")])
    engine.require_role(spec, actor, cs.roles, what, cs.rule)
    return row, spec


def consult_ask(engine: Engine, ref: str, *, to: str, sent_on: date, letter: Path | None, note: str,
                actor: Actor) -> int:
    """Record a letter asking a department's opinion on a case under review; returns its number."""
    to = single_line(to, "征求意见的部门（--to）").strip()
    if not to:
        raise InvalidInput("请用 --to 写明征求意见的部门，如 --to 市生态环境局")
    note = free_text(note, "说明（--note）").strip()
    stored = store_all(engine, [letter]) if letter is not None else []
    with engine.transaction(ref) as s:
        row, spec = _consultation_spec(engine, s, ref, actor, "书面征求相关部门意见")
        assert spec.consultation is not None
        _in_state(spec, row, spec.consultation.states, spec.consultation.rule, "书面征求相关部门意见")
        number = len(consultations(engine.case_facts(s, row).notes)) + 1
        files = [f.as_json() for f in stored]
        event = engine.record_event(s, row, kind=EventKind.CONSULTATION_SENT, actor=actor, comment=note or None,
                                    data={"consultation": number, "to": to, "files": files,
                                          "sent_on": _day(sent_on, "发函日期", engine),
                                          "rule": spec.consultation.rule})
        record(s, row, stored, purpose="consultation", seq=event.seq, actor=actor, now=engine.clock())
    return number


def consult_answer(engine: Engine, ref: str, number: int, *, answered_on: date, opinion: str,
                   file: Path | None, actor: Actor) -> str:
    """Record a department's written answer (any state: a reply is a fact whenever it comes)."""
    opinion = free_text(opinion, "复函意见（--opinion）").strip()
    if not opinion:
        raise InvalidInput("请用 --opinion 写明复函意见（未复函的，写明情况，如“逾期未复函，视为无意见”）")
    stored = store_all(engine, [file]) if file is not None else []
    with engine.transaction(ref) as s:
        row, spec = _consultation_spec(engine, s, ref, actor, "记录相关部门复函")
        assert spec.consultation is not None
        found = {c.number: c for c in consultations(engine.case_facts(s, row).notes)}
        if number not in found:
            raise RecordLookupError(f"{row.ref} 的第{number}件书面征求意见")
        asked = found[number]
        if not asked.open:
            raise InvalidInput(f"第{number}件书面征求意见（致{asked.to}）的复函已于{asked.answered_on}记录")
        files = [f.as_json() for f in stored]
        event = engine.record_event(s, row, kind=EventKind.CONSULTATION_ANSWERED, actor=actor, comment=opinion,
                                    data={"consultation": number, "to": asked.to, "files": files,
                                          "answered_on": _day(answered_on, "复函日期", engine,
                                                              not_before=date.fromisoformat(asked.sent_on)),
                                          "rule": spec.consultation.rule})
        record(s, row, stored, purpose="consultation", seq=event.seq, actor=actor, now=engine.clock())
    return f"已记录第{number}件书面征求意见（致{asked.to}）的复函"


def list_consultations(engine: Engine, ref: str) -> dict[str, Any]:
    """A case's consultations (who was asked, when, the answer)."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        notes = engine.case_facts(s, row).notes
        return {"case": row.ref, "consultations": [c.as_json() for c in consultations(notes)]}


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
