"""Frozen models of a process definition (`ProcessSpec`), validated from YAML.

A spec knows nothing of cases, rows or the clock: it is the procedure as the
regulation writes it. `extra="forbid"` everywhere, so a typo in a definition
is an error, not a silently ignored key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .casework import ChecklistSpec
from .limits import MAX_STATES, MAX_TRANSITIONS
from .review import ReviewSpec

__all__ = [
    "DUTY_EVENTS",
    "AddresseeSpec",
    "AnswerSpec",
    "EntrySpec",
    "FieldSpec",
    "GuardCall",
    "IssuerSpec",
    "NotifySpec",
    "PermissionSpec",
    "ProcessSpec",
    "QuotaLimit",
    "QuotaSpec",
    "RecoveryItemSpec",
    "RetentionSpec",
    "RoundDateSpec",
    "RoundsSpec",
    "StartSpec",
    "StateSpec",
    "TimerSpec",
    "TrackSpec",
    "TransitionSpec",
]

FieldType = Literal["text", "int", "bool", "date", "choice", "multichoice", "email", "phone", "decimal", "party",
                    "period"]
Scalar = str | int | bool | float | date
Condition = dict[str, Scalar | list[Scalar]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class FieldSpec(_Frozen):
    """One field of the case's form.

    Attributes:
        label: the Chinese label shown to people.
        type: how a typed value is parsed and checked.
        choices: for choice/multichoice, value -> Chinese label.
        max_chars: the longest text allowed, counted in characters as the office counts them.
        min, max: bounds for numbers.
        editable_in: states in which `--set` may change it ("*" = any state).
        required_for: triggers that need it filled.
        party_kind: for a `party` field (a registered party, stored by its code: a recommender), the
            kind it must be (`organization` or `person`; any when not given).
    """

    label: str
    type: FieldType = "text"
    choices: dict[str, str] | None = None
    max_chars: int | None = Field(default=None, gt=0, le=1_000_000)
    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    editable_in: list[str] = Field(default_factory=list)
    required_for: list[str] = Field(default_factory=list)
    help: str | None = None
    party_kind: Literal["organization", "person"] | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> FieldSpec:
        if self.type in ("choice", "multichoice") and not self.choices:
            raise ValueError("choice 类型的字段必须给出 choices")
        if self.type not in ("choice", "multichoice") and self.choices:
            raise ValueError(f"{self.type} 类型的字段不能有 choices")
        if self.party_kind is not None and self.type != "party":
            raise ValueError("party_kind 只用于 party 类型（已登记的申报主体）的字段")
        return self


class TrackSpec(_Frozen):
    """A track: what kind of party applies for which award (e.g. 质量金奖·先进质量管理模式).

    Attributes:
        party: `organization` or `person`.
        fields: form fields fixed by the track (a case on this track carries them).
        award: the key recorded in the party's history when the case is awarded.
    """

    label: str
    party: Literal["organization", "person"]
    fields: dict[str, Scalar] = Field(default_factory=dict)
    award: str | None = None
    rule: str | None = None


class IssuerSpec(_Frozen):
    """The body that issued a procedure: roles granted for the issuer hold in each of its procedures.

    Attributes:
        id: ASCII id used in grants (`award staff add wang --role office@ID`).
        label: the body's Chinese name.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    label: str


class PermissionSpec(_Frozen):
    """Who does one kind of the office's own work in a procedure (open rounds, register parties, ...)."""

    roles: list[str]
    rule: str


