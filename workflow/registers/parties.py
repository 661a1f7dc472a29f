"""Finding and correcting parties: partial-name search, changes kept in the party's history, record
corrections with a reason, and the recorded disclosure of full resident ID numbers.

A party's history is its rows in `office_audit` (who, when, what changed from what to what, why).
Names: an organisation's registered name is unique (two organisations may not share one; the
credit code tells them apart and is the reference to use), while two persons may share a name and
are told apart by their ID numbers; a lookup by a name several parties share is refused with the
list of them (see `Office._party_row`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from ..abc import Clock
from ..errors import InvalidInput, RecordLookupError, Refused
from ..inputs import single_line
from ..specs.fields import parse_value
from ..specs.model import FieldSpec
from ..store import AuditRow, PartyRecordRow, PartyRow, utc
from ..values import Verdict
from ..views import Actor, PartyView
from .identity import mask_resident_id
from .office import Office, _bar
from .staff import authorize_any

__all__ = ["AuditView", "correct_record", "party_history", "party_update", "remove_record", "reveal_codes",
           "search"]

_LABELS = {"name": "名称", "email": "电子邮箱", "phone": "电话", "district": "所在区", "registered_on": "登记注册日期"}
_CONTACT = {"email": FieldSpec(label="电子邮箱", type="email"), "phone": FieldSpec(label="电话", type="phone")}


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditView:
    """One entry of a party's history (or of the office's audit)."""

    id: int
    kind: str
    actor: str
    business_time: datetime
    wall_time: datetime
    reason: str | None
    data: dict[str, Any]


def search(office: Office, text: str) -> list[PartyView]:
    """Parties whose name contains `text`, or whose credit code starts with it (ID numbers are not searched)."""
    needle = text.strip()
    if not needle:
        raise InvalidInput("请给出要查找的名称的一部分，例如 award party search 浦江")
    with office.db.session() as s:
        q = select(PartyRow).where(or_(col(PartyRow.name).contains(needle),
                                       (col(PartyRow.code).startswith(needle.upper()))
                                       & (col(PartyRow.kind) == "organization"))).order_by(col(PartyRow.id))
        return [office._party_view(s, r, history=False) for r in s.exec(q).all()]


def _audit(s: Session, office: Office, *, kind: str, party_id: int | None, actor: Actor, wall_clock: Clock,
           data: dict[str, Any], reason: str | None) -> None:
    s.add(AuditRow(kind=kind, party_id=party_id, actor=actor.name, reason=reason, data={"v": 1, **data},
                   business_time=office.clock(), wall_time=wall_clock()))


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def party_update(office: Office, ref: str, *, changes: Mapping[str, str], attrs: Mapping[str, str], actor: Actor,
                 wall_clock: Clock, reason: str | None = None) -> tuple[PartyView, dict[str, tuple[Any, Any]]]:
    """Change a party's name, email, phone, district or attributes; each change goes into its history.

    Raises:
        InvalidInput: a bad value, or a name another organisation already has.
    """
    authorize_any(actor, office.catalog, "parties", "修改申报主体")  # AWD-5: the office registers parties
    parsed: dict[str, Any] = {}
    for key, raw in changes.items():
        if key in _CONTACT:
            parsed[key] = parse_value(key, _CONTACT[key], raw.strip())
        elif key == "name":
            if not raw.strip():
                raise InvalidInput("名称不能为空")
            parsed[key] = single_line(raw, "名称（--name）")
        else:
            parsed[key] = single_line(raw, f"--{key}") if raw.strip() else None
    new_attrs = office._parse_attrs(attrs)
    with office.db.session() as s:
        row = office._party_row(s, ref)
        if "name" in parsed and row.kind == "organization" and parsed["name"] != row.name:
            clash = s.exec(select(PartyRow).where(PartyRow.name == parsed["name"], PartyRow.kind == "organization",
                                                  PartyRow.id != row.id)).first()
            if clash is not None:
                raise InvalidInput(f"已有同名组织 #{clash.id}（{clash.code}）；组织名称须唯一")
        diff: dict[str, tuple[Any, Any]] = {}
        for key, value in parsed.items():
            if getattr(row, key) != value:
                diff[key] = (getattr(row, key), value)
                setattr(row, key, value)
        for key, value in new_attrs.items():
            if row.attrs.get(key) != value:
                diff[f"attr:{key}"] = (row.attrs.get(key), value)
        if new_attrs:
            row.attrs = {**row.attrs, **new_attrs}
        if not diff:
            return office._party_view(s, row, history=True), {}
        s.add(row)
        _audit(s, office, kind="party_changed", party_id=row.id, actor=actor, wall_clock=wall_clock, reason=reason,
               data={"changes": {k: [_json(o), _json(n)] for k, (o, n) in diff.items()}})
        s.flush()
        return office._party_view(s, row, history=True), diff


def party_history(office: Office, ref: str) -> tuple[PartyView, list[AuditView]]:
    """A party and every change the office made to it or its records, oldest first."""
    with office.db.session() as s:
        row = office._party_row(s, ref)
        rows = s.exec(select(AuditRow).where(AuditRow.party_id == row.id).order_by(col(AuditRow.id))).all()
        view = office._party_view(s, row, history=True)
    return view, [AuditView(id=r.id or 0, kind=r.kind, actor=r.actor, business_time=utc(r.business_time),
                            wall_time=utc(r.wall_time), reason=r.reason, data=dict(r.data)) for r in rows]


def _record(s: Session, office: Office, ref: str, record_id: int) -> tuple[PartyRow, PartyRecordRow]:
    party = office._party_row(s, ref)
    record = s.get(PartyRecordRow, record_id)
    if record is None or record.party_id != party.id:
        raise RecordLookupError(f"{party.name} 的获奖记录 #{record_id}")
    return party, record


def correct_record(office: Office, ref: str, record_id: int, *, changes: Mapping[str, str], reason: str,
                   actor: Actor, wall_clock: Clock) -> dict[str, tuple[Any, Any]]:
    """Correct an imported award record (its date, label, revocation), with a reason, in the party's history."""
    authorize_any(actor, office.catalog, "parties", "更正获奖记录")  # AWD-5: the office registers parties
    from .tabular import parse_cn_date

    if not reason.strip():
        raise InvalidInput("更正获奖记录须写明理由（--reason）")
    allowed = {"awarded_on", "label", "revoked_on", "reason", "rule"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"获奖记录没有可更正的项 {'、'.join(sorted(unknown))}；可更正：{'、'.join(sorted(allowed))}")
    parsed: dict[str, Any] = {}
    for key, raw in changes.items():
        if key in ("awarded_on", "revoked_on"):
            try:
                parsed[key] = parse_cn_date(raw) if raw.strip() else None
            except ValueError as exc:
                raise InvalidInput(f"{key}：{exc}") from None
        else:
            parsed[key] = raw.strip() or None
    if parsed.get("awarded_on", 1) is None:
        raise InvalidInput("获奖日期不能为空；要删除整条记录请用 award party record remove")
    with office.db.session() as s:
        party, record = _record(s, office, ref, record_id)
        if record.source != "import":
            raise InvalidInput("这条获奖记录来自本系统办结的案件：其撤销须按流程办理（如 revoke），不能直接更正")
        diff: dict[str, tuple[Any, Any]] = {}
        for key, value in parsed.items():
            if getattr(record, key) != value:
                diff[key] = (getattr(record, key), value)
                setattr(record, key, value)
        if "revoked_on" in diff:
            record.bar_until = _bar(record.revoked_on, office.catalog.get(record.procedure).revocation_bar_years)
        if diff:
            s.add(record)
            _audit(s, office, kind="record_corrected", party_id=party.id, actor=actor, wall_clock=wall_clock,
                   reason=reason.strip(), data={"record": record_id, "label": record.label,
                                                "changes": {k: [_json(o), _json(n)] for k, (o, n) in diff.items()}})
        return diff


