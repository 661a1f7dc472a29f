"""Moving a running case to the current version of its definition: explicit, role-checked, recorded.

A case runs under the definition version it started with (the catalogue keeps released versions in
`definitions/archive/`). When the office decides that a case (or every case of a round) should follow
the current version instead, `award case migrate` moves it, in one transaction per command, after
checking that the new version can carry the case on:

- the case's state and track exist in the new version;
- each live timer (pending or held) still means something there: its trigger leaves that state, or its
  duty or mark is declared on that state.

Which roles may do it is the new version's `permissions.migrations` (AWD-7). The history event
`definition_migrated` records both versions and their content hashes; nothing else of the case changes
(its form, state and timers stay as they are; timers fire under the new version's rules from then on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from .errors import ConflictError, InvalidInput, Refused, RoundLookupError
from .kinds import LIVE_TIMERS, EventKind
from .registers.staff import authorize
from .store import CaseRow, RoundRow, TimerRow
from .values import Verdict
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine
    from .specs.model import ProcessSpec

__all__ = ["MIGRATION_RULE", "Migration", "migrate_cases"]

MIGRATION_RULE = "AWD-7"
"""The office's rule that a case changes definition version only by an explicit, recorded migration."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Migration:
    """One case moved (or, in a dry run, that would move) from one definition version to another."""

    ref: str
    procedure: str
    state: str
    from_version: str
    to_version: str


def _problems(spec: ProcessSpec, row: CaseRow, timers: Sequence[TimerRow]) -> list[str]:
    """Why `row` cannot continue under `spec`, in the office's words (empty when it can)."""
    found: list[str] = []
    if row.state not in spec.state_map:
        found.append(f"{row.ref} 所处的状态 {row.state} 在版本 {spec.version} 中不存在")
    if row.track not in spec.tracks:
        found.append(f"{row.ref} 的赛道 {row.track} 在版本 {spec.version} 中不存在")
    for timer in timers:
        name = timer.trigger or timer.duty or timer.kind
        state = spec.state_map.get(timer.state)
        if state is None:
            if timer.state != row.state:
                found.append(f"{row.ref} 的定时 {name}（设于状态 {timer.state}）在版本 {spec.version} 中没有该状态")
            continue
        if timer.trigger and spec.transition(timer.trigger, timer.state) is None:
            found.append(f"{row.ref} 的定时 {name} 所触发的操作在版本 {spec.version} 的“{state.label}”状态下不存在")
        elif not timer.trigger and not any(timer.duty in (t.duty, t.mark) for t in state.timers):
            found.append(f"{row.ref} 的定时 {name} 在版本 {spec.version} 的“{state.label}”状态下没有定义")
    return found


def migrate_cases(engine: Engine, *, refs: Sequence[str] = (), round_id: str | None = None,
                  to: str | None = None, actor: Actor, reason: str, dry_run: bool = False) -> list[Migration]:
    """Move the named cases, or every case of a round not yet on the target version, to version `to`
    (default: the current one), all in one transaction: if one case cannot move, none moves.

    Raises:
        InvalidInput: no reason, neither or both of cases and round, a target older than a case's version.
        NotFound: no such case, round or version (exit 4).
        Refused: the actor's role (AWD-7), or a case the new version cannot carry on (state, track, timers).
    """
    if not reason.strip():
        raise InvalidInput("迁移案件须写明理由（--reason），记入案件历史")
    if bool(refs) == (round_id is not None):
        raise InvalidInput("请给出案件编号，或用 --round 指明轮次（二者选一）")
    with engine.transaction(refs[0] if refs else str(round_id)) as s:
        rows = _cases(engine, s, refs, round_id)
        plan: list[tuple[CaseRow, ProcessSpec, ProcessSpec]] = []
        problems: list[str] = []
        for row in rows:
            old = engine.spec_of(row)
            new = engine.catalog.get(row.procedure, to)
            if new.version == old.version:
                if refs:
                    raise InvalidInput(f"{row.ref} 已按流程定义 {new.id} 版本 {new.version} 办理，无需迁移")
                continue
            if _older(new.version, old.version):
                raise InvalidInput(f"{row.ref} 按版本 {old.version} 办理，不能迁回更早的版本 {new.version}")
            authorize(actor, new, "migrations", f"将案件迁移到{new.title}版本 {new.version}")
            timers = s.exec(select(TimerRow).where(TimerRow.case_id == row.id,
                                                   col(TimerRow.status).in_(LIVE_TIMERS))).all()
            problems += _problems(new, row, timers)
            plan.append((row, old, new))
        if problems:
            raise Refused(f"有 {len(problems)} 处不能迁移，未作任何修改；请先用 award case correct 把案件退回到"
                          "新版本也有的状态，或等定时执行后再迁移",
                          [Verdict(passed=False, guard="migrate", rule=MIGRATION_RULE, reason=p) for p in problems])
        done = [Migration(ref=row.ref, procedure=row.procedure, state=row.state, from_version=old.version,
                          to_version=new.version) for row, old, new in plan]
        if dry_run:
            s.rollback()
            return done
        for row, old, new in plan:
            _move(engine, s, row, old, new, actor=actor, reason=reason.strip())
    return done


def _cases(engine: Engine, s: Session, refs: Sequence[str], round_id: str | None) -> list[CaseRow]:
    if refs:
        return [engine.case_row(s, ref) for ref in dict.fromkeys(refs)]
    assert round_id is not None
    if s.get(RoundRow, round_id) is None:
        raise RoundLookupError(round_id)
    return list(s.exec(select(CaseRow).where(CaseRow.round_id == round_id).order_by(col(CaseRow.id))).all())


def _older(version: str, than: str) -> bool:
    from .specs.catalog import version_key

    return version_key(version) < version_key(than)


def _move(engine: Engine, s: Session, row: CaseRow, old: ProcessSpec, new: ProcessSpec, *, actor: Actor,
          reason: str) -> None:
    result = s.execute(update(CaseRow).where(col(CaseRow.id) == row.id, col(CaseRow.version) == row.version)
                       .values(definition_version=new.version, definition_hash=new.content_hash,
                               version=row.version + 1)
                       .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(row.ref)
    s.refresh(row)
    data: dict[str, Any] = {"from_version": old.version, "to_version": new.version,
                            "from_hash": old.content_hash, "to_hash": new.content_hash}
    engine.record_event(s, row, kind=EventKind.DEFINITION_MIGRATED, actor=actor, comment=reason, data=data)
