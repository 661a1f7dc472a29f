"""The facts guards see, assembled from rows: the one place that turns the case's party, round, records,
other cases, notes and overrides into `CaseFacts`, whoever ran the SELECTs.

The statements are written once, from the table definitions, in `gather.py` (`FACT_STATEMENTS`); the
engine runs them on its session (`store.Prepared`), the plain read path (`plainread.py`) runs the same
statements compiled for SQLite through `sqlite3`. Both hand this module a `FactRows`: a statement's
name and parameters in, its rows out (values as the ORM gives them). Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .facts import CaseFacts, Deferred, NoteFacts, PartyFacts, RecordFacts, RoundFacts, matches
from .specs.fields import to_python
from .timing.clock import cn_date, local_date, utc

if TYPE_CHECKING:
    from .abc import Calendar
    from .specs.model import ProcessSpec

__all__ = ["FactRows", "LabelSource", "assemble_facts", "count_matching", "note_facts", "party_facts", "party_names_of",
           "round_facts"]


class FactRows(Protocol):
    """Runs one of `gather.FACT_STATEMENTS` by name and returns its rows as tuples."""

    def __call__(self, statement: str, params: Mapping[str, Any], /) -> list[tuple[Any, ...]]: ...


class _Labels(Protocol):
    def label_of(self, state: str) -> str: ...


class LabelSource(Protocol):
    """A catalogue (the checked one or the labels' cache): the state labels of other cases."""

    def get(self, procedure: str, version: str | None = None) -> Any: ...


def party_facts(v: Sequence[Any], *, records: Sequence[RecordFacts] = (),
                other_cases: Sequence[Mapping[str, Any]] = ()) -> PartyFacts:
    """The party's columns as the `facts` statement selects them."""
    return PartyFacts(id=v[0], kind=v[1], name=v[2], code=v[3], registered_on=v[4], attrs=dict(v[5] or {}),
                      contact={"email": v[6], "phone": v[7], "district": v[8]}, records=records,
                      other_cases=other_cases)


def round_facts(v: Sequence[Any]) -> RoundFacts:
    """The round's columns as the `facts` statement selects them."""
    return RoundFacts(id=v[0], procedure=v[1], year=v[2], opened_on=v[3],
                      dates={k: datetime.fromisoformat(d) for k, d in (v[4] or {}).items()},
                      properties=dict(v[5] or {}))


def assemble_facts(rows: FactRows, catalog: LabelSource, spec: ProcessSpec, row: Any,
                   data: Mapping[str, Any] | None, *, now: datetime, calendar: Calendar | None,
                   count_cases: Callable[..., int],
                   known: tuple[PartyFacts, RoundFacts, int] | None = None) -> CaseFacts:
    """What guards may read of a case (`row`: its columns, ORM or plain): its form (or `data`, the form after
    the step), its party and round (`known`, when the caller holds them, with the open objections), the
    party's other cases and records, its notes and overrides, the clock and the calendar.

    The party, the round and the count of open objections come in one statement (every step gathers them);
    records, other cases and notes only when a guard reads them (`Deferred`).
    """
    case_id, stored, entered_at = row.id, row.data, row.entered_at  # each read once: an ORM read costs ~3 k instructions
    if known is None:
        found = rows("facts", {"party_id": row.party_id, "round_id": row.round_id, "case_id": case_id or 0})
        assert found, "a case's party and round exist (foreign keys)"
        columns = found[0]
        party_id, round_, open_objections = columns[0], round_facts(columns[9:15]), columns[15]
    else:
        held, round_, open_objections = known
        party_id = held.id

    def records() -> Iterator[RecordFacts]:
        for r in rows("records", {"party_id": party_id}):
            yield RecordFacts(procedure=r[0], award=r[1], label=r[2], awarded_on=r[3], revoked_on=r[4],
                              bar_until=r[5], source=r[6], reason=r[7], rule=r[8])

    def other_cases() -> Iterator[Mapping[str, Any]]:
        for c_id, ref, round_id, year, procedure, closed, state, version in rows("other_cases",
                                                                                {"party_id": party_id}):
            if c_id != case_id:
                yield {"ref": ref, "round": round_id, "year": year, "procedure": procedure, "closed": closed,
                       "state": state, "state_label": _label(catalog, procedure, version, state)}

    def notes() -> Iterator[NoteFacts]:
        return iter(()) if case_id is None else note_facts(rows, case_id)

    records_later, others_later = Deferred(records), Deferred(other_cases)  # read when a guard needs them
    party = (party_facts(columns[:9], records=records_later, other_cases=others_later) if known is None
             else dataclasses.replace(held, records=records_later, other_cases=others_later))
    form = to_python(spec.fields, {**(stored if data is None else data)})
    before = dict(form) if data is None else to_python(spec.fields, dict(stored))
    return CaseFacts(
        spec=spec, case_id=case_id, ref=row.ref, track=row.track, state=row.state, data=form,
        party=party,
        round=round_, now=now, today=local_date(now), calendar=calendar,
        count_cases=count_cases, open_objections=int(open_objections),
        entered_at=utc(entered_at) if entered_at is not None else None,
        before=before,
        names=party_names_of(rows, spec.fields, form),
        overrides=_overrides(rows, case_id) if case_id is not None and spec.overridable else {},
        notes=Deferred(notes),
    )


def note_facts(rows: FactRows, case_id: int) -> Iterator[NoteFacts]:
    """The case's recorded events that moved no state, oldest first (entries, findings, consultations)."""
    for seq, kind, actor, at, payload, comment in rows("notes", {"case_id": case_id}):
        yield NoteFacts(seq=seq, kind=kind, actor=actor, at=utc(at), data=dict(payload), comment=comment)


def party_names_of(rows: FactRows, fields: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, str]:
    """Registered parties named by the form's `party` fields (a recommender): code -> name."""
    codes = sorted({str(form[k]) for k, fs in fields.items() if fs.type == "party" and form.get(k)})
    return {code: name for c in codes for code, name in rows("party_name", {"code": c})}


def _overrides(rows: FactRows, case_id: int) -> dict[str, str]:
    """The rules the office excused for this case (`--override`), from its history: rule -> who, when, why."""
    out: dict[str, str] = {}
    for actor, at, data in rows("overrides", {"case_id": case_id}):
        excused = data.get("override") if isinstance(data, dict) else None
        if isinstance(excused, dict):
            for rule in excused.get("rules", []):
                out[str(rule)] = f"已由{actor}于{cn_date(local_date(utc(at)))}破例准许：{excused.get('reason', '')}"
    return out


def _label(catalog: LabelSource, procedure: str, version: str, state: str) -> str:
    try:
        spec: _Labels = catalog.get(procedure, version)
        return spec.label_of(state)
    except LookupError:
        return state


def count_matching(cases: Iterable[Sequence[Any]], exclude: int | None, states: Sequence[str] | None,
                   where: Mapping[str, Any] | None) -> int:
    """`count_cases` over the round's cases as the `round_cases` statement gives them (id, state, track, form):
    those other than `exclude`, in `states`, whose fields (or track) match `where`."""
    wanted = None if states is None else set(states)
    return sum(1 for c_id, state, track, data in cases
               if c_id != exclude and (wanted is None or state in wanted) and matches({**data, "track": track}, where))
