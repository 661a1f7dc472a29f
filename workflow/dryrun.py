"""Dry runs: a step, a batch or a tick run for real inside one transaction that is then rolled back.

Guards, timers, effects and notifications all run exactly as they would, so the preview is what would
happen, not a guess; nothing is committed and nothing is delivered, so the database file stays
byte-identical. Each step inside runs under a savepoint (as it would run in its own transaction), so
a refused step is undone while the steps before it stay visible to those after it: a batch that
would fill a quota shows the quota refusing the last case.

Also here: `consequences`, which says when a trigger ends a case or revokes an award, so that the
command line asks before firing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from .logs import logger
from .store import CaseRow, EventRow, OutboxRow, TimerRow, utc

if TYPE_CHECKING:
    from .engine import Engine
    from .store import Database

__all__ = ["Preview", "consequences", "dry_run"]

_LOGGER = logger(__name__)


@dataclass(kw_only=True)
class Preview:
    """What a dry run would have changed (filled when the dry run ends).

    Attributes:
        events: (case ref, seq, kind, what) history events that would be appended.
        timers_planned: (case ref, timer id, what, due ISO time) timers that would be created.
        timers_changed: (case ref, timer id, what, old status, new status).
        notifications: (case ref, recipient, subject, status) notifications that would be written.
    """

    events: list[tuple[str, int, str, str]] = field(default_factory=list)
    timers_planned: list[tuple[str, int, str, str]] = field(default_factory=list)
    timers_changed: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    notifications: list[tuple[str, str, str, str]] = field(default_factory=list)


class _DryDatabase:
    """Stands in for `Database` during a dry run: every session is a savepoint of one outer transaction."""

    def __init__(self, real: Database, outer: Session) -> None:
        self.real, self.outer = real, outer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    @contextmanager
    def session(self) -> Iterator[Session]:
        nested = self.outer.begin_nested()
        try:
            yield self.outer
            nested.commit()
        except BaseException:
            nested.rollback()
            raise

    one_statement = session  # a deliverer's record too stays inside the rolled-back transaction


@contextmanager
def dry_run(engine: Engine) -> Iterator[Preview]:
    """Run the block's engine calls against a transaction that is rolled back at the end; nothing is delivered."""
    preview = Preview()
    real_db = engine.db
    deliver = engine.outbox.deliver_after_commit if engine.outbox is not None else False
    outer = Session(real_db.engine, expire_on_commit=False)
    try:
        if real_db.is_sqlite:
            # pysqlite opens no transaction before a SAVEPOINT, and releasing an outermost savepoint would
            # commit: an explicit BEGIN makes every savepoint nested inside a transaction we roll back.
            outer.connection().exec_driver_sql("BEGIN")
        marks = {name: outer.exec(select(func.max(col(table.id)))).one() or 0
                 for name, table in (("event", EventRow), ("timer", TimerRow), ("outbox", OutboxRow))}
        live = {t.id: t.status for t in outer.exec(select(TimerRow).where(col(TimerRow.status).in_(["pending", "held"])))}
        engine.db = _DryDatabase(real_db, outer)  # type: ignore[assignment]
        if engine.outbox is not None:
            engine.outbox.deliver_after_commit = False  # nothing is sent: nothing was committed
        yield preview
        outer.flush()
        _collect(engine, outer, preview, marks, live)
    finally:
        engine.db = real_db
        if engine.outbox is not None:
            engine.outbox.deliver_after_commit = deliver
        outer.rollback()
        outer.close()


def _collect(engine: Engine, s: Session, preview: Preview, marks: dict[str, int],
             live: dict[int | None, str]) -> None:
    cases = {c.id: c for c in s.exec(select(CaseRow))}
    names: dict[int | None, dict[str, str]] = {}
    for cid, c in cases.items():
        try:
            spec = engine.catalog.get(c.procedure, c.definition_version)
        except LookupError:
            names[cid] = {}
            continue
        names[cid] = {t.trigger: t.label for t in spec.transitions} | {k: v.label for k, v in spec.starts.items()}

    def ref(cid: int) -> str:
        return cases[cid].ref if cid in cases else "?"

    def what(cid: int, key: str | None) -> str:
        return names.get(cid, {}).get(key or "", key or "")

    for e in s.exec(select(EventRow).where(col(EventRow.id) > marks["event"]).order_by(col(EventRow.id))):
        preview.events.append((ref(e.case_id), e.seq, e.kind, what(e.case_id, e.trigger)))
    for t in s.exec(select(TimerRow).where(col(TimerRow.id) > marks["timer"]).order_by(col(TimerRow.id))):
        preview.timers_planned.append((ref(t.case_id), t.id or 0, what(t.case_id, t.trigger or t.duty or t.kind),
                                       utc(t.due_at).isoformat()))
    if live:
        for t in s.exec(select(TimerRow).where(col(TimerRow.id).in_([k for k in live if k is not None]))):
            if t.status != live[t.id]:
                preview.timers_changed.append((ref(t.case_id), t.id or 0,
                                               what(t.case_id, t.trigger or t.duty or t.kind), live[t.id], t.status))
    for o in s.exec(select(OutboxRow).where(col(OutboxRow.id) > marks["outbox"]).order_by(col(OutboxRow.id))):
        preview.notifications.append((ref(o.case_id), o.recipient, o.subject, o.status))


def consequences(engine: Engine, ref: str, trigger: str, *, state: str | None = None,
                 procedure: str | None = None) -> list[str]:
    """What cannot be taken back by an ordinary step: the case ends, or an award is revoked.

    Args:
        ref: the case (or, with `state` and `procedure`, none: a batch on a round).
    """
    if state is not None and procedure is not None:
        spec = engine.catalog.get(procedure)
    else:
        with engine.db.session() as s:
            row = engine.case_row(s, ref)
            spec, state = engine.spec_of(row), row.state
    transition = spec.transition(trigger, state)
    if transition is None:
        return []
    out = []
    if spec.state(transition.dest).final:
        out.append(f"案件将办结为“{spec.label_of(transition.dest)}”")
    if any(e.get("effect") == "revoke_award" for e in transition.effects):
        out.append("奖励将被撤销，并记入禁止申报期")
    return out
