"""What a revocation sets going, and revoking an award won before the system existed (SHA-35, SHA-36).

A definition's `recovery` names the items a revocation under each rule makes due: SHA-35 and SHA-36
recover the plaque and certificate and reclaim the bonus; SHA-35 also enters the party in the city's
public credit information platform and the in- and post-event supervision platform. Each item is
recorded once, with its outcome, its date and (for a platform entry) its reference:

* a case revoked in `award` (`revoke_false_material`, `revoke_accident`): a `recovery_recorded` event
  in the case's hash-chained history; `award show` lists what is still to be done;
* an award imported from before the system: `revoke_record` revokes it with the bar of the
  definition's `revoke_award` effect for that rule, and its items go into the party's history
  (`office_audit`); `award party show` lists them.

Both are the office's work (`permissions.revocations`), checked and cited like every other change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from .errors import InvalidInput, Refused
from .inputs import single_line
from .kinds import EventKind
from .registers.staff import authorize
from .specs.model import ProcessSpec
from .store import AuditRow, CaseRow, EventRow, PartyRecordRow
from .timing.clock import cn_date, local_date
from .timing.periods import add_years
from .values import Verdict

if TYPE_CHECKING:
    from .abc import Clock
    from .engine import Engine
    from .registers.office import Office
    from .views import Actor

__all__ = [
    "OUTCOMES",
    "RECORD_REVOKED",
    "RecoveryEntry",
    "case_checklist",
    "checklist",
    "record_case_recovery",
    "record_checklist",
    "record_import_recovery",
    "revoke_record",
]

OUTCOMES = {"done": "已完成", "failed": "无法完成"}
"""How an item ended: done (recovered, reclaimed, entered) or failed (it could not be; the note says why)."""

RECORD_REVOKED = "record_revoked"
"""The party-history entry of an imported award revoked by command."""

WORK = "revocations"
"""The definition's `permissions` key for revoking and recording what a revocation sets going."""


@dataclass(frozen=True, kw_only=True, slots=True)
class RecoveryEntry:
    """One item's outcome as given on the command line, checked against the definition."""

    item: str
    outcome: str
    on: date
    reference: str | None = None
    note: str | None = None


def _revoking_effects(spec: ProcessSpec) -> dict[str, dict[str, Any]]:
    """Rule -> the definition's `revoke_award` effect for it (its bar and reason)."""
    return {str(e["rule"]): e for t in spec.transitions for e in t.effects if e.get("effect") == "revoke_award"}