def remove_record(office: Office, ref: str, record_id: int, *, reason: str, actor: Actor, wall_clock: Clock) -> str:
    """Remove an imported award record entered by mistake; what it said is kept in the party's history."""
    authorize_any(actor, office.catalog, "parties", "删除获奖记录")  # AWD-5: the office registers parties
    if not reason.strip():
        raise InvalidInput("删除获奖记录须写明理由（--reason）")
    with office.db.session() as s:
        party, record = _record(s, office, ref, record_id)
        if record.source != "import":
            raise InvalidInput("这条获奖记录来自本系统办结的案件，不能删除；撤销奖励须按流程办理")
        _audit(s, office, kind="record_removed", party_id=party.id, actor=actor, wall_clock=wall_clock,
               reason=reason.strip(), data={"record": record_id, "procedure": record.procedure,
                                            "award": record.award, "label": record.label,
                                            "awarded_on": record.awarded_on.isoformat(),
                                            "revoked_on": _json(record.revoked_on)})
        s.delete(record)
        return record.label


def reveal_codes(office: Office, party_ids: Sequence[int], *, actor: Actor, wall_clock: Clock,
                 purpose: str) -> dict[int, str]:
    """Full resident ID numbers of these parties, for an export the office asked for; the request is recorded.

    Raises:
        InvalidInput: the actor is not on the staff roster (an unknown login may not see ID numbers).
    """
    if not actor.on_roster:
        raise InvalidInput(f"{actor.name} 不在工作人员名单中，不能导出完整身份证号（用 --as 指定登记过的工作人员）")
    allowed = {r for spec in office.catalog.specs() for start in spec.starts.values() for r in start.roles}
    held = {r for spec in office.catalog.specs()
            for r in actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)}  # grants are per issuer
    if not held & allowed:  # those who open cases (the office), not reviewers
        need = "、".join(sorted({spec.roles[r] for spec in office.catalog.specs() for r in allowed
                                if r in spec.roles}))
        raise Refused(f"完整身份证号只能由 {need} 导出；{actor.name} 没有该角色",
                      [Verdict(passed=False, guard="role", rule="", reason=f"角色不符（需要：{need}）")])
    with office.db.session() as s:
        rows = s.exec(select(PartyRow).where(col(PartyRow.id).in_(list(party_ids)))).all()
        persons = {r.id: r.code for r in rows if r.kind == "person" and r.id is not None}
        _audit(s, office, kind="unmasked", party_id=None, actor=actor, wall_clock=wall_clock, reason=purpose,
               data={"persons": sorted(persons), "masked": [mask_resident_id(c) for c in persons.values()]})
        for pid in persons:
            _audit(s, office, kind="unmasked", party_id=pid, actor=actor, wall_clock=wall_clock, reason=purpose,
                   data={})
    return {pid: code for pid, code in persons.items()}
