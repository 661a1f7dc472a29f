"""Views built from rows by code that needs no database library: the ORM path and the plain read path
(`plainread.py`) both build a history event's view here, so both print the same thing. They read a
definition's labels only, from a `ProcessSpec` (the engine) or a `ReadSpec` (the plain path, no pydantic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .errors import DataError
from .labels import PARTY_KINDS
from .specs.fields import display
from .timing.clock import utc
from .views import Actor, CaseView, EventView, PartyView, RecordView, TimerView, TriggerView

if TYPE_CHECKING:
    from .facts import CaseFacts
    from .specs.model import TransitionSpec
    from .specs.readspec import SpecLabels, TransitionLabels
    from .values import Verdict

__all__ = ["PAYLOAD_VERSION", "EventLike", "case_list_row", "case_view", "event_view", "missing_verdicts", "party_view", "timer_view",
           "trigger_views"]

PAYLOAD_VERSION = 1
"""The version of history payloads (`"v"`) this program writes and reads; a newer one is refused."""


class EventLike(Protocol):
    """A history row as the ORM (`EventRow`) or the plain read path gives it."""

    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def trigger(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def dest(self) -> str | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def business_time(self) -> datetime: ...
    @property
    def wall_time(self) -> datetime: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def hash(self) -> str: ...


def _payload(e: EventLike) -> dict[str, Any]:
    """A history event's payload; one written by a newer award (a higher "v") is refused, not guessed at."""
    version = e.data.get("v", PAYLOAD_VERSION)
    if not isinstance(version, int) or version > PAYLOAD_VERSION:
        raise DataError(f"案件历史第{e.seq}条记录的格式版本为 {version!r}，本程序只能读取版本 {PAYLOAD_VERSION} "
                        "及以前的记录：请升级 award 后再查看")
    return e.data


def _moment(value: Any) -> Any:
    """A moment the history payload keeps as ISO text (`due_at`, `old_due_at`), read back as an aware
    datetime for views (so that --json shows it in +08:00 like every other time); anything else as is."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return value
    return moment if moment is not None and moment.tzinfo is not None else value


def event_view(spec: SpecLabels, e: EventLike) -> EventView:
    """One history event for people: labels from its definition, the payload's times as aware datetimes."""
    labels = {t.trigger: t.label for t in spec.transitions}
    labels.update({k: v.label for k, v in spec.starts.items()})
    data = _payload(e)
    detail = {k: _moment(v) if k.endswith("_at") else v for k, v in data.items() if k not in ("v", "changes")}
    return EventView(
        seq=e.seq, kind=e.kind, trigger=e.trigger, trigger_label=labels.get(e.trigger or "", e.trigger),
        source=e.source, source_label=spec.label_of(e.source) if e.source else None, dest=e.dest,
        dest_label=spec.label_of(e.dest) if e.dest else None, actor=e.actor, role=e.role,
        business_time=utc(e.business_time), wall_time=utc(e.wall_time), comment=e.comment,
        changes={(spec.fields[k].label if k in spec.fields else k): display(spec.fields.get(k), v)
                 for k, v in data.get("changes", {}).items()},
        detail=detail, hash=e.hash)


def timer_view(t: Any) -> TimerView:
    """A timer row (ORM or plain) for people."""
    assert t.id is not None
    return TimerView(id=t.id, kind=t.kind, state=t.state, trigger=t.trigger, duty=t.duty, rule=t.rule,
                     period=t.period, due_at=utc(t.due_at), last_day=t.last_day, status=t.status,
                     provisional=t.provisional, note=t.note, index=t.duty_index)


def party_view(row: Any, *, records: tuple[RecordView, ...] = (),
               cases: tuple[dict[str, Any], ...] = ()) -> PartyView:
    """A party row (ORM or plain) for people: a person's resident ID number is always masked."""
    from .registers.identity import mask_resident_id

    assert row.id is not None
    code = row.code if row.kind == "organization" else mask_resident_id(row.code)
    return PartyView(id=row.id, kind=row.kind, kind_label=PARTY_KINDS[row.kind], name=row.name, code=code,
                     registered_on=row.registered_on, email=row.email, phone=row.phone,
                     district=row.district, attrs=dict(row.attrs), records=records, cases=cases)


def retention_view(spec: SpecLabels, marks: Sequence[Any]) -> dict[str, Any] | None:
    """How long a case's material is kept (the definition's `retention`), from its retention marks (timer
    rows, ORM or plain, not cancelled, oldest entry first): the last day of the latest, None while none."""
    keep = spec.retention
    if keep is None:
        return None
    return {"years": keep.years, "rule": keep.rule, "label": keep.label,
            "until": max((t.last_day for t in marks if t.last_day), default=None),
            "marks": [{"timer": t.id, "state": t.state, "state_label": spec.label_of(t.state), "until": t.last_day,
                       "status": t.status} for t in marks]}


