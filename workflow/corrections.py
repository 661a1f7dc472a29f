"""The office corrects a case's contact data at any stage, recorded in the case's history.

Which fields are contact data is read from the definition, not named here: every field a
notification recipient is resolved from (`recipients: {applicant: contact_email|party.email}`) and
every field of type email or phone. Who may correct them: the roles that may open a case (the
office, in every bundled definition). The new values are in the history event (`changes`, with the
old ones in `before`), so notifications from then on go to the new address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import col

from .errors import ConflictError, InvalidInput
from .specs.fields import parse_value
from .specs.model import ProcessSpec
from .store import CaseRow
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["contact_fields", "correct_contact"]


def contact_fields(spec: ProcessSpec) -> list[str]:
    """The case's contact fields: those recipients are read from, and every email or phone field."""
    named = []
    for path in spec.recipients.values():
        for option in path.split("|"):
            option = option.strip()
            if option in spec.fields:
                named.append(option)
    named += [k for k, f in spec.fields.items() if f.type in ("email", "phone")]
    named += [k for k in spec.fields if k.startswith("contact_")]
    return list(dict.fromkeys(named))


def correct_contact(engine: Engine, ref: str, values: Mapping[str, str], *, actor: Actor, reason: str) -> dict[str, Any]:
    """Change contact fields of a case in any state (closed ones too); every bad value reported at once.

    Raises:
        InvalidInput: no reason, a field that is not contact data, or bad values.
        Refused: the actor's role may not open cases of this procedure.
    """
    if not reason.strip():
        raise InvalidInput("更正联系方式须写明理由（--reason）")
    if not values:
        raise InvalidInput("请用 --set 字段=值 给出要更正的联系方式")
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        roles = sorted({r for start in spec.starts.values() for r in start.roles})
        engine._require_role(spec, actor, roles, "更正案件联系方式")
        allowed = contact_fields(spec)
        errors: list[str] = []
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in allowed:
                options = "、".join(f"{k}（{spec.fields[k].label}）" for k in allowed)
                errors.append(f"{name} 不是联系方式，不能用此命令更正；可更正：{options}")
                continue
            try:
                changes[name] = parse_value(name, spec.fields[name], raw.strip())
            except InvalidInput as exc:
                errors.append(str(exc))
        if errors:
            raise InvalidInput(f"有 {len(errors)} 处错误，未作任何修改：\n" + "\n".join(f"  {e}" for e in errors))
        changed = {k: v for k, v in changes.items() if row.data.get(k) != v}
        if not changed:
            return {}
        before = {k: row.data.get(k) for k in changed}
        result = s.execute(update(CaseRow).where(col(CaseRow.id) == row.id, col(CaseRow.version) == row.version)
                           .values(data={**row.data, **changed}, version=row.version + 1)
                           .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(row.ref)
        s.refresh(row)
        engine.record_event(s, row, kind="contact_corrected", actor=actor, comment=reason.strip(),
                     data={"changes": changed, "before": before})
    return changed
