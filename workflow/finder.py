"""Finding cases by what people remember: a party, part of a name, a track, a state label, dates, deadlines.

Every filter that names something (a procedure, a round, a state, a track) must name something that
exists: a typo is an error with the nearest names ("did you mean"), never an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from .errors import NameLookupError
from .names import nearest, resolve_state
from .readviews import case_list_row
from .specs.model import ProcessSpec
from .store import CaseRow, PartyRow, RoundRow, TimerRow, utc
from .timing.clock import SHANGHAI

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["CaseFilter", "find_cases", "working_days_ahead"]

DEADLINE_KINDS = ("transition", "mark", "duty")


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseFilter:
    """What `award cases` was asked for; None means any.

    Attributes:
        party: a party's id, code or exact name.
        name: part of the party's name.
        entered_after / entered_before: the day the case entered its current state (Asia/Shanghai).
        due_within: working days within which one of the case's deadlines falls.
    """

    procedure: str | None = None
    round_id: str | None = None
    state: str | None = None
    track: str | None = None
    party: str | None = None
    name: str | None = None
    entered_after: date | None = None
    entered_before: date | None = None
    due_within: int | None = None
    open_only: bool = False
    limit: int | None = None  # a page: cost grows with the page, not with the database
    offset: int = 0


def working_days_ahead(engine: Engine, days: int) -> datetime:
    """The end of the `days`-th working day from now (the calendar's own arithmetic)."""
    from .timing.periods import due, parse_period

    assert engine.calendar is not None
    return due(parse_period(f"{days} working days"), engine.clock(), engine.calendar, start_day_counts=False).at


def find_cases(engine: Engine, f: CaseFilter) -> list[dict[str, Any]]:
    """Cases matching every filter, for tables and JSON.

    Raises:
        NameLookupError: a procedure, round, state or track that does not exist (exit 4).
    """
    specs = engine.catalog.specs()
    with engine.db.session() as s:
        rounds = list(s.exec(select(RoundRow)).all())
        spec = _procedure(specs, f.procedure) if f.procedure else None
        if f.round_id:
            rnd = next((r for r in rounds if r.id == f.round_id.strip().lower()), None)
            if rnd is None:
                ids = [r.id for r in rounds]
                raise NameLookupError("评审轮次", f.round_id, nearest(f.round_id, ids), ids)
            spec = spec or engine.catalog.get(rnd.procedure)
        candidates = [spec] if spec else specs
        states = _states(candidates, f.state) if f.state else None
        tracks = _tracks(candidates, f.track) if f.track else None
        q = select(CaseRow, PartyRow).join(PartyRow, col(CaseRow.party_id) == col(PartyRow.id))
        if spec is not None:
            q = q.where(CaseRow.procedure == spec.id)
        if f.round_id:
            q = q.where(CaseRow.round_id == f.round_id.strip().lower())
        if states is not None:
            q = q.where(col(CaseRow.state).in_(states))
        if tracks is not None:
            q = q.where(col(CaseRow.track).in_(tracks))
        if f.open_only:
            q = q.where(col(CaseRow.closed).is_(False))
        if f.party:
            party = engine.office._party_row(s, f.party)
            q = q.where(CaseRow.party_id == party.id)
        if f.name:
            q = q.where(col(PartyRow.name).contains(f.name.strip()))
        if f.entered_after:
            q = q.where(col(CaseRow.entered_at) >= datetime.combine(f.entered_after, time(), SHANGHAI).astimezone(UTC))
        if f.entered_before:
            q = q.where(col(CaseRow.entered_at) < datetime.combine(f.entered_before, time(), SHANGHAI).astimezone(UTC))
        due: dict[int, datetime] = {}
        if f.due_within is not None:
            until = working_days_ahead(engine, f.due_within)
            for t in s.exec(select(TimerRow).where(col(TimerRow.status).in_(["pending", "held"]),
                                                   col(TimerRow.kind).in_(DEADLINE_KINDS),
                                                   col(TimerRow.due_at) <= until)):
                first = due.get(t.case_id)
                due[t.case_id] = min(first, utc(t.due_at)) if first else utc(t.due_at)
            q = q.where(col(CaseRow.id).in_(list(due)))
        out = []
        q = q.order_by(col(CaseRow.id)).offset(f.offset)
        for c, p in s.exec(q if f.limit is None else q.limit(f.limit)).all():
            out.append(case_list_row(engine.catalog, c, p.name, due.get(c.id or 0)))
        return out


def _procedure(specs: list[ProcessSpec], text: str) -> ProcessSpec:
    word = text.strip()
    for spec in specs:
        if word.lower() == spec.id or word == spec.title:
            return spec
    names = [f"{s.title}（{s.id}）" for s in specs]
    hits = nearest(word.lower(), [*(s.id for s in specs), *(s.title for s in specs)])
    raise NameLookupError("流程", text, [n for s, n in zip(specs, names, strict=True) if s.id in hits or s.title in hits],
                          names)


def _states(specs: list[ProcessSpec], text: str) -> list[str]:
    found: list[str] = []
    error: NameLookupError | None = None
    for spec in specs:
        try:
            found.append(resolve_state(spec, text))
        except NameLookupError as exc:
            error = error or exc
    if found:
        return found
    if len(specs) == 1 and error is not None:
        raise error
    everything = {f"{st.label}（{st.name}）": st for spec in specs for st in spec.states}
    hits = nearest(text, [*(st.name for st in everything.values()), *(st.label for st in everything.values())])
    raise NameLookupError("状态", text, [k for k, st in everything.items() if st.name in hits or st.label in hits])


def _tracks(specs: list[ProcessSpec], text: str) -> list[str]:
    word = text.strip()
    found = [k for spec in specs for k, t in spec.tracks.items() if word in (k, t.label)]
    found = found or [k for spec in specs for k, t in spec.tracks.items() if word and word in t.label]
    if found:
        return found
    everything = {f"{t.label}（{k}）": (k, t.label) for spec in specs for k, t in spec.tracks.items()}
    hits = nearest(word, [x for pair in everything.values() for x in pair])
    raise NameLookupError("赛道", text, [n for n, (k, lab) in everything.items() if k in hits or lab in hits],
                          list(everything))

