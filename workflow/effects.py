"""Effects: registered actions a transition performs in the same transaction as the state change.

They write the party's history (awards won, revocations and their bars),
which guards of any procedure and any later round read.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import Field

from .facts import CaseFacts
from .guards import Params, Registry, add_years

__all__ = ["EFFECTS", "Ledger"]


class Ledger(metaclass=ABCMeta):
    """Where effects write the party's history; the store implements it inside the step's transaction."""

    @abstractmethod
    def record_award(self, *, party_id: int, procedure: str, award: str, label: str, awarded_on: date,
                     case_id: int | None) -> None:
        """Append an award to the party's history."""

    @abstractmethod
    def revoke_award(self, *, party_id: int, case_id: int, revoked_on: date, bar_until: date | None,
                     reason: str, rule: str) -> None:
        """Mark the award this case won as revoked, with the bar it brings."""


EffectFn = Callable[[CaseFacts, Any, Ledger], None]
EFFECTS: Registry[EffectFn] = Registry("效果")


class RecordAward(Params):
    pass


@EFFECTS.register("record_award", RecordAward)
def record_award(facts: CaseFacts, p: RecordAward, ledger: Ledger) -> None:
    """Record the track's award in the party's history (read by re-application bars)."""
    track = facts.spec.tracks[facts.track]
    assert facts.case_id is not None
    ledger.record_award(
        party_id=facts.party.id,
        procedure=facts.spec.id,
        award=track.award or facts.track,
        label=f"{facts.round.year}年{track.label}",
        awarded_on=facts.today,
        case_id=facts.case_id,
    )


class RevokeAward(Params):
    bar_years: int = Field(ge=0, le=100)
    reason: str
    rule: str


@EFFECTS.register("revoke_award", RevokeAward)
def revoke_award(facts: CaseFacts, p: RevokeAward, ledger: Ledger) -> None:
    """Revoke the award this case won and bar the party for `bar_years` (SHA-35, SHA-36)."""
    assert facts.case_id is not None
    ledger.revoke_award(
        party_id=facts.party.id,
        case_id=facts.case_id,
        revoked_on=facts.today,
        bar_until=add_years(facts.today, p.bar_years) if p.bar_years else None,
        reason=p.reason,
        rule=p.rule,
    )
