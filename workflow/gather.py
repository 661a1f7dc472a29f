"""Gathering what a step reads and writes beside the case row: the facts guards see (from the
case's party, round, records and other cases) and the ledger effects write the party's history to.

The facts' SELECTs are written here once, from the table definitions (`FACT_STATEMENTS`); the engine
runs them on its session through `store.Prepared`, the plain read path (`plainread.py`) runs the same
statements compiled for SQLite (`plainsql.py`), and both assemble the facts in `factrows.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from .abc import Calendar, Clock
from .effects import Ledger
from .factrows import assemble_facts, count_matching, party_facts, round_facts
from .facts import CaseFacts
from .kinds import EventKind, ObjectionStatus
from .store import CaseRow, EventRow, ObjectionRow, PartyRecordRow, PartyRow, Prepared, RoundRow, values_of

if TYPE_CHECKING:
    from .specs.catalog import Catalog
    from .specs.model import ProcessSpec

__all__ = ["FACT_STATEMENTS", "SessionLedger", "gather_facts"]


def gather_facts(s: Session, catalog: Catalog, spec: ProcessSpec, row: CaseRow,
                 data: Mapping[str, Any] | None = None, *, party: PartyRow | None = None,
                 round_row: RoundRow | None = None, now: datetime, calendar: Calendar | None) -> CaseFacts:
    """What guards may read of a case (`factrows.assemble_facts`), read through the step's session.

    A step that holds the party and the round already (`party`, `round_row`) reads only the case's open
    objections; otherwise one prepared statement reads all three.
    """
    known = None
    if party is not None and round_row is not None:
        assert party.id is not None
        open_objections = 0
        if row.id is not None:
            open_objections = len(s.exec(select(ObjectionRow.id).where(
                ObjectionRow.case_id == row.id, ObjectionRow.status == ObjectionStatus.OPEN)).all())
        known = (party_facts((party.id, party.kind, party.name, party.code, party.registered_on, party.attrs,
                              party.email, party.phone, party.district)),
                 round_facts((round_row.id, round_row.procedure, round_row.year, round_row.opened_on,
                              round_row.dates, round_row.properties)),
                 open_objections)

    def rows(statement: str, params: Mapping[str, Any], /) -> list[tuple[Any, ...]]:
        return _PREPARED[statement].rows(s, dict(params))

    case = SimpleNamespace(**values_of(row))  # read ten times: plain attributes, not the ORM's (~3 k each)
    round_id = case.round_id if round_row is None else round_row.id
    return assemble_facts(rows, catalog, spec, case, data, now=now, calendar=calendar,
                          count_cases=_counter(s, round_id, case.id), known=known)


# --------------------------------------------------------------- the statements, written once


def _tables() -> tuple[Any, ...]:
    return (CaseRow.__table__, EventRow.__table__, PartyRow.__table__, RoundRow.__table__,  # type: ignore[attr-defined]
            ObjectionRow.__table__, PartyRecordRow.__table__)  # type: ignore[attr-defined]


def _facts_statement() -> Any:
    """The party's and round's columns facts read, and the case's open objections, in one SELECT."""
    _c, _e, p, r, o, _pr = _tables()
    objections = (sa_select(func.count()).select_from(o)
                  .where(o.c.case_id == bindparam("case_id"), o.c.status == str(ObjectionStatus.OPEN))
                  .scalar_subquery().label("open_objections"))
    return (sa_select(p.c.id, p.c.kind, p.c.name, p.c.code, p.c.registered_on, p.c.attrs, p.c.email, p.c.phone,
                      p.c.district, r.c.id, r.c.procedure, r.c.year, r.c.opened_on, r.c.dates, r.c.properties,
                      objections)
            .where(p.c.id == bindparam("party_id"), r.c.id == bindparam("round_id")))


def _records_statement() -> Any:
    """The party's history (awards, revocations, bars), in the order they were written."""
    record = _tables()[5]
    return (sa_select(record.c.procedure, record.c.award, record.c.label, record.c.awarded_on, record.c.revoked_on,
                      record.c.bar_until, record.c.source, record.c.reason, record.c.rule)
            .where(record.c.party_id == bindparam("party_id")).order_by(record.c.id))


