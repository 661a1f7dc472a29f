"""Gathering what a step reads and writes beside the case row: the facts guards see (from the
case's party, round, records and other cases) and the ledger effects write the party's history to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from .abc import Calendar, Clock
from .effects import Ledger
from .facts import CaseFacts, Deferred, NoteFacts, PartyFacts, RecordFacts, RoundFacts, matches
from .kinds import EventKind, ObjectionStatus
from .registers.office import party_names
from .specs.catalog import Catalog
from .specs.fields import to_python
from .specs.model import ProcessSpec
from .store import CaseRow, EventRow, ObjectionRow, PartyRecordRow, PartyRow, Prepared, RoundRow, utc
from .timing.clock import cn_date, local_date

__all__ = ["SessionLedger", "gather_facts"]


def gather_facts(s: Session, catalog: Catalog, spec: ProcessSpec, row: CaseRow,
                 data: Mapping[str, Any] | None = None, *, party: PartyRow | None = None,
                 round_row: RoundRow | None = None, now: datetime, calendar: Calendar | None) -> CaseFacts:
    """What guards may read of a case: its form (or `data`, the form after the step), its party and
    round, the party's other cases and records, the clock and the calendar.

    The party, the round and the count of open objections come in one prepared statement (every step
    gathers them); records and other cases only when a guard reads them (`Deferred`).
    """
    if party is None or round_row is None:
        found = _FACTS.first(s, {"party_id": row.party_id, "round_id": row.round_id, "case_id": row.id or 0})
        assert found is not None
        party_facts, round_facts, open_objections = _party_facts(found[:9]), _round_facts(found[9:15]), found[15]
    else:
        assert party.id is not None
        party_facts = _party_facts((party.id, party.kind, party.name, party.code, party.registered_on, party.attrs,
                                    party.email, party.phone, party.district))
        round_facts = _round_facts((round_row.id, round_row.procedure, round_row.year, round_row.opened_on,
                                    round_row.dates, round_row.properties))
        open_objections = 0
        if row.id is not None:
            open_objections = len(s.exec(select(ObjectionRow.id).where(
                ObjectionRow.case_id == row.id, ObjectionRow.status == ObjectionStatus.OPEN)).all())
    party_id, case_id = party_facts.id, row.id

    def records() -> Iterator[RecordFacts]:
        for r in s.exec(select(PartyRecordRow).where(PartyRecordRow.party_id == party_id)).all():
            yield RecordFacts(procedure=r.procedure, award=r.award, label=r.label, awarded_on=r.awarded_on,
                              revoked_on=r.revoked_on, bar_until=r.bar_until, source=r.source, reason=r.reason,
                              rule=r.rule)

    def other_cases() -> Iterator[Mapping[str, Any]]:
        others = s.exec(select(CaseRow, RoundRow).join(RoundRow, col(CaseRow.round_id) == col(RoundRow.id))
                        .where(CaseRow.party_id == party_id)).all()
        for c, r in others:
            if c.id != case_id:
                yield {"ref": c.ref, "round": c.round_id, "year": r.year, "procedure": c.procedure,
                       "closed": c.closed, "state": c.state, "state_label": _label(catalog, c)}

    def notes() -> Iterator[NoteFacts]:
        if case_id is None:
            return
        moved = (EventKind.CREATED, EventKind.TRANSITION)
        for e in s.exec(select(EventRow).where(EventRow.case_id == case_id, col(EventRow.kind).not_in(moved))
                        .order_by(col(EventRow.seq))).all():
            yield NoteFacts(seq=e.seq, kind=e.kind, actor=e.actor, at=utc(e.business_time), data=dict(e.data),
                            comment=e.comment)

    form = to_python(spec.fields, {**(row.data if data is None else data)})
    before = dict(form) if data is None else to_python(spec.fields, dict(row.data))
    codes = {str(form[k]) for k, fs in spec.fields.items() if fs.type == "party" and form.get(k)}
    return CaseFacts(
        spec=spec, case_id=row.id, ref=row.ref, track=row.track, state=row.state, data=form,
        party=dataclasses.replace(party_facts, records=Deferred(records), other_cases=Deferred(other_cases)),
        round=round_facts, now=now, today=local_date(now), calendar=calendar,
        count_cases=_counter(s, round_facts.id, row.id), open_objections=int(open_objections),
        entered_at=utc(row.entered_at) if row.entered_at is not None else None,
        before=before,
        names=party_names(s, codes),
        overrides=_overrides(s, row.id) if row.id is not None and spec.overridable else {},
        notes=Deferred(notes),
    )


def _overrides(s: Session, case_id: int) -> dict[str, str]:
    """The rules the office excused for this case (`--override`), from its history: rule -> who, when, why."""
    out: dict[str, str] = {}
    for actor, at, data in s.exec(select(EventRow.actor, EventRow.business_time, EventRow.data)
                                  .where(EventRow.case_id == case_id).order_by(col(EventRow.seq))).all():
        excused = data.get("override") if isinstance(data, dict) else None
        if isinstance(excused, dict):
            for rule in excused.get("rules", []):
                out[str(rule)] = f"已由{actor}于{cn_date(local_date(utc(at)))}破例准许：{excused.get('reason', '')}"
    return out


def _party_facts(v: Sequence[Any]) -> PartyFacts:
    return PartyFacts(id=v[0], kind=v[1], name=v[2], code=v[3], registered_on=v[4], attrs=dict(v[5] or {}),
                      contact={"email": v[6], "phone": v[7], "district": v[8]})


def _round_facts(v: Sequence[Any]) -> RoundFacts:
    return RoundFacts(id=v[0], procedure=v[1], year=v[2], opened_on=v[3],
                      dates={k: datetime.fromisoformat(d) for k, d in (v[4] or {}).items()},
                      properties=dict(v[5] or {}))


def _facts_statement() -> Any:
    """The party's and round's columns facts read, and the case's open objections, in one SELECT."""
    p, r, o = (PartyRow.__table__, RoundRow.__table__, ObjectionRow.__table__)  # type: ignore[attr-defined]
    objections = (sa_select(func.count()).select_from(o)
                  .where(o.c.case_id == bindparam("case_id"), o.c.status == ObjectionStatus.OPEN).scalar_subquery())
    return (sa_select(p.c.id, p.c.kind, p.c.name, p.c.code, p.c.registered_on, p.c.attrs, p.c.email, p.c.phone,
                      p.c.district, r.c.id, r.c.procedure, r.c.year, r.c.opened_on, r.c.dates, r.c.properties,
                      objections)
            .where(p.c.id == bindparam("party_id"), r.c.id == bindparam("round_id")))


_FACTS = Prepared(_facts_statement)


def _label(catalog: Catalog, row: CaseRow) -> str:
    try:
        return catalog.get(row.procedure, row.definition_version).label_of(row.state)
    except LookupError:
        return row.state


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
                return _count_in_python(s, round_id, exclude, states, where)
            column = col(CaseRow.track) if key == "track" else col(CaseRow.data)[key].as_string()
            q = q.where(column.in_(allowed))
        return int(s.execute(q).scalar_one())

    return count


def _count_in_python(s: Session, round_id: str, exclude: int | None, states: Sequence[str] | None,
                     where: Mapping[str, Any] | None) -> int:
    q = select(CaseRow).where(CaseRow.round_id == round_id)
    if states is not None:
        q = q.where(col(CaseRow.state).in_(list(states)))
    return sum(1 for c in s.exec(q).all() if c.id != exclude and matches({**c.data, "track": c.track}, where))


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