class NotifySpec(_Frozen):
    """A notification a transition (or a timer, or an event) sends: a letter per recipient.

    `to` is either a mapping recipient -> template (each kind of recipient gets its own letter:
    the applicant a letter addressed to the applicant, the office a work notice, the district its
    copy), or a list of recipients who all get `template`. `award definitions check` refuses a
    recipient without a template.

    Attributes:
        to: recipient -> template name, or a list of recipients sharing `template`.
        template: the template of a list-form `to`.
        channel: the deployment's channel it goes out on: `email`, `chat` (the office's group
            robot), `webhook` or `console`.
    """

    to: dict[str, str | None] | list[str]
    template: str | None = None
    channel: Literal["email", "webhook", "chat", "console"] = "email"

    def letters(self) -> list[tuple[str, str | None]]:
        """(recipient, template) pairs in definition order; template None when the definition names none."""
        if isinstance(self.to, dict):
            return [(role, name or None) for role, name in self.to.items()]
        return [(role, self.template) for role in self.to]

    @property
    def roles(self) -> list[str]:
        """The recipients, in definition order."""
        return [role for role, _ in self.letters()]


class StartSpec(_Frozen):
    """A way a case begins (self-application, recommendation)."""

    state: str
    label: str
    roles: list[str]
    requires: list[str] = Field(default_factory=list)
    notify: list[NotifySpec] = Field(default_factory=list)


class GuardCall(_Frozen):
    """A registered guard with its parameters, the rule it enforces, and when it applies.

    Attributes:
        check: the registered guard's name.
        rule: the rule id, a key in definitions/rules.yaml.
        when: the guard applies only to cases whose fields match (value or list of values).
        reason: overrides the guard's own refusal text (Chinese).
        override: roles that may excuse this guard's refusal for one case, with a reason recorded in
            its history (`--override "理由"`): for a rule the document states "in principle" (原则上).
        params: the guard's own parameters (everything else in the YAML mapping).
    """

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    check: str
    rule: str
    when: Condition | None = None
    reason: str | None = None
    override: list[str] | None = None

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class AnswerSpec(_Frozen):
    """Who answers an entry (a help request: the station's response; a consultation: the department's
    reply), and what the answer is called.

    Attributes:
        label: what the answer is called (Chinese).
        roles: who records it.
        any_state: whether it may be recorded in any state (a reply is a fact whenever it comes);
            otherwise only in the entry's own states.
    """

    label: str
    roles: list[str]
    any_state: bool = False


class AddresseeSpec(_Frozen):
    """To whom an entry is addressed (a consultation: the department asked), written with `--to`."""

    label: str


class EntrySpec(_Frozen):
    """Something recorded on a case while it is in `states`, with its date and content (a self-evaluation,
    a request for help, a written consultation); each is a history event with the files given with it,
    answered (when `answer` is given) by another event. A transition that must wait for every answer
    names the entry in a `no_open_entry` guard.

    Attributes:
        label: what it is called (Chinese).
        states: the states in which it may be recorded.
        roles: who records it.
        rule: the rule that asks for it.
        to: to whom it is addressed, if it is addressed (then `--to` is required).
        text_required: whether its content (`--text`) is required (a letter with its addressee and
            file may need no more).
        answer: who answers it, if it is answered.
    """

    label: str
    states: list[str]
    roles: list[str]
    rule: str
    to: AddresseeSpec | None = None
    text_required: bool = True
    answer: AnswerSpec | None = None


DUTY_EVENTS = ("reminder", "duty_met", "duty_overdue", "report_submitted")
"""The history events of a duty: what a duty's own `on_events` may send on."""