def _other_cases_statement() -> Any:
    """The party's cases (the case itself is skipped by the caller) with their round's year."""
    c, _e, _p, r, _o, _pr = _tables()
    return (sa_select(c.c.id, c.c.ref, c.c.round_id, r.c.year, c.c.procedure, c.c.closed, c.c.state,
                      c.c.definition_version)
            .join(r, c.c.round_id == r.c.id).where(c.c.party_id == bindparam("party_id")).order_by(c.c.id))


def _notes_statement() -> Any:
    """The case's events that moved no state, oldest first."""
    e = _tables()[1]
    return (sa_select(e.c.seq, e.c.kind, e.c.actor, e.c.business_time, e.c.data, e.c.comment)
            .where(e.c.case_id == bindparam("case_id"), e.c.kind != str(EventKind.CREATED),
                   e.c.kind != str(EventKind.TRANSITION))
            .order_by(e.c.seq))


def _overrides_statement() -> Any:
    """Who wrote each event of the case, when, and its payload (an `override` in it excuses rules)."""
    e = _tables()[1]
    return (sa_select(e.c.actor, e.c.business_time, e.c.data).where(e.c.case_id == bindparam("case_id"))
            .order_by(e.c.seq))


def _party_name_statement() -> Any:
    """A registered party's name by its code (what a `party` field, such as a recommender, stores)."""
    p = _tables()[2]
    return sa_select(p.c.code, p.c.name).where(p.c.code == bindparam("code"))


def _round_cases_statement() -> Any:
    """Every case of a round with what `count_cases` compares in Python (`factrows.count_matching`)."""
    c = _tables()[0]
    return (sa_select(c.c.id, c.c.state, c.c.track, c.c.data).where(c.c.round_id == bindparam("round_id"))
            .order_by(c.c.id))


FACT_STATEMENTS: dict[str, Callable[[], Any]] = {
    "facts": _facts_statement, "records": _records_statement, "other_cases": _other_cases_statement,
    "notes": _notes_statement, "overrides": _overrides_statement, "party_name": _party_name_statement,
    "round_cases": _round_cases_statement,
}
"""The facts' statements by name (`factrows.FactRows` runs them): built from the tables, bound by name."""

_PREPARED = {name: Prepared(build) for name, build in FACT_STATEMENTS.items()}


def _counter(s: Session, round_id: str, exclude: int | None) -> Callable[..., int]:
    """`count_cases` for guards: the other cases of the round in `states` whose fields match `where`.

    One SQL COUNT when every value in `where` is text (quotas by level and category, limits per
    recommender: all the definitions write). A condition on a number, a yes/no or a date, which JSON
    stores unlike text in SQLite and PostgreSQL, is compared in Python over the round's cases.
    """

    def count(*, states: Sequence[str] | None = None, where: Mapping[str, Any] | None = None) -> int:
        q = select(func.count()).select_from(CaseRow).where(col(CaseRow.round_id) == round_id)
        if exclude is not None:
            q = q.where(col(CaseRow.id) != exclude)
        if states is not None:
            q = q.where(col(CaseRow.state).in_(list(states)))
        for key, expected in (where or {}).items():
            allowed = expected if isinstance(expected, list) else [expected]
            if not all(isinstance(v, str) for v in allowed):
                return count_matching(_PREPARED["round_cases"].rows(s, {"round_id": round_id}), exclude, states,
                                      where)
            column = col(CaseRow.track) if key == "track" else col(CaseRow.data)[key].as_string()
            q = q.where(column.in_(allowed))
        return int(s.execute(q).scalar_one())

    return count


class SessionLedger(Ledger):
    """Effects write the party's history through the step's own session."""

    def __init__(self, s: Session, clock: Clock) -> None:
        self.s = s
        self.clock = clock

    def record_award(self, *, party_id: int, procedure: str, award: str, label: str, awarded_on: Any,
                     case_id: int | None) -> None:
        self.s.add(PartyRecordRow(party_id=party_id, procedure=procedure, award=award, label=label,
                                  awarded_on=awarded_on, case_id=case_id, source="case", created_at=self.clock()))

    def revoke_award(self, *, party_id: int, case_id: int, revoked_on: Any, bar_until: Any, reason: str,
                     rule: str) -> None:
        rows = self.s.exec(select(PartyRecordRow).where(PartyRecordRow.case_id == case_id,
                                                        PartyRecordRow.party_id == party_id)).all()
        for r in rows:
            r.revoked_on, r.bar_until, r.reason, r.rule = revoked_on, bar_until, reason, rule
            self.s.add(r)
