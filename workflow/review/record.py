"""Where the review writes into a case's history, and how it finds cases, through the engine.

One module holds the review's calls into the engine's public API (`case_row`, `record_event`,
`spec_of`), so that a change there touches only this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from ..specs.model import ProcessSpec
from ..specs.review import ReviewSpec
from ..store import CaseRow
from ..views import Actor

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["case_row", "note", "review_of"]


def case_row(engine: Engine, s: Session, ref: str | int) -> CaseRow:
    """The case by reference or id (raises CaseLookupError)."""
    return engine.case_row(s, ref)


def note(engine: Engine, s: Session, row: CaseRow, *, kind: str, actor: Actor, data: dict[str, Any],
         comment: str | None = None) -> None:
    """Append a review event to the case's hash-chained history, inside the caller's transaction."""
    engine.record_event(s, row, kind=kind, actor=actor, data=data, comment=comment)


def review_of(engine: Engine, row: CaseRow) -> tuple[ProcessSpec, ReviewSpec | None]:
    """The case's definition and its review key (None: the procedure has no expert review)."""
    spec = engine.spec_of(row)
    return spec, spec.review