class TimerSpec(_Frozen):
    """A timer declared on a state: fires `trigger` (or a reminder) when due.

    Exactly one of `after` (a period from entering the state, e.g. "5 working days"),
    `after_field` (a `period` field of the case, set by the step that enters the state: a period
    such as "10 working days" or a deadline date, when the office sets the time per request),
    `at` (a round date name, e.g. "submission_deadline") or `every` (a duty: "yearly for 3 years").

    A duty (`every`) is fulfilled when its record comes (`award report submit CASE --duty NAME`).

    Attributes:
        roles: who records a duty fulfilled (SHA-38: the district bureau); default the definition's
            `permissions.reports`.
        findings: for a duty, what the record finds (choice id -> Chinese label); then `--finding` is required.
        on_events: for a duty, its own notifications of `reminder`, `duty_met`, `duty_overdue` and
            `report_submitted`, replacing the definition's `on_events` for this duty's events
            (SHA-38: reminders go to the district bureau, not to the winner).
    """

    trigger: str | None = None
    after: str | None = None
    after_field: str | None = None
    at: str | None = None
    every: str | None = None
    rule: str
    label: str | None = None
    remind: list[str] = Field(default_factory=list)
    notify: list[NotifySpec] = Field(default_factory=list)
    duty: str | None = None
    mark: str | None = None
    roles: list[str] = Field(default_factory=list)
    findings: dict[str, str] | None = None
    on_events: dict[str, list[NotifySpec]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_when(self) -> TimerSpec:
        given = [k for k in ("after", "after_field", "at", "every") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("timer 必须且只能给出 after、after_field、at、every 之一")
        if self.every is None and (self.trigger is None) == (self.mark is None):
            raise ValueError("after/at 类型的 timer 必须给出 trigger（触发）或 mark（标记）之一")
        if self.every is not None and self.duty is None:
            raise ValueError("every 类型的 timer 是一项义务，必须给出 duty（义务名称）")
        if self.every is None and (self.roles or self.findings is not None or self.on_events):
            raise ValueError("roles、findings、on_events 只用于义务（every 类型的 timer）")
        unknown = sorted(set(self.on_events) - set(DUTY_EVENTS))
        if unknown:
            raise ValueError(f"义务的 on_events 只能是 {'、'.join(DUTY_EVENTS)}，收到 {'、'.join(unknown)}")
        if self.findings is not None and not self.findings:
            raise ValueError("findings 不能为空")
        return self


class StateSpec(_Frozen):
    """One state: an ASCII id, a Chinese label, and what happens while a case is in it.

    Attributes:
        final: a case here is closed (no trigger leaves, except `reopen_from`-style ones).
        notice: this state is a public notice: objections may be filed while it runs.
        objection_upheld: the trigger fired when an objection filed during this notice is upheld.
        timers: deadlines started when a case enters the state.
    """

    name: str
    label: str
    final: bool = False
    notice: bool = False
    objection_upheld: str | None = None
    timers: list[TimerSpec] = Field(default_factory=list)
    help: str | None = None


class TransitionSpec(_Frozen):
    """A trigger moves a case from one of `source` to `dest` when the actor's role and every guard allow it.

    Attributes:
        label: the Chinese name of the move, shown to staff.
        roles: staff roles allowed to fire it; `system` means only timers fire it.
        fields: form fields that may (or, with `required_for`, must) be set with this trigger.
        comment: whether a `--comment` is required (e.g. a refusal's reason).
        effects: registered effects run in the same transaction (record an award, a bar).
    """

    trigger: str
    label: str
    source: list[str]
    dest: str
    roles: list[str]
    guards: list[GuardCall] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    comment: Literal["optional", "required"] = "optional"
    notify: list[NotifySpec] = Field(default_factory=list)
    effects: list[dict[str, Any]] = Field(default_factory=list)
    rule: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _source_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("source"), str):
            data = {**data, "source": [data["source"]]}
        return data


class QuotaLimit(_Frozen):
    """At most `max` cases whose fields match `where` may reach the counted states in one round."""

    where: Condition = Field(default_factory=dict)
    max: int = Field(ge=0, le=100_000)
    rule: str
    label: str


class QuotaSpec(_Frozen):
    """Per-round limits on winners, checked by the `quota` guard."""

    count_states: list[str]
    limits: list[QuotaLimit]


class DerivedDate(_Frozen):
    """A round date computed from another: `date` plus `years` whole years (29 February -> 28 February)."""

    date: str
    years: int = Field(gt=0, le=100)


class RoundDateSpec(_Frozen):
    """A named date (or date and time) a round of this procedure must or may carry.

    Attributes:
        deadline: the date is a deadline: given without a time it means the end of that day (24:00),
            because "by 30 June" in a notice includes the whole of 30 June (as `periods.parse_period`).
        years_after: when not given, the date is another round date plus whole years
            (e.g. `{date: cycle_start, years: 2}`: a two-year cycle ends two years after it starts).
    """

    label: str
    required: bool = False
    deadline: bool = False
    years_after: DerivedDate | None = None


class RhythmSpec(_Frozen):
    """How often rounds are held: a round's year lies a whole number of `years` after the previous round's."""

    years: int = Field(ge=1, le=100)
    rule: str


class ValiditySpec(_Frozen):
    """The days the regulation is in force: a round is opened, dated and held within them."""

    since: date
    until: date
    rule: str

    @model_validator(mode="after")
    def _ordered(self) -> ValiditySpec:
        if self.until < self.since:
            raise ValueError("valid.until 不能早于 valid.since")
        return self


class RoundsSpec(_Frozen):
    """What the regulation says of its rounds (`round open` checks it; an office decision may override it).

    Attributes:
        every: the rhythm (SHA-3: every two years), measured from the nearest round already opened.
        valid: the regulation's period of validity (SHA-41).
    """

    every: RhythmSpec | None = None
    valid: ValiditySpec | None = None


class RetentionSpec(_Frozen):
    """How long a case's material is kept once its outcome is reached (SHA-39: 10 years).

    A case entering any final state, or one of `also` (an award, which a revocation may still follow),
    gets a retention mark `years` later; no later step cancels it, so a revocation adds its own mark
    and the case is kept until the latest of them.
    """

    years: int = Field(ge=1, le=100)
    rule: str
    label: str
    also: list[str] = Field(default_factory=list)


class RecoveryItemSpec(_Frozen):
    """One thing a revocation sets going (SHA-35: recover the plaque, enter the credit platform ...).

    Attributes:
        rules: the revocation rules under which the item is due (an item of SHA-35 alone is not due
            after an SHA-36 revocation).
        reference: the entry needs a reference (the platform's entry number or the letter's 文号).
    """

    label: str
    rules: list[str] = Field(min_length=1)
    reference: bool = False


class ProcessSpec(_Frozen):
    """One procedure, as parsed from one definition file.

    Attributes:
        id: short ASCII id (`sha`), used in case references.
        version: a string; change it whenever the content changes.
        start_day_counts: whether the day a working-day period starts counts as its first day.
        roles: role -> Chinese label.
        issuer: the issuing body; a grant for it holds in every procedure it issued.
        permissions: the office's own work (`rounds`, `parties`, `objections`, `reports`, `timers`)
            -> the roles that may do it and the rule that says so.
        recipients: notification roles resolved from the case (role -> field of the case or party).
        listed: form fields shown as columns of case lists, exports and notice lists (e.g. the recommender).
        award_fields: form fields that describe the award won (a certificate's number and date), shown
            with the winners (`award round winners` and its export).
        correction_roles: staff roles that may correct a mistaken step (`award case correct`).
        entries: what is recorded on a case during a state, by a command (`award entry add`), each
            with its date, content and files: a self-evaluation, a request for help, a written
            consultation, and their answers.
        checklists: the review checklists whose items need the reviewer's finding (`award checklist`).
        rounds: the rhythm and validity rounds must keep (`round open`).
        retention: how long each case's material is kept after its outcome.
        recovery: what a revocation sets going, by item (each recorded with `award revocation record`).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    source: str
    version: str
    start_day_counts: bool = False
    revocation_bar_years: int | None = Field(default=None, ge=0, le=100)
    roles: dict[str, str]
    issuer: IssuerSpec | None = None
    permissions: dict[str, PermissionSpec] = Field(default_factory=dict)
    tracks: dict[str, TrackSpec]
    starts: dict[str, StartSpec]
    round_dates: dict[str, RoundDateSpec] = Field(default_factory=dict)
    round_properties: dict[str, FieldSpec] = Field(default_factory=dict)
    rounds: RoundsSpec | None = None
    retention: RetentionSpec | None = None
    recovery: dict[str, RecoveryItemSpec] = Field(default_factory=dict)
    party_attributes: dict[str, FieldSpec] = Field(default_factory=dict)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    intake: list[GuardCall] = Field(default_factory=list)
    quotas: QuotaSpec | None = None
    states: list[StateSpec] = Field(min_length=1, max_length=MAX_STATES)
    transitions: list[TransitionSpec] = Field(max_length=MAX_TRANSITIONS)
    recipients: dict[str, str] = Field(default_factory=dict)
    on_events: dict[str, list[NotifySpec]] = Field(default_factory=dict)
    review: ReviewSpec | None = None
    listed: list[str] = Field(default_factory=list)
    award_fields: list[str] = Field(default_factory=list)
    correction_roles: list[str] = Field(default_factory=lambda: ["office"])
    entries: dict[str, EntrySpec] = Field(default_factory=dict)
    checklists: dict[str, ChecklistSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _listed_are_fields(self) -> ProcessSpec:
        for key, names in (("listed", self.listed), ("award_fields", self.award_fields)):
            unknown = [name for name in names if name not in self.fields]
            if unknown:
                raise ValueError(f"{key} 中的字段未定义：{'、'.join(unknown)}")
        return self

    # Lookups every step makes are worked out once and kept in the instance's __dict__ (cached_property):
    # a PrivateAttr is read through pydantic's __getattr__, ~1 us a read, and a step reads them ~20 times.

    @cached_property
    def state_map(self) -> dict[str, StateSpec]:
        """State name -> StateSpec (built once)."""
        return {s.name: s for s in self.states}

    def state(self, name: str) -> StateSpec:
        return self.state_map[name]

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        """Every transition a case in `state` could take, in definition order (worked out once per state:
        every step asks)."""
        found = self._from_state.get(state)
        if found is None:
            final = self.state_map[state].final if state in self.state_map else True
            found = self._from_state[state] = tuple(t for t in self.transitions
                                                    if state in t.source or ("*" in t.source and not final))
        return list(found)

    @cached_property
    def _from_state(self) -> dict[str, tuple[TransitionSpec, ...]]:
        """State -> its transitions, filled in as states are asked for (`transitions_from`)."""
        return {}

    def transition(self, trigger: str, state: str) -> TransitionSpec | None:
        for t in self.transitions_from(state):
            if t.trigger == trigger:
                return t
        return None

    def triggers(self) -> list[str]:
        return list(dict.fromkeys(t.trigger for t in self.transitions))

    @cached_property
    def overridable(self) -> bool:
        """Whether any guard of this definition may be excused by the office (`override:`; worked out once)."""
        return any(g.override for g in [*self.intake, *(g for t in self.transitions for g in t.guards)])

    def duty(self, name: str) -> TimerSpec | None:
        """The duty (an `every` timer) of this name, in whichever state declares it."""
        return next((t for s in self.states for t in s.timers if t.every is not None and t.duty == name), None)

    @cached_property
    def content_hash(self) -> str:
        """A hash of the parsed content: two files that mean the same hash the same (computed once)."""
        # A definition without a review hashes as it did before the key existed (stored cases stay valid).
        dumped = self.model_dump(mode="json", exclude={"review"} if self.review is None else None)
        _drop_later_defaults(dumped)
        payload = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def pin_released_hash(self, released: str) -> None:
        """Make `content_hash` the hash the release that shipped this file stored in its cases.

        The hash is of the parsed model, so a later release that adds a key with a default hashes
        the same file differently; an archived file, proved unchanged by its git blob id, keeps the
        identity its cases recorded (`definitions/archive/released.yaml`).
        """
        self.__dict__["content_hash"] = released  # where cached_property keeps its value

    def label_of(self, state: str) -> str:
        spec = self.state_map.get(state)
        return spec.label if spec else state


def _drop_later_defaults(dumped: dict[str, Any]) -> None:
    """Keys added after a definition's cases were opened hash as if absent while unused, so that a
    definition that does not use them keeps its content hash (and its cases keep running)."""
    for key in ("checklists", "entries"):
        if not dumped.get(key):
            dumped.pop(key, None)
    for state in dumped.get("states", []):
        for timer in state.get("timers", []):
            if timer.get("after_field") is None:
                timer.pop("after_field", None)
