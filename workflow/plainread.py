"""`show` and `history` on a SQLite file without the ORM: what lets a clerk's read start fast.

Importing SQLAlchemy, SQLModel and the engine costs a read command most of its time while the
SELECTs it needs are a handful of indexed lookups. So the read path runs those SELECTs through the
standard library's `sqlite3`: their text is compiled once by SQLAlchemy from the table definitions
(`plainsql.py`) and kept in the cache folder (`AWARD_CACHE_DIR`, else `~/.cache/award`), keyed by the
code that defines the tables. Values come back as the ORM gives them (times, dates, JSON, booleans by
the columns' types), and the views are built by the same functions the engine uses (`readviews.py`),
so the output is the same byte for byte.

The plain path answers only the common case and says `None` for everything else, so the caller
takes the engine's path, which gives the full behaviour and every error message:
- who is acting is a roster member bound to this OS login (not `--as`, not a shared PC, not a
  stranger, not disabled) and the roster's seal holds;
- the acting member is no expert (an expert's access to a case is the review's decision);
- the database is at this program's schema version, and the case's definition is unchanged;
- for `show`: the case's award is not revoked (what a revocation set going is the engine's to read), and
  nothing its triggers' guards raise (an unknown calendar year, ...): the engine raises it again.
An open case's guards are evaluated on the checked definition and on facts read by the engine's own
statements (`gather.FACT_STATEMENTS`, compiled here like the others) and assembled by its own code.
Any `sqlite3` error (a locked, damaged or missing file) also means `None`: the engine reports it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CaseLookupError
from .inputs import row_id
from .plainfile import COUNTED_KEYS, PlainFile, _Fallback, compiled_statements
from .readviews import case_list_row, case_view, event_view, party_view, retention_view
from .sealmac import mac, read_key, roster_member, roster_payload
from .views import Actor, CaseHeader, CaseView, EventView, TriggerView

if TYPE_CHECKING:
    from .abc import Calendar
    from .facts import CaseFacts, NoteFacts
    from .specs.model import ProcessSpec
    from .specs.readspec import ReadCatalog, ReadSpec, SpecLabels

__all__ = ["PlainReader", "compiled_statements"]


@dataclass(kw_only=True)
class PlainReader(PlainFile):
    """Reads of one SQLite file through `sqlite3`, read-only; every method returns None to mean "ask the engine".

    Attributes:
        path, busy_timeout: the file and how long to wait for a writer's lock (`PlainFile`).
        catalog: the checked definitions' labels (from their cache: specs/readspec.py, no pydantic).
        key_path: the seal key (`secrets/history.key` of the office data folder).
        calendar: the office's working-day calendar, made when a guard of an open case may need it.
    """

    catalog: ReadCatalog
    key_path: Path
    calendar: Callable[[], Calendar] | None = None

    def _facts_rows(self, statement: str, params: Mapping[str, Any], /) -> list[tuple[Any, ...]]:
        """The facts' statements (`gather.FACT_STATEMENTS`), as the engine runs them on its session."""
        return self._tuples(f"facts.{statement}", params)

    # --------------------------------------------------------------- reads

    def actor(self, login: str | None) -> Actor | None:
        """The roster member bound to `login` (as `Roster.resolve` finds them), when the roster's seal holds."""
        if login is None:
            return None
        result: Actor | None = self._answer(lambda: self._actor(login))
        return result

    def _actor(self, login: str) -> Actor:
        self._check_roster()
        accounts = self._rows("account_by_login", login=login)
        if not accounts or accounts[0].disabled:
            raise _Fallback  # a stranger or a disabled member: the engine refuses, naming the rule
        staff = self._rows("staff_by_name", name=accounts[0].name)
        if not staff:
            raise _Fallback
        if self._rows("expert_of_staff", name=staff[0].name):
            raise _Fallback  # an expert reads only assigned cases: the review decides (review/access.py)
        return Actor(name=staff[0].name, roles=tuple(g for g in staff[0].roles if "@" in g), on_roster=True,
                     identity="bound", login=login)

    def _check_roster(self) -> None:
        """As `Sealer.check_roster`: any doubt, and the engine's path checks and reports it."""
        seal = self._rows("roster_seal")
        if not seal:
            if self._rows("any_staff_change") and self.key_path.is_file():
                raise _Fallback
            return
        if not self.key_path.is_file():
            raise _Fallback
        last = self._rows("last_staff_change")
        accounts = {a.name: a for a in self._rows("accounts")}
        members = []
        for r in self._rows("staff"):
            account = accounts.get(r.name)
            members.append(roster_member(name=r.name, roles=r.roles, email=r.email,
                                         login=account.login if account else None,
                                         phone=account.phone if account else None,
                                         disabled=bool(account and account.disabled)))
        payload = roster_payload(last[0].hash if last else None, last[0].seq if last else 0, members)
        if not hmac.compare_digest(seal[0].seal, mac(read_key(self.key_path), "roster", payload)):
            raise _Fallback

    def _case(self, ref: str) -> tuple[Any, ReadSpec]:
        text = str(ref).strip()
        rows = []
        if (number := row_id(text)) is not None:
            rows = self._rows("case_by_id", id=number)
        if not rows:
            rows = self._rows("case_by_ref", ref=text.upper())
        if not rows:
            raise CaseLookupError(text)
        row = rows[0]
        try:
            spec = self.catalog.get(row.procedure, row.definition_version)
        except LookupError:
            raise _Fallback from None
        if spec.content_hash != row.definition_hash:
            raise _Fallback  # the engine refuses it (DefinitionChanged)
        return row, spec

    def history(self, ref: str, *, limit: int | None, offset: int) -> tuple[CaseHeader, list[EventView]] | None:
        """As `reads.case_history`."""
        result: tuple[CaseHeader, list[EventView]] | None = self._answer(lambda: self._history(ref, limit, offset))
        return result

    def _history(self, ref: str, limit: int | None, offset: int) -> tuple[CaseHeader, list[EventView]]:
        row, spec = self._case(ref)
        party = self._rows("party", id=row.party_id)
        events = self._rows("events", case_id=row.id, limit=-1 if limit is None else limit, offset=offset)
        views = [event_view(spec, e) for e in events]
        return CaseHeader(id=row.id, ref=row.ref, procedure=spec.id, procedure_title=spec.title,
                          definition_version=spec.version, round_id=row.round_id, party_name=party[0].name,
                          track=row.track, track_label=spec.tracks[row.track].label, state=row.state,
                          state_label=spec.label_of(row.state), events=row.events), views

    def round_cases(self, round_id: str, *, limit: int, offset: int, open_only: bool) -> list[dict[str, Any]] | None:
        """As `finder.find_cases` for a page of one round's cases (no other filter); an unknown round: the engine."""
        result: list[dict[str, Any]] | None = self._answer(lambda: self._round_cases(round_id, limit, offset,
                                                                                     open_only))
        return result

    def office_cases(self, *, limit: int, offset: int, open_only: bool) -> list[dict[str, Any]] | None:
        """As `finder.find_cases` for a page of the office's cases with no filter (every procedure and round)."""
        result: list[dict[str, Any]] | None = self._answer(lambda: [
            case_list_row(self.catalog, c, c.party_name, None)
            for c in self._rows("office_open_cases" if open_only else "office_cases", limit=limit, offset=offset)])
        return result

    def _round_cases(self, round_id: str, limit: int, offset: int, open_only: bool) -> list[dict[str, Any]]:
        wanted = round_id.strip().lower()
        if not self._rows("round_by_id", id=wanted):
            raise _Fallback  # the engine names the rounds there are ("did you mean")
        out = []
        for c in self._rows("round_open_cases" if open_only else "round_cases", round_id=wanted, limit=limit,
                            offset=offset):
            out.append(case_list_row(self.catalog, c, c.party_name, None))
        return out

    def show(self, ref: str, *, actor: Actor | None = None) -> CaseView | None:
        """As `Engine.show(ref, actor=actor)`."""
        result: CaseView | None = self._answer(lambda: self._show(ref, actor))
        return result

    def _show(self, ref: str, actor: Actor | None) -> CaseView:
        row, labels = self._case(ref)
        if labels.recovery and self._rows("revoked_record_of_case", case_id=row.id):
            raise _Fallback  # what a revocation set going: the engine reads it (revocations.py)
        from .factrows import note_facts, party_names_of
        from .readviews import guards_apply, trigger_views
        from .specs.fields import to_python

        form = to_python(labels.fields, dict(row.data))
        if guards_apply(labels, row.state, form):
            return self._open(row, actor)
        # closed, or open with no guard that applies (a `when` the form does not match): the triggers, if any,
        # are listed from the labels, their required fields checked, without the models or the case's facts
        notes: list[NoteFacts] = []
        if labels.entries or labels.checklists:  # derived from the history, as Engine.show derives them
            notes = list(note_facts(self._facts_rows, row.id))
        return self._view(labels, row, triggers=trigger_views(labels, row, None, actor), form=form, notes=notes,
                          names=party_names_of(self._facts_rows, labels.fields, form))

    def _open(self, row: Any, actor: Actor | None) -> CaseView:
        """A case whose state offers triggers with guards that apply: those evaluated, as the engine does, on the checked
        definition (from the catalogue's own cache: this imports pydantic and the models) and on the case's
        facts (`_facts`)."""
        from .readviews import trigger_views
        from .timing.clock import system_clock

        try:
            spec, facts = self._facts(row, system_clock())
            triggers = trigger_views(spec, row, facts, actor)
        except _Fallback:
            raise
        except Exception:  # noqa: BLE001 - what a guard raises (an unknown calendar year, ...): the engine
            raise _Fallback from None  # raises it again and reports it as it always has
        return self._view(spec, row, triggers=triggers, form=facts.data, notes=list(facts.notes), names=facts.names)

    def case_facts(self, ref: str, now: datetime) -> CaseFacts | None:
        """As `Engine.case_facts` at `now` (what guards read of the case), or None."""
        result: CaseFacts | None = self._answer(lambda: self._facts(self._case(ref)[0], now)[1])
        return result

    def _facts(self, row: Any, now: datetime) -> tuple[ProcessSpec, CaseFacts]:
        """The case's checked definition and its facts, read by the engine's own statements
        (`gather.FACT_STATEMENTS`) and assembled by its own code (`factrows.assemble_facts`)."""
        from .factrows import assemble_facts, count_matching

        catalog = self.catalog.full()
        spec = catalog.get(row.procedure, row.definition_version)
        if spec.content_hash != row.definition_hash:
            raise _Fallback
        round_cases: list[tuple[Any, ...]] = []

        def count_cases(*, states: Sequence[str] | None = None, where: Mapping[str, Any] | None = None) -> int:
            condition = dict(where or {})
            keys = [k for k in condition if k != "track"]
            if len(keys) <= COUNTED_KEYS and all(isinstance(v, str) for e in condition.values()
                                                 for v in (e if isinstance(e, list) else [e])):
                return self._count(row, states, condition, keys)
            # a number, a yes/no or a date, as the engine does: compared in Python over the round's cases
            if not round_cases:
                round_cases.extend(self._facts_rows("round_cases", {"round_id": row.round_id}))
            return count_matching(round_cases, row.id, states, where)

        return spec, assemble_facts(self._facts_rows, catalog, spec, row, None, now=now,
                                    calendar=None if self.calendar is None else self.calendar(),
                                    count_cases=count_cases)

    def _count(self, row: Any, states: Sequence[str] | None, where: Mapping[str, Any], keys: list[str]) -> int:
        """`count_cases` when every value of `where` is text, as the engine's SQL COUNT compares them on SQLite
        (JSON_EXTRACT of the form's field, or the track): the round's other cases grouped by state, track and
        the fields' values in SQL (`plainsql.round_counts`), the groups `where` matches summed here."""
        from .facts import matches

        paths: dict[str, str | None] = {f"path_{i}": None for i in range(1, COUNTED_KEYS + 1)}
        paths.update({f"path_{i}": f'$."{key}"' for i, key in enumerate(keys, start=1)})  # as SQLAlchemy's
        wanted = None if states is None else set(states)  # JSON index on SQLite writes a field's path
        total = 0
        for state, track, *values, cases in self._tuples("round_counts", {"round_id": row.round_id,
                                                                         "exclude": row.id, **paths}):
            if (wanted is None or state in wanted) and matches({**dict(zip(keys, values)), "track": track}, where):
                total += cases
        return int(total)

    def _view(self, spec: SpecLabels, row: Any, *, triggers: Sequence[TriggerView], form: Mapping[str, Any],
              notes: Sequence[NoteFacts], names: Mapping[str, str]) -> CaseView:
        """The case with its party, timers, objections, entries, checklist and retention, as `Engine.show`."""
        entries: list[dict[str, Any]] = []
        checklist: tuple[dict[str, Any], ...] = ()
        if spec.entries or spec.checklists:
            from .caserecords import case_records, entries_of

            entries = entries_of(spec, notes)
            checklist = case_records(spec, form, notes)
        party = party_view(self._rows("party", id=row.party_id)[0])
        return case_view(spec, row, party=party, triggers=triggers, timers=self._rows("timers", case_id=row.id),
                         objections=self._rows("objections", case_id=row.id), names=names, entries=entries,
                         checklist=checklist,
                         retention=retention_view(spec, self._rows("retention_marks", case_id=row.id)))
