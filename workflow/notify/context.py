"""What a notification template may use: the context of one step, and a sample of it with every key
filled, against which `award definitions check` renders every template without a database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..facts import CaseFacts, resolve
from ..registers.identity import mask_resident_id
from ..specs.catalog import Catalog
from ..specs.fields import display
from ..specs.model import ProcessSpec, TransitionSpec
from ..timing.clock import local_date, utc

if TYPE_CHECKING:
    from ..store import CaseRow, EventRow, PartyRecordRow, TimerRow

__all__ = ["check_templates", "context", "sample_context"]


def _record(record: PartyRecordRow | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"label": record.label, "awarded_on": record.awarded_on, "revoked_on": record.revoked_on,
            "bar_until": record.bar_until, "reason": record.reason or "", "rule": record.rule or ""}


def context(spec: ProcessSpec, facts: CaseFacts, row: CaseRow, event: EventRow,
            transition: TransitionSpec | None, timers: list[TimerRow],
            record: PartyRecordRow | None = None) -> dict[str, Any]:
    """What a template may use. `award definitions check` renders every template against `sample_context`."""
    case_data = row.data
    form = {name: display(fs, case_data.get(name), facts.names) for name, fs in spec.fields.items()}
    timer_list = [{"kind": t.kind, "trigger": t.trigger, "duty": t.duty, "index": t.duty_index, "rule": t.rule,
                   "period": t.period, "due_at": utc(t.due_at), "last_day": t.last_day} for t in timers]
    notice_end = next((t["last_day"] for t in timer_list if t["kind"] == "transition" and t["last_day"]), None)
    code = facts.party.code if facts.party.kind == "organization" else mask_resident_id(facts.party.code)
    data = dict(event.data)
    return {
        "procedure": {"id": spec.id, "title": spec.title, "source": spec.source},
        "case": {"ref": row.ref, "track": row.track, "track_label": spec.tracks[row.track].label,
                 "state": row.state, "state_label": spec.label_of(row.state), "form": form},
        "party": {"name": facts.party.name, "kind": facts.party.kind, "code": code,
                  "district": resolve(facts, "party.district") or ""},
        "round": {"id": facts.round.id, "year": facts.round.year, "title": facts.round.id},
        "transition": {"trigger": transition.trigger, "label": transition.label,
                       "source_label": spec.label_of(event.source or ""), "dest_label": spec.label_of(event.dest or ""),
                       "rule": transition.rule or ""} if transition else None,
        "event": {"kind": event.kind, "seq": event.seq, "comment": event.comment or "",
                  "business_time": utc(event.business_time), "actor": event.actor,
                  "duty": data.get("duty") or "", "index": data.get("index") or 0, "trigger": data.get("trigger") or "",
                  "due_at": datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None,
                  "rule": data.get("rule") or "",
                  "finding": data.get("finding") or "", "finding_label": data.get("finding_label") or ""},
        "reasons": [v["reason"] for v in data.get("verdicts", []) if not v.get("passed")],
        "timers": timer_list,
        "notice_last_day": notice_end,
        "today": local_date(utc(event.business_time)),
        "award": _record(record),
        "next_steps": [{"trigger": t.trigger, "label": t.label, "roles": [spec.roles.get(r, r) for r in t.roles]}
                       for t in spec.transitions_from(row.state) if "system" not in t.roles],
        "timer_labels": {t.trigger: t.label for s in spec.states for t in s.timers if t.trigger and t.label},
    }


def sample_context(spec: ProcessSpec) -> dict[str, Any]:
    """A context with every key filled, for checking templates without a database."""
    from ..timing.clock import system_clock

    now = system_clock()
    today = local_date(now)
    track = next(iter(spec.tracks))
    return {
        "procedure": {"id": spec.id, "title": spec.title, "source": spec.source},
        "case": {"ref": f"{spec.id.upper()}-2026-001", "track": track, "track_label": spec.tracks[track].label,
                 "state": spec.states[0].name, "state_label": spec.states[0].label,
                 "form": {name: "（示例）" for name in spec.fields}},
        "party": {"name": "示例单位", "kind": "organization", "code": "91310000MA1FL1GF94", "district": "浦东新区"},
        "round": {"id": f"{spec.id}-2026", "year": 2026, "title": f"{spec.id}-2026"},
        "transition": {"trigger": "t", "label": "示例", "source_label": "甲", "dest_label": "乙", "rule": "X-1"},
        "event": {"kind": "transition", "seq": 1, "comment": "示例", "business_time": now, "actor": "示例",
                  "duty": "quality_report", "index": 1, "due_at": now, "rule": "X-1", "trigger": "t",
                  "finding": "示例", "finding_label": "示例结论"},
        "reasons": ["示例理由"],
        "timers": [{"kind": "transition", "trigger": "t", "duty": None, "index": None, "rule": "X-1",
                    "period": "5 working days", "due_at": now, "last_day": today}],
        "notice_last_day": today,
        "today": today,
        "award": {"label": "2026年示例奖项", "awarded_on": today, "revoked_on": today, "bar_until": today,
                  "reason": "示例", "rule": "X-1"},
        "next_steps": [{"trigger": "t", "label": "示例", "roles": ["示例"]}],
        "timer_labels": {"t": "示例期满"},
    }


def check_templates(catalog: Catalog, root: Path) -> tuple[list[Problem], int]:
    """Every template problem (syntax, unknown variables, sandbox escapes), and templates referenced but missing."""
    from ..specs.check_notify import notifications
    from .templates import TemplateSet, check

    samples = {spec.id: sample_context(spec) for spec in catalog.specs()}
    problems = check(root, samples)
    tset = TemplateSet(root)
    count = 0
    for spec in catalog.specs():
        names = set(tset.names(spec.id)) if (root / spec.id).is_dir() else set()
        count += len(names)
        wanted: list[tuple[str, tuple[str | int, ...]]] = [
            (template, where) for n, where in notifications(spec) for _, template in n.letters() if template]
        file = catalog.file_of(spec)
        loaded = next((f for f in catalog.files if f.spec is spec), None)
        for name, where in wanted:
            if name not in names:
                line = loaded.line(*where) if loaded else None
                problems.append(Problem(file=str(file), line=line,
                                        reason=f"通知模板 {spec.id}/{name}.j2 不存在（在 {root / spec.id} 中添加）"))
    return problems, count
