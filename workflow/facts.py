"""What guards and effects may read about a case: frozen facts, gathered once per step.

Guards never touch the database: the engine gathers the case, its party's
history across rounds and procedures, the round and the round's statistics
into `CaseFacts`, so a guard is a pure function that tests can call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from .timing.clock import SHANGHAI, cn_date, cn_datetime

if TYPE_CHECKING:
    from .abc import Calendar
    from .specs.model import ProcessSpec

__all__ = ["CaseFacts", "Deferred", "NoteFacts", "PartyFacts", "RecordFacts", "RoundFacts", "applies", "matches", "resolve"]

_MISSING = object()
_T = TypeVar("_T")


class Deferred(Sequence[_T]):
    """A sequence of facts read from the database the first time a guard looks at it.

    Most steps run no guard that reads a party's records or other cases; gathering them anyway cost two
    queries per step. The loader runs at most once, inside the step's transaction, and the result is
    then as immutable as a tuple.
    """

    __slots__ = ("_items", "_load")

    def __init__(self, load: Callable[[], Iterable[_T]]) -> None:
        self._load: Callable[[], Iterable[_T]] | None = load
        self._items: tuple[_T, ...] = ()

    def _all(self) -> tuple[_T, ...]:
        if self._load is not None:
            self._items, self._load = tuple(self._load()), None
        return self._items

    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[_T]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"Deferred({self._all()!r})"


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordFacts:
    """One entry of a party's history: an award won (maybe revoked) or a bar."""

    procedure: str
    award: str
    label: str
    awarded_on: date
    revoked_on: date | None = None
    bar_until: date | None = None
    source: str = "case"
    reason: str | None = None
    rule: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PartyFacts:
    """The applicant (organisation or person) and its history."""

    id: int
    kind: str
    name: str
    code: str
    registered_on: date | None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    contact: Mapping[str, Any] = field(default_factory=dict)
    records: Sequence[RecordFacts] = ()
    other_cases: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class RoundFacts:
    """The round a case belongs to: its year, dates and properties."""

    id: str
    procedure: str
    year: int
    opened_on: date
    dates: Mapping[str, datetime] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class NoteFacts:
    """One history event of the case that moved no state (a consultation, a checklist finding, ...)."""

    seq: int
    kind: str
    actor: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    comment: str | None = None


CountCases = Callable[..., int]


@dataclass(frozen=True, kw_only=True)  # no slots: `replaced` copies its `__dict__`
class CaseFacts:
    """Everything a guard may read about one case at one moment.

    Attributes:
        data: the form as it would be after the step (track fields and `--set` values merged in).
        count_cases: `count_cases(states=..., where=..., same=...)` counts other cases of the round.
        entered_at: when the case entered its current state (None for a case being opened).
        before: the form as stored before this step (`before.x` in a guard reads it: the current class, not the new one).
        names: registered parties named by the form's `party` fields (a recommender): code -> name.
        overrides: rules whose overridable guards the office has excused for this case -> who and why
            (`--override`, recorded in history: WHI-3.2's "in principle").
        notes: the case's recorded events that moved no state, oldest first (read when a guard needs them).
    """

    spec: ProcessSpec
    case_id: int | None
    ref: str
    track: str
    state: str
    data: Mapping[str, Any]
    party: PartyFacts
    round: RoundFacts
    now: datetime
    today: date
    calendar: Calendar | None
    count_cases: CountCases
    open_objections: int = 0
    entered_at: datetime | None = None
    before: Mapping[str, Any] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, str] = field(default_factory=dict)
    notes: Sequence[NoteFacts] = ()

    def label(self, path: str) -> str:
        """The Chinese label of a field path, for messages."""
        scope, _, name = path.rpartition(".")
        if scope == "party":
            spec = self.spec.party_attributes.get(name)
            return spec.label if spec else {"registered_on": "登记注册日期", "name": "名称"}.get(name, name)
        if scope == "round":
            d = self.spec.round_dates.get(name)
            if d:
                return d.label
            p = self.spec.round_properties.get(name)
            return p.label if p else name
        if scope == "before":
            field_spec = self.spec.fields.get(name)
            return f"本次办理前的{field_spec.label if field_spec else name}"
        spec = self.spec.fields.get(name)
        return spec.label if spec else name

    def replaced(self, **changes: Any) -> CaseFacts:
        """These facts with `changes`, as `dataclasses.replace` makes them, without its walk over the fields
        and the frozen `__init__` (~50 k instructions; every step makes the facts after the step from the
        facts before it). No field has a `__post_init__` or a validator that this skips.

        Raises:
            TypeError: a change names no field.
        """
        if not changes.keys() <= _CASE_FACT_FIELDS:
            raise TypeError(f"CaseFacts has no field {sorted(changes.keys() - _CASE_FACT_FIELDS)}")
        new = object.__new__(CaseFacts)
        new.__dict__.update(self.__dict__, **changes)
        return new

    def display(self, path: str, value: Any) -> str:
        """A value as people read it: choice labels, 是/否, Chinese dates."""
        name = path.rpartition(".")[2]
        spec = self.spec.fields.get(name) or self.spec.party_attributes.get(name)
        if isinstance(value, bool):
            return "是" if value else "否"
        if spec and spec.choices and isinstance(value, str):
            return spec.choices.get(value, value)
        if spec and spec.type == "party" and isinstance(value, str) and value in self.names:
            return f"{self.names[value]}（{value}）"
        if isinstance(value, datetime) and value.tzinfo is not None:
            local = value.astimezone(SHANGHAI)
            if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
                # a deadline at 00:00 is the end of the day before
                return f"{cn_date(local.date() - timedelta(days=1))} 24:00"
            return cn_datetime(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            return cn_date(value)
        return str(value)


_CASE_FACT_FIELDS = frozenset(f.name for f in fields(CaseFacts))


def resolve(facts: CaseFacts, path: str, default: Any = _MISSING) -> Any:
    """Read `party.x`, `round.x` or a form field `x` (or `case.x`); None when absent."""
    scope, _, name = path.rpartition(".")
    if scope == "party":
        if name in ("registered_on", "name", "kind", "code"):
            return getattr(facts.party, name)
        if name in ("email", "phone", "district"):
            return facts.party.attrs.get(name) or facts.party.contact.get(name)
        return facts.party.attrs.get(name)
    if scope == "round":
        if name == "year":
            return facts.round.year
        if name in facts.round.dates:
            return facts.round.dates[name]
        return facts.round.properties.get(name)
    if scope == "before":
        return facts.before.get(name)
    if name == "track":
        return facts.track
    return facts.data.get(name)


def matches(data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> bool:
    """Whether form data matches a `when`/`where` condition (each key a value or a list of values)."""
    if not condition:
        return True
    for key, expected in condition.items():
        value = data.get(key)
        allowed = expected if isinstance(expected, list) else [expected]
        if value not in allowed:
            return False
    return True


def applies(call: Any, data: Mapping[str, Any]) -> bool:
    """Whether a guard call (its `when`) applies to a case with this form: one that does not gives no verdict."""
    return matches(data, call.when)
