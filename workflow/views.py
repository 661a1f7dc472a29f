"""Frozen views the engine hands to the CLI: no rows, no sessions, ready to print or dump as JSON.

These are what reading a case prints (`show`, `history`, lists of cases); the office's other views
(the roster, rounds, notices, a step's result) are in `officeviews.py`, so that a read builds only the
classes it prints (a frozen dataclass costs about a millisecond to create at import).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .values import Verdict

__all__ = [
    "Actor",
    "CaseHeader",
    "CaseView",
    "EventView",
    "PartyView",
    "RecordView",
    "TimerView",
    "TriggerView",
    "to_json",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """Who acts: a roster member proved by their OS login (or delegated to), or the timer.

    Attributes:
        name: the roster member on whose behalf the step is taken (history's actor).
        roles: the member's grants, each `role@scope` (scope: a procedure id, an issuer id, or `*`).
        on_roster: an active roster member (a stranger or a disabled member is not).
        timer: the engine's own timer (`award tick`, the scheduler); no login or name can be it.
        identity: how the actor was established: `bound` (OS login), `delegated` (`--as` by an
            administrator), `shared` (`--as` on a shared office PC: unauthenticated), `timer`,
            `in-process` (code calling the engine directly), `unbound` (a login on no roster).
        entered_by: who typed the command when it differs from `name` (the delegating administrator,
            or the OS login of a shared PC).
        login: the OS login the command ran under, as the operating system reports it.
    """

    name: str
    roles: tuple[str, ...]
    on_roster: bool
    timer: bool = False
    identity: str = "in-process"
    entered_by: str | None = None
    login: str | None = None

    def roles_for(self, *scopes: str | None) -> tuple[str, ...]:
        """The roles this actor holds for a procedure or issuer (`*` grants hold everywhere)."""
        if not self.on_roster:
            return ()
        wanted = {s for s in scopes if s} | {"*"}
        out: list[str] = []
        for grant in self.roles:
            role, _, scope = grant.partition("@")
            if scope in wanted and role not in out:
                out.append(role)
        return tuple(out)

    def provenance(self) -> dict[str, str]:
        """What history records beside the actor's name: how the identity was proved, and who typed."""
        out = {"identity": self.identity}
        if self.entered_by:
            out["entered_by"] = self.entered_by
        if self.login:
            out["login"] = self.login
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordView:
    procedure: str
    award: str
    label: str
    awarded_on: date
    revoked_on: date | None
    bar_until: date | None
    reason: str | None
    source: str
    case_ref: str | None
    id: int | None = None
    rule: str | None = None
    recovery: tuple[dict[str, Any], ...] = ()  # an imported award's revocation: what it set going (SHA-35/36)


@dataclass(frozen=True, kw_only=True, slots=True)
class PartyView:
    """A party as shown: a person's resident ID number is always masked."""

    id: int
    kind: str
    kind_label: str
    name: str
    code: str
    registered_on: date | None
    email: str | None
    phone: str | None
    district: str | None
    attrs: dict[str, Any]
    records: tuple[RecordView, ...] = ()
    cases: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class TimerView:
    id: int
    kind: str
    state: str
    trigger: str | None
    duty: str | None
    rule: str
    period: str
    due_at: datetime
    last_day: date | None
    status: str
    provisional: bool
    note: str | None
    index: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TriggerView:
    """A trigger available in the case's state, and whether the actor may fire it now."""

    trigger: str
    label: str
    dest: str
    dest_label: str
    roles: tuple[str, ...]
    allowed: bool
    verdicts: tuple[Verdict, ...]
    timer_only: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseView:
    id: int
    ref: str
    procedure: str
    procedure_title: str
    definition_version: str
    round_id: str
    party: PartyView
    track: str
    track_label: str
    state: str
    state_label: str
    version: int
    closed: bool
    held: bool
    form: tuple[tuple[str, str, str], ...]
    data: dict[str, Any]
    entered_at: datetime
    triggers: tuple[TriggerView, ...] = ()
    timers: tuple[TimerView, ...] = ()
    objections: tuple[dict[str, Any], ...] = ()
    entries: tuple[dict[str, Any], ...] = ()  # self-evaluations, help requests, consultations, answers (`entries:`)
    checklist: tuple[dict[str, Any], ...] = ()
    retention: dict[str, Any] | None = None  # how long the material is kept (SHA-39), see Engine.show
    recovery: tuple[dict[str, Any], ...] = ()  # what the revocation set going (SHA-35/36), see revocations.py


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseHeader:
    """What a page of a case's history is headed with: which case, whose, on which track and where it is.

    Attributes:
        events: how many events the case's history holds in all (a page may show fewer).
    """

    id: int
    ref: str
    procedure: str
    procedure_title: str
    definition_version: str
    round_id: str
    party_name: str
    track: str
    track_label: str
    state: str
    state_label: str
    events: int


@dataclass(frozen=True, kw_only=True, slots=True)
class EventView:
    seq: int
    kind: str
    trigger: str | None
    trigger_label: str | None
    source: str | None
    source_label: str | None
    dest: str | None
    dest_label: str | None
    actor: str
    role: str | None
    business_time: datetime
    wall_time: datetime
    comment: str | None
    changes: dict[str, Any]
    detail: dict[str, Any]
    hash: str


def to_json(value: Any) -> Any:
    """Views -> JSON-ready data (dates as ISO strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