def checklist(spec: ProcessSpec, rule: str | None, done: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The items a revocation under `rule` makes due, each with what was recorded of it (or `pending`)."""
    recorded = {str(d["item"]): d for d in done}
    out = []
    for key, item in spec.recovery.items():
        if rule not in item.rules:
            continue
        entry = recorded.get(key, {})
        out.append({"item": key, "label": item.label, "rule": rule, "reference_required": item.reference,
                    "status": entry.get("outcome", "pending"), "on": entry.get("on"),
                    "reference": entry.get("reference"), "note": entry.get("note"), "by": entry.get("by")})
    return out


def _check_entry(spec: ProcessSpec, rule: str | None, done: Iterable[Mapping[str, Any]], entry: RecoveryEntry,
                 revoked_on: date, where: str) -> dict[str, Any]:
    items = {c["item"]: c for c in checklist(spec, rule, done)}
    key = entry.item
    if key not in items:  # a label will do too
        key = next((k for k, c in items.items() if c["label"] == entry.item), key)
    if key not in items:
        known = "、".join(f"{k}（{c['label']}）" for k, c in items.items()) or "（无）"
        raise InvalidInput(f"{where}依据 {rule} 撤销后没有事项 {entry.item!r}；可登记：{known}")
    item = items[key]
    if item["status"] != "pending":
        raise InvalidInput(f"{where}的“{item['label']}”已于{cn_date(date.fromisoformat(item['on']))}登记为"
                           f"{OUTCOMES[item['status']]}")
    if entry.outcome not in OUTCOMES:
        raise InvalidInput(f"--status 须为 done（已完成）或 failed（无法完成），收到 {entry.outcome!r}")
    if entry.on < revoked_on:
        raise InvalidInput(f"日期{cn_date(entry.on)}早于撤销日期{cn_date(revoked_on)}")
    reference = single_line(entry.reference, "文号或编号（--ref）", max_chars=200).strip() if entry.reference else None
    note = single_line(entry.note, "说明（--note）", max_chars=2000).strip() if entry.note else None
    if entry.outcome == "done" and item["reference_required"] and not reference:
        raise InvalidInput(f"“{item['label']}”须用 --ref 写明纳入平台的编号或文号")
    if entry.outcome == "failed" and not note:
        raise InvalidInput(f"“{item['label']}”无法完成的，须用 --note 写明原因")
    return {"item": key, "label": item["label"], "rule": rule, "outcome": entry.outcome,
            "on": entry.on.isoformat(), "reference": reference, "note": note}


def _revoking_triggers(spec: ProcessSpec) -> str:
    return " 或 ".join(t.trigger for t in spec.transitions if any(e.get("effect") == "revoke_award" for e in t.effects))


def _not_revoked(spec: ProcessSpec, what: str) -> Refused:
    perm = spec.permissions.get(WORK)
    return Refused(f"{what}：奖励尚未撤销，没有需要收回或纳入平台的事项",
                   [Verdict(passed=False, guard="revocation", rule=perm.rule if perm else "",
                            reason=f"先撤销奖励（案件用 award advance 案件 {_revoking_triggers(spec)}；导入的获奖记录用 "
                                   "award revocation revoke-record），再登记撤销后的事项")])


# ------------------------------------------------------------------ cases revoked in award


def _case_record(s: Session, row: CaseRow) -> PartyRecordRow | None:
    return s.exec(select(PartyRecordRow).where(PartyRecordRow.case_id == row.id,
                                               col(PartyRecordRow.revoked_on).is_not(None))).first()


def _case_entries(s: Session, row: CaseRow) -> list[dict[str, Any]]:
    events = s.exec(select(EventRow).where(EventRow.case_id == row.id, EventRow.kind == EventKind.RECOVERY_RECORDED)
                    .order_by(col(EventRow.seq))).all()
    return [{**e.data, "by": e.actor} for e in events]


def case_checklist(s: Session, spec: ProcessSpec, row: CaseRow) -> list[dict[str, Any]]:
    """What the case's revocation set going and what is recorded of it; empty unless its award is revoked."""
    if not spec.recovery:
        return []
    record = _case_record(s, row)
    if record is None:
        return []
    return checklist(spec, record.rule, _case_entries(s, row))


def record_case_recovery(engine: Engine, ref: str, entry: RecoveryEntry, *, actor: Actor) -> dict[str, Any]:
    """Record one item of a revoked case (the plaque recovered, the platform entry made) in its history.

    Raises:
        Refused: not the office's role, or the case's award is not revoked (exit 3).
        InvalidInput: an unknown or already recorded item, a missing reference or reason (exit 2).
    """
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        authorize(actor, spec, WORK, "登记撤销奖励后的事项")
        record = _case_record(s, row)
        if record is None or record.revoked_on is None:
            raise _not_revoked(spec, row.ref)
        data = _check_entry(spec, record.rule, _case_entries(s, row), entry, record.revoked_on, f"{row.ref} ")
        engine.record_event(s, row, kind=EventKind.RECOVERY_RECORDED, actor=actor, data=data, comment=data["note"])
        left = [c for c in checklist(spec, record.rule, [*_case_entries(s, row)]) if c["status"] == "pending"]
    return {**data, "case": row.ref, "pending": left}


# ------------------------------------------------------------------ awards imported from before the system


def _import_record(s: Session, office: Office, party: str, record_id: int) -> tuple[Any, PartyRecordRow]:
    from .errors import RecordLookupError

    row = office._party_row(s, party)
    record = s.get(PartyRecordRow, record_id)
    if record is None or record.party_id != row.id:
        raise RecordLookupError(f"{row.name} 的获奖记录 #{record_id}")
    return row, record


def _import_entries(s: Session, record: PartyRecordRow) -> list[dict[str, Any]]:
    rows = s.exec(select(AuditRow).where(AuditRow.party_id == record.party_id,
                                         AuditRow.kind == EventKind.RECOVERY_RECORDED)
                  .order_by(col(AuditRow.id))).all()
    return [{**a.data, "by": a.actor} for a in rows if a.data.get("record") == record.id]


def _revoked_by_command(s: Session, record: PartyRecordRow) -> bool:
    """Whether `award` revoked this imported award (a revocation imported with it was carried out before)."""
    rows = s.exec(select(AuditRow).where(AuditRow.party_id == record.party_id, AuditRow.kind == RECORD_REVOKED)).all()
    return record.revoked_on is not None and any(a.data.get("record") == record.id for a in rows)


def record_checklist(s: Session, office: Office, record: PartyRecordRow) -> list[dict[str, Any]]:
    """An imported award's items and what is recorded of them, once `award` revoked it (empty otherwise)."""
    if record.source != "import" or not _revoked_by_command(s, record):
        return []
    spec = office.catalog.get(record.procedure)
    return checklist(spec, record.rule, _import_entries(s, record))


def revoke_record(office: Office, party: str, record_id: int, *, rule: str, reason: str | None, on: date | None,
                  actor: Actor, wall_clock: Clock) -> dict[str, Any]:
    """Revoke an imported award under `rule` (SHA-35 or SHA-36): the bar of that rule's `revoke_award`
    effect, in the party's history; its recovery items become due as for a case.

    Raises:
        Refused: not the office's role (exit 3).
        InvalidInput: not an imported award, already revoked, a rule no revocation cites, a bad date (exit 2).
    """
    with office.db.session() as s:
        party_row, record = _import_record(s, office, party, record_id)
        spec = office.catalog.get(record.procedure)
        authorize(actor, spec, WORK, "撤销导入的获奖记录")
        effects = _revoking_effects(spec)
        if rule not in effects:
            known = "、".join(f"{r}（{e.get('reason', '')}）" for r, e in effects.items()) or "（本流程没有撤销奖励）"
            raise InvalidInput(f"撤销依据须为：{known}；收到 {rule!r}（--rule）")
        if record.source != "import":
            raise InvalidInput(f"获奖记录 #{record_id} 来自本系统办结的案件：请在该案件上办理撤销"
                               f"（award advance 案件 {_revoking_triggers(spec)}）")
        if record.revoked_on is not None:
            raise InvalidInput(f"获奖记录 #{record_id}（{record.label}）已于{cn_date(record.revoked_on)}撤销")
        day = on or local_date(office.clock())
        if day < record.awarded_on:
            raise InvalidInput(f"撤销日期{cn_date(day)}早于获奖日期{cn_date(record.awarded_on)}")
        effect = effects[rule]
        why = single_line(reason, "撤销原因（--reason）", max_chars=500).strip() if reason else str(effect["reason"])
        years = int(effect.get("bar_years") or 0)
        record.revoked_on, record.rule, record.reason = day, rule, why
        record.bar_until = add_years(day, years) if years else None
        s.add(record)
        s.add(AuditRow(kind=RECORD_REVOKED, party_id=party_row.id, actor=actor.name, reason=why,
                       data={"v": 1, "record": record.id, "label": record.label, "rule": rule,
                             "revoked_on": day.isoformat(),
                             "bar_until": record.bar_until.isoformat() if record.bar_until else None,
                             "by": actor.provenance()},
                       business_time=office.clock(), wall_time=wall_clock()))
        s.flush()
        return {"party": party_row.name, "record": record.id, "label": record.label, "rule": rule, "reason": why,
                "revoked_on": day, "bar_until": record.bar_until,
                "pending": checklist(spec, rule, [])}


def record_import_recovery(office: Office, party: str, record_id: int, entry: RecoveryEntry, *, actor: Actor,
                           wall_clock: Clock) -> dict[str, Any]:
    """Record one item of an imported award's revocation in the party's history.

    Raises:
        Refused: not the office's role, or the award is not revoked (exit 3).
        InvalidInput: as `record_case_recovery`.
    """
    with office.db.session() as s:
        party_row, record = _import_record(s, office, party, record_id)
        spec = office.catalog.get(record.procedure)
        authorize(actor, spec, WORK, "登记撤销奖励后的事项")
        if record.revoked_on is None:
            raise _not_revoked(spec, f"{party_row.name} 的获奖记录 #{record_id}")
        if record.source != "import":
            raise InvalidInput(f"获奖记录 #{record_id} 来自本系统办结的案件：请登记在该案件上（award revocation record 案件 事项）")
        if not _revoked_by_command(s, record):
            raise InvalidInput(f"获奖记录 #{record_id} 的撤销是随记录导入的（在系统启用前办理），其收回情况不在本系统登记")
        data = _check_entry(spec, record.rule, _import_entries(s, record), entry, record.revoked_on,
                            f"获奖记录 #{record_id} ")
        s.add(AuditRow(kind=EventKind.RECOVERY_RECORDED, party_id=party_row.id, actor=actor.name, reason=data["note"],
                       data={"v": 1, "record": record.id, **data, "by_identity": actor.provenance()},
                       business_time=office.clock(), wall_time=wall_clock()))
        s.flush()
        left = [c for c in checklist(spec, record.rule, _import_entries(s, record)) if c["status"] == "pending"]
    return {**data, "party": party_row.name, "record": record_id, "pending": left}