def case_view(spec: SpecLabels, row: Any, *, party: PartyView, triggers: Sequence[TriggerView],
              timers: Iterable[Any], objections: Iterable[Any], names: Mapping[str, str] | None = None,
              entries: Sequence[dict[str, Any]] = (),
              checklist: Sequence[dict[str, Any]] = (), retention: dict[str, Any] | None = None,
              recovery: Sequence[dict[str, Any]] = ()) -> CaseView:
    """A case row (ORM or plain) with its party, the triggers evaluated for it, its live timers and
    objections, and what its history records (entries, checklist findings), how long its
    material is kept and what its revocation set going.

    names: registered parties named by the form's `party` fields (code -> name)."""
    assert row.id is not None
    form = tuple((name, fs.label, display(fs, row.data.get(name), names))
                 for name, fs in spec.fields.items() if row.data.get(name) is not None)
    return CaseView(
        id=row.id, ref=row.ref, procedure=spec.id, procedure_title=spec.title,
        definition_version=spec.version, round_id=row.round_id, party=party, track=row.track,
        track_label=spec.tracks[row.track].label, state=row.state, state_label=spec.label_of(row.state),
        version=row.version, closed=row.closed, held=row.held, form=form, data=dict(row.data),
        entered_at=utc(row.entered_at), triggers=tuple(triggers),
        timers=tuple(timer_view(t) for t in timers),
        objections=tuple({"id": o.id, "status": o.status, "filed_by": o.filed_by, "reason": o.reason,
                          "state": o.state, "resolution": o.resolution} for o in objections),
        entries=tuple(entries), checklist=tuple(checklist),
        retention=retention, recovery=tuple(recovery),
    )


def missing_verdicts(spec: SpecLabels, t: TransitionSpec | TransitionLabels, data: Mapping[str, Any]) -> list[Verdict]:
    """The fields a trigger requires (`required_for`) that the form leaves empty, as one failed verdict."""
    missing = [f"“{fs.label}”（{name}）" for name, fs in spec.fields.items()
               if t.trigger in fs.required_for and data.get(name) in (None, "", [])]
    if not missing:
        return []
    from .values import Verdict

    return [Verdict(passed=False, guard="required", rule=t.rule or "",
                    reason="尚未填写：" + "、".join(missing) + "（用 --set 字段=值 填写）")]


def guards_apply(spec: SpecLabels, state: str, form: Mapping[str, Any]) -> bool:
    """Whether a guard of the triggers of `state` applies to a case with this form (`facts.applies`): when none
    does, `trigger_views` needs neither the case's facts nor the guards."""
    from .facts import applies

    return any(applies(call, form) for t in spec.transitions_from(state) for call in t.guards)


def trigger_views(spec: SpecLabels, row: Any, facts: CaseFacts | None, actor: Actor | None) -> list[TriggerView]:
    """The triggers of the case's state (`row`, ORM or plain), each with its verdicts on the case's facts
    and whether `actor` (None: anyone) may fire it now: what `show` lists, on either path.

    `facts` None: no guard applies to the case (`guards_apply`), so none is evaluated (the guards, which
    import pydantic, are not loaded); `spec` may then be the read catalogue's."""
    out = []
    for t in spec.transitions_from(row.state):
        verdicts = missing_verdicts(spec, t, row.data)
        if facts is not None:
            from .guards import evaluate_all

            verdicts.extend(evaluate_all(list(t.guards), facts))  # type: ignore[arg-type]  # facts: the checked spec's
        role_ok = actor is None or (("system" in t.roles) if actor.timer else bool(
            set(actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)) & set(t.roles)))
        out.append(TriggerView(
            trigger=t.trigger, label=t.label, dest=t.dest, dest_label=spec.label_of(t.dest),
            roles=tuple(t.roles), allowed=role_ok and all(v.passed for v in verdicts),
            verdicts=tuple(verdicts), timer_only=t.roles == ["system"]))
    return out


def case_list_row(catalog: Any, case: Any, party_name: str, next_due: datetime | None) -> dict[str, Any]:
    """One row of `award cases` (table and JSON), from a case row and its party's name; the same for the
    engine's listing (finder.py) and the plain read path's page of a round (plainread.py)."""
    try:
        spec = catalog.get(case.procedure, case.definition_version)
        track_label, state_label = spec.tracks[case.track].label, spec.label_of(case.state)
    except LookupError:  # a definition version no longer installed: the stored names
        track_label, state_label = case.track, case.state
    return {"ref": case.ref, "round": case.round_id, "party": party_name, "track": case.track,
            "track_label": track_label, "state": case.state, "state_label": state_label, "held": case.held,
            "closed": case.closed, "entered_at": utc(case.entered_at).isoformat(),
            "updated_at": utc(case.updated_at).isoformat(), "next_due": next_due.isoformat() if next_due else None}
