"""Read paths whose cost follows the page asked for: a case's history a page at a time, with its heading.

`Engine.history` answers with the whole case view (guards evaluated over the case's facts) before
the events; a reader of the history needs only the heading and the events. Each query here is one
indexed lookup (the case by id or number, its party, a page of its events by `(case_id, seq)`), so
its cost does not grow with the office's data (tests/workflow/test_query_plans.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import col, select

from .store import EventRow, PartyRow
from .views import CaseHeader, EventView

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["case_history", "page"]

Q = TypeVar("Q", bound=Any)


def page(query: Q, limit: int | None, offset: int = 0) -> Q:
    """One page of an ordered SELECT (`limit` None: to the end); the one place lists are cut into pages."""
    query = query.offset(offset) if offset else query
    return query if limit is None else query.limit(limit)  # type: ignore[no-any-return]


def case_history(engine: Engine, ref: str | int, *, limit: int | None = None,
                 offset: int = 0) -> tuple[CaseHeader, list[EventView]]:
    """A case's heading and a page of its history, oldest first (`limit` None: to the end).

    Raises:
        CaseLookupError: no such case (exit 4).
        DefinitionChanged: the definition of the case's version was edited since (exit 6).
    """
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        party = s.get(PartyRow, row.party_id)
        events = s.exec(page(select(EventRow).where(EventRow.case_id == row.id).order_by(col(EventRow.seq)),
                             limit, offset)).all()
        views = [engine.event_view(row, e) for e in events]
        assert row.id is not None and party is not None
        return CaseHeader(id=row.id, ref=row.ref, procedure=spec.id, procedure_title=spec.title,
                          definition_version=spec.version, round_id=row.round_id, party_name=party.name,
                          track=row.track, track_label=spec.tracks[row.track].label, state=row.state,
                          state_label=spec.label_of(row.state), events=row.events), views
