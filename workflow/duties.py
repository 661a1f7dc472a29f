"""Duties after an award: a record of each one fulfilled (a yearly report, a district bureau's follow-up).

A duty is an `every` timer of a state (`{every: yearly for 3 years, duty: quality_report, ...}`): entering
the state plans one due date per year, each with its reminders. Recording the duty fulfilled
(`award report submit`) stores the file by its hash and appends a `report_submitted` history event with
what the record found; the duty's timer then counts it as met, and its reminder stays quiet. Who records
it is the duty's `roles` (SHA-38: the district bureau), else the definition's `permissions.reports`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import select

from .attachments import record, store_all
from .errors import InvalidInput, Refused
from .inputs import free_text
from .kinds import EventKind, TimerKind
from .registers.staff import authorize, require_member
from .specs.model import ProcessSpec, TimerSpec
from .store import ReportRow, TimerRow
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["duty_label", "submit_report"]


def duty_label(spec: ProcessSpec | None, name: str | None) -> str:
    """A duty's Chinese name (its timer's `label`), never its id inside a sentence."""
    found = spec.duty(name) if spec is not None and name else None
    return (found.label if found is not None and found.label else None) or "义务"


def _roles_of(spec: ProcessSpec, duty: TimerSpec) -> list[str]:
    """Who records this duty fulfilled: its own `roles`, else the definition's `permissions.reports`."""
    if duty.roles:
        return list(duty.roles)
    perm = spec.permissions.get("reports")
    return list(perm.roles) if perm else []


def _choose(spec: ProcessSpec, duties: dict[str, TimerSpec], given: str | None, actor: Actor) -> tuple[str, TimerSpec]:
    """The duty named by id or Chinese label; without `--duty`, the only one, or the only one the actor records."""
    labels = {n: duty_label(spec, n) for n in duties}
    held = set(actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None))
    mine = [n for n, d in duties.items() if held & set(_roles_of(spec, d))]
    if given is None and (len(duties) == 1 or len(mine) == 1):
        name = next(iter(duties)) if len(duties) == 1 else mine[0]
    elif given is None and not mine:  # a role refusal, not a question the actor could answer
        need = "；".join(f"{labels[n]}由{'、'.join(spec.roles.get(r, r) for r in _roles_of(spec, d))}登记"
                        for n, d in duties.items())
        raise Refused(f"登记获奖后义务：{actor.name} 没有登记本案任何义务的角色（{need}）",
                      [Verdict(passed=False, guard="role", rule=d.rule, reason=f"角色不符（{labels[n]}）")
                       for n, d in duties.items()])
    else:
        text = (given or "").strip()
        name = next((n for n in duties if text in (n, labels[n])), "")
        if not name:
            options = "、".join(f"{n}（{labels[n]}）" for n in duties)
            raise InvalidInput(f"请用 --duty 指定义务：{options}" + (f"；收到 {text[:40]!r}" if text else ""))
    return name, duties[name]


def _finding(duty: TimerSpec, label: str, given: str | None) -> tuple[str | None, str | None]:
    """(id, label) of what the record found, when the duty asks for it."""
    if duty.findings is None:
        if given:
            raise InvalidInput(f"{label}不登记结论，请去掉 --finding")
        return None, None
    options = "、".join(f"{k}（{v}）" for k, v in duty.findings.items())
    if not given:
        raise InvalidInput(f"登记{label}须用 --finding 写明结论：{options}", rule=duty.rule)
    text = given.strip()
    for key, value in duty.findings.items():
        if text in (key, value):
            return key, value
    raise InvalidInput(f"{label}的结论须为 {options} 之一，收到 {text[:40]!r}", rule=duty.rule)


def submit_report(engine: Engine, ref: str, *, duty: str | None, index: int, file: Path, actor: Actor,
                  finding: str | None = None, comment: str | None = None) -> str:
    """Record a duty fulfilled (a yearly quality performance report, a follow-up), with the file's hash.

    Raises:
        Refused: the case has no duty (not awarded), or the actor may not record this one (exit 3).
        InvalidInput: an unknown duty, year or finding, or the year was recorded before (exit 2).
    """
    note = free_text(comment, "说明（--comment）").strip() if comment else None
    stored = store_all(engine, [file])
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        require_member(actor, "登记义务履行")
        duties = s.exec(select(TimerRow).where(TimerRow.case_id == row.id, TimerRow.kind == TimerKind.DUTY)).all()
        declared = {n: d for n in sorted({t.duty for t in duties if t.duty}) if (d := spec.duty(n)) is not None}
        if not declared:
            rules = sorted({t.rule for st in spec.states for t in st.timers if t.every is not None})
            raise Refused(f"{row.ref} 没有需要登记的获奖后义务（{spec.label_of(row.state)}）",
                          [Verdict(passed=False, guard="duty", rule=r, reason="获奖后才有此项义务") for r in rules]
                          or [Verdict(passed=False, guard="duty", rule="AWD-5", reason="本流程没有获奖后义务")])
        name, spec_duty = _choose(spec, declared, duty, actor)
        label = duty_label(spec, name)
        what = f"登记{label}"
        if spec_duty.roles:
            engine.require_role(spec, actor, spec_duty.roles, what, spec_duty.rule)
        else:
            authorize(actor, spec, "reports", what)
        indexes = sorted(t.duty_index for t in duties if t.duty == name and t.duty_index)
        if index not in indexes:
            raise InvalidInput(f"{label}的次数须为 {'、'.join(map(str, indexes))} 之一，收到 {index}")
        if s.exec(select(ReportRow).where(ReportRow.case_id == row.id, ReportRow.duty == name,
                                          ReportRow.duty_index == index)).first():
            raise InvalidInput(f"第{index}次{label}已登记过")
        found, found_label = _finding(spec_duty, label, finding)
        digest = stored[0].sha256
        now = engine.clock()
        s.add(ReportRow(case_id=row.id or 0, duty=name, duty_index=index, file_name=file.name, sha256=digest,
                        submitted_by=actor.name, submitted_at=now))
        data = {"duty": name, "index": index, "file": file.name, "sha256": digest, "rule": spec_duty.rule,
                **({"finding": found, "finding_label": found_label} if found else {})}
        event = engine.record_event(s, row, kind=EventKind.REPORT_SUBMITTED, actor=actor, comment=note, data=data)
        record(s, row, stored, purpose="report", seq=event.seq, actor=actor, now=now)
    return f"已登记第{index}次{label}（{file.name}）" + (f"：{found_label}" if found_label else "")
