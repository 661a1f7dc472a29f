"""The engine: open cases, advance them one transaction per step, show and verify their history.

`award advance CASE TRIGGER` (or a due timer) flows through `advance_in`:
1. load the case and its definition version, gather `CaseFacts`;
2. check the actor's role, the fields, then fire the trigger on the cached
   Machine (its guard gate collects every verdict);
3. in ONE transaction: the conditional update of the case (old version ->
   new), the appended history event, the timers of the left state cancelled
   and those of the entered state created, effects, and the outbox rows;
4. after commit, the outbox is delivered.

Timers and the outbox are `StepHook`s: typed fields run in the one order
`Engine.step_hooks` states. Code outside this module (timers, objections, the
outbox) uses only the public API: `transaction`, `case_row`, `case_facts`,
`advance_in`, `record_event` and `after_commit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from .abc import Calendar, Clock, Step, StepHook
from .attachments import FileStore
from .effects import EFFECTS
from .errors import (
    AwardError,
    CaseLookupError,
    ConflictError,
    DatabaseBusy,
    DefinitionChanged,
    InvalidInput,
    Refused,
    TamperedHistory,
)
from .facts import CaseFacts
from .gather import SessionLedger, gather_facts
from .guards import GUARDS
from .history import GENESIS, ChainBreak, event_hash, verify_chain
from .inputs import row_id
from .kinds import LIVE_TIMERS, EventKind, TimerKind, TimerStatus
from .logs import logger
from .machine import MachineCache
from .officeviews import StepResult
from .readviews import case_view, missing_verdicts, retention_view, trigger_views
from .readviews import event_view as _event_view
from .registers.identity import mask_resident_id
from .registers.office import Office, party_names
from .registers.staff import RULE_DUTY, RULE_IDENTITY, RULE_ISSUER, RULE_TIMER, require_member
from .revocations import case_checklist
from .seal import Sealer
from .specs.catalog import Catalog
from .specs.fields import display, parse_assignment, parse_value
from .specs.model import GuardCall, ProcessSpec, TransitionSpec
from .store import (
    PAYLOAD_VERSION,
    CaseRow,
    Database,
    EventRow,
    ObjectionRow,
    PartyRow,
    Prepared,
    RoundRow,
    TimerRow,
    attach,
    committed,
    construct,
    utc,
    values_of,
)
from .timeline import check_forward
from .values import Verdict
from .views import Actor, CaseView, EventView, TimerView

if TYPE_CHECKING:
    from .notify.outbox import Outbox

__all__ = ["Engine"]

_LOGGER = logger(__name__)

SYSTEM = Actor(name="system", roles=("system@*",), on_roster=True, timer=True, identity="timer")
"""The timer (`award tick`, the scheduler): the only actor that fires `system` transitions (AWD-4)."""


@dataclass(kw_only=True)
class Engine:
    """Runs cases through their definitions.

    Attributes:
        db: the database.
        catalog: the definitions.
        clock: business time (`--now` replaces it); history also records `wall_clock`.
        calendar: working days, for timers.
        timers: plans and cancels the timers of each step (`timing.timers.Timers`).
        outbox: renders each step's notifications, and delivers them after commit
            (`notify.outbox.Outbox`).
        review: the expert review's checks and effects of each step (`review.hooks.ReviewHook`).
    """

    db: Database
    catalog: Catalog
    clock: Clock
    wall_clock: Clock
    calendar: Calendar | None = None
    timers: StepHook | None = None
    outbox: Outbox | None = None
    review: StepHook | None = None
    seal: Sealer | None = None
    machines: MachineCache = field(default_factory=MachineCache)
    files: FileStore | None = None  # where files given to cases are kept (attachments.py)

    def step_hooks(self) -> tuple[StepHook, ...]:
        """The side effects of every step, in THE order: timers first, then the outbox, then the review.

        The order is part of the contract: the outbox reads the timers the step has just
        planned (a notice's last day goes into its mail). The review may refuse the step
        (recusal, minimum scores), which rolls back what the others wrote.
        """
        return tuple(h for h in (self.timers, self.outbox, self.review, self.seal) if h is not None)

    def _run_hooks(self, s: Session, row: CaseRow, event: EventRow, spec: ProcessSpec,
                   facts: CaseFacts | Callable[[], CaseFacts], transition: TransitionSpec | None,
                   planned: Sequence[dict[str, Any]] = ()) -> Step:
        """Run the hooks on one step; `facts` may be a function that gathers them when a hook first reads them."""
        gather = facts if callable(facts) else (lambda: facts)
        step = Step(session=s, case=row, event=event, spec=spec, gather=gather, transition=transition,
                    planned=list(planned))
        for hook in self.step_hooks():
            hook.on_step(step)
        return step

    @contextmanager
    def transaction(self, ref: str | int) -> Iterator[Session]:
        """One write transaction about a case; SQLite's lock becomes a ConflictError, and after
        the commit the outbox is delivered (`after_commit`)."""
        with _SqliteRace(self.db.is_sqlite, str(ref)), self.db.session() as s:
            yield s
        self.after_commit()

    def after_commit(self) -> None:
        """Deliver what the committed steps left in the outbox (unless `--no-deliver`)."""
        if self.outbox is not None and self.outbox.deliver_after_commit:
            self.outbox.deliver_quietly()

    @property
    def office(self) -> Office:
        return Office(db=self.db, catalog=self.catalog, clock=self.clock, sealer=self.seal)

    # ------------------------------------------------------------------ lookups

    def case_row(self, s: Session, ref: str | int) -> CaseRow:
        """The case by id or reference, in the caller's session.

        Raises:
            CaseLookupError: no such case (exit 4).
        """
        text = str(ref).strip()
        found = None
        if (number := row_id(text)) is not None:
            if (known := s.identity_map.get(identity_key(CaseRow, number))) is not None:
                return known
            found = _CASE_BY_ID.first(s, {"id": number})
        if found is None:
            found = _CASE_BY_REF.first(s, {"ref": text.upper()})
        if found is None:
            raise CaseLookupError(text)
        return attach(s, CaseRow, _CASE_COLUMNS, found)

    def spec_of(self, row: CaseRow) -> ProcessSpec:
        """The definition version a case runs under; refuse if its content changed under the same version."""
        v = values_of(row)
        spec = self.catalog.get(v["procedure"], v["definition_version"])
        if spec.content_hash != v["definition_hash"]:
            raise DefinitionChanged(v["procedure"], v["definition_version"], v["ref"])
        return spec

    # ------------------------------------------------------------------- facts

    def case_facts(self, s: Session, row: CaseRow) -> CaseFacts:
        """What guards, templates and recipients may read of a case now."""
        return self._facts(s, self.spec_of(row), row)

    def _facts(self, s: Session, spec: ProcessSpec, row: CaseRow, data: Mapping[str, Any] | None = None,
               *, party: PartyRow | None = None, round_row: RoundRow | None = None,
               at: datetime | None = None) -> CaseFacts:
        return gather_facts(s, self.catalog, spec, row, data, party=party, round_row=round_row,
                            now=at or self.clock(), calendar=self.calendar)

    # --------------------------------------------------------------- form data

    def _apply_sets(self, spec: ProcessSpec, state: str, data: dict[str, Any], sets: Sequence[str],
                    allowed_extra: Iterable[str] = ()) -> dict[str, Any]:
        """Parse `--set field=value` items into a new form; refuse fields not editable now."""
        extra = set(allowed_extra)
        changes: dict[str, Any] = {}
        errors: list[InvalidInput] = []  # every bad value at once (a form from a file has many)
        for item in sets:
            try:
                name, raw = parse_assignment(item)
                if name not in spec.fields:  # a field may be typed by its Chinese label
                    name = next((k for k, v in spec.fields.items() if v.label == name), name)
                fs = spec.fields.get(name)
                if fs is None:
                    known = "、".join(f"{k}（{v.label}）" for k, v in spec.fields.items())
                    raise InvalidInput(f"流程“{spec.title}”没有字段“{name}”；可用字段：{known}")
                if name not in extra and state not in fs.editable_in and "*" not in fs.editable_in:
                    where = "、".join(spec.label_of(s) for s in fs.editable_in) or "（任何状态都不能直接修改）"
                    raise InvalidInput(f"“{fs.label}”（{name}）在“{spec.label_of(state)}”状态下不能修改；可在：{where}")
                changes[name] = parse_value(name, fs, raw)
            except InvalidInput as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InvalidInput(f"有 {len(errors)} 处填写错误，未作任何修改：\n" + "\n".join(f"  {e}" for e in errors))
        return changes

    def _registered(self, s: Session, spec: ProcessSpec, changes: dict[str, Any]) -> dict[str, Any]:
        """`party` fields name a registered party (by code, number or registered name): store its code.

        A recommender is an identity of the register, not a free text two spellings would split.
        """
        from .errors import PartyLookupError

        out = dict(changes)
        for name, value in changes.items():
            fs = spec.fields.get(name)
            if fs is None or fs.type != "party" or value in (None, ""):
                continue
            register = f"请先用 award party add --kind organization --name 名称 --code 统一社会信用代码 登记“{fs.label}”"
            try:
                party = self.office._party_row(s, value)
            except PartyLookupError:
                shown = mask_resident_id(value) if len(value) == 18 and value[:17].isdigit() else value
                raise InvalidInput(f"“{fs.label}”（{name}）须为已登记的单位：{shown} 未登记；{register}，"
                                   "再用其代码填写") from None
            if fs.party_kind is not None and party.kind != fs.party_kind:
                raise InvalidInput(f"“{fs.label}”（{name}）须为{_kind(fs.party_kind)}，{party.name} 是{_kind(party.kind)}")
            out[name] = party.code
        return out

    # --------------------------------------------------------------- open case

    def case_new(self, *, party: str, round_id: str, track: str, start: str | None, sets: Sequence[str],
                 actor: Actor, comment: str | None = None, override: str | None = None) -> CaseView:
        """Open a case for a party in a round on a track; the intake guards decide.

        `override` is the office's reason for excusing an intake rule that holds "in principle"
        (`override:` on the guard); it is recorded in the case's first event.
        """
        with self.transaction(f"{round_id}/{party}") as s:
            round_row = self.office.round_row(s, round_id)
            spec = self.catalog.get(round_row.procedure)
            if track not in spec.tracks:
                options = "、".join(f"{k}（{v.label}）" for k, v in spec.tracks.items())
                raise InvalidInput(f"流程“{spec.title}”没有赛道“{track}”；可选：{options}")
            start_name = start or next(iter(spec.starts))
            if start_name not in spec.starts:
                options = "、".join(f"{k}（{v.label}）" for k, v in spec.starts.items())
                raise InvalidInput(f"流程“{spec.title}”没有开始方式“{start_name}”；可选：{options}")
            start_spec = spec.starts[start_name]
            party_row = self.office._party_row(s, party)
            tspec = spec.tracks[track]
            if party_row.kind != tspec.party:
                raise Refused(f"不能开启案件：赛道“{tspec.label}”只接受{_kind(tspec.party)}申报，"
                              f"{party_row.name} 是{_kind(party_row.kind)}",
                              [Verdict(passed=False, guard="track", rule=tspec.rule or "",
                                       reason=f"“{tspec.label}”的申报主体须为{_kind(tspec.party)}")])
            self.require_role(spec, actor, start_spec.roles, f"以“{start_spec.label}”开启案件", tspec.rule)
            changes = self._registered(s, spec, self._apply_sets(spec, start_spec.state, {}, sets))
            data = {**tspec.fields, **changes}
            missing = [spec.fields[f].label for f in start_spec.requires if data.get(f) in (None, "")]
            if missing:
                raise InvalidInput(f"以“{start_spec.label}”开启案件须填写：" + "、".join(missing)
                                   + "（--set 字段=值）")
            n = len(s.exec(select(CaseRow.id).where(CaseRow.round_id == round_row.id)).all()) + 1
            now, wall = self.clock(), self.wall_clock()
            assert party_row.id is not None
            row = CaseRow(
                ref=f"{spec.id.upper()}-{round_row.year}-{n:03d}", procedure=spec.id,
                definition_version=spec.version, definition_hash=spec.content_hash, round_id=round_row.id,
                party_id=party_row.id, track=track, state=start_spec.state, data=data, entered_at=now,
                created_at=now, updated_at=now,
            )
            facts = self._facts(s, spec, row, party=party_row, round_row=round_row)
            facts, excusable = self._excuse(spec, actor, spec.intake, override, facts, f"以“{start_spec.label}”开启案件")
            verdicts = [v for v in _evaluate(spec.intake, facts)]
            failures = [v for v in verdicts if not v.passed]
            if failures:
                raise Refused(f"不能为 {party_row.name} 开启{tspec.label}案件", failures)
            excused = _excused(verdicts, excusable, override)
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ConflictError(row.ref) from None
            event = self._append(s, row, kind=EventKind.CREATED, trigger=start_name, source=None,
                                 dest=start_spec.state, actor=actor, role=_role(spec, actor, None),
                                 now=now, wall=wall, comment=comment,
                                 data={"v": PAYLOAD_VERSION, "changes": changes, "track": track,
                                       "verdicts": [_verdict_json(v) for v in verdicts], **excused})
            facts = self._facts(s, spec, row, party=party_row, round_row=round_row)
            self._run_hooks(s, row, event, spec, facts, None)
            ref = row.ref
        return self.show(ref, actor=actor)

    # ------------------------------------------------------------------ advance

    def advance(self, ref: str, trigger: str, *, actor: Actor, sets: Sequence[str] = (),
                comment: str | None = None, expect_version: int | None = None,
                backdate: str | None = None, override: str | None = None) -> StepResult:
        """Fire one trigger on one case, in one transaction.

        Args:
            backdate: the reason, when the step is dated before the case's last event (else refused).
            override: the office's reason for excusing a guard that holds "in principle" (recorded).

        Raises:
            Refused: the trigger is not available, the role is wrong, a guard failed, or the step
                would run the case's history backwards (exit 3).
            ConflictError: another writer changed the case first (exit 5).
        """
        with self.transaction(ref) as s:
            return self.advance_in(s, ref, trigger, actor=actor, sets=sets, comment=comment,
                                   expect_version=expect_version, backdate=backdate, override=override)

    def advance_in(self, s: Session, ref: str | int, trigger: str, *, actor: Actor, sets: Sequence[str] = (),
                   comment: str | None = None, expect_version: int | None = None,
                   extra: Mapping[str, Any] | None = None, at: datetime | None = None,
                   backdate: str | None = None, override: str | None = None) -> StepResult:
        """One step inside the caller's transaction (a timer firing, an upheld objection).

        `at` sets the business time (a timer's due time); `extra` is added to the event's payload.
        The caller commits, then calls `after_commit`. `backdate` is the reason when the step is
        dated before the case's last event (else refused).
        """
        row = self.case_row(s, ref)
        spec = self.spec_of(row)
        v = values_of(row)  # the case's values: an ORM attribute costs ~3 k instructions a read
        case_id, case_ref, here, stored, events = v["id"], v["ref"], v["state"], v["data"], v["events"]
        old_version = v["version"] if expect_version is None else expect_version
        transition = spec.transition(trigger, here)
        if transition is None:
            raise Refused(self._unavailable(spec, row, trigger), self._why_unavailable(s, spec, row, trigger))
        self.require_role(spec, actor, transition.roles, f"“{transition.label}”", transition.rule)
        self._lock_round_if_counted(s, row, transition)
        changes = self._registered(s, spec, self._apply_sets(spec, here, stored, sets,
                                                             allowed_extra=transition.fields))
        data = {**stored, **changes}
        problems = self._missing(spec, transition, data)
        if transition.comment == "required" and not (comment or "").strip():
            problems.append(Verdict(passed=False, guard="comment", rule=transition.rule or "",
                                    reason=f"“{transition.label}”须用 --comment 写明理由"))
        facts = self._facts(s, spec, row, data, at=at)
        facts, excusable = self._excuse(spec, actor, transition.guards, override, facts, f"“{transition.label}”")
        outcome = self.machines.get(spec).fire(facts, trigger)
        failures = [*problems, *outcome.failures]
        if failures or not outcome.moved:
            raise Refused(f"{case_ref}：不能执行“{transition.label}”（当前状态：{spec.label_of(here)}）",
                          failures)
        extra = {**(extra or {}), **_excused(outcome.verdicts, excusable, override)}
        now, wall = at or self.clock(), self.wall_clock()
        if at is None and case_id is not None:  # a timer's step is dated at its due time, never backwards
            extra = {**(extra or {}), **check_forward(s, case_id, case_ref, now, backdate)}
        event = self._new_event(
            row, kind=EventKind.TRANSITION, trigger=trigger, source=outcome.source, dest=outcome.dest, actor=actor,
            role=_role(spec, actor, transition.roles), now=now, wall=wall, comment=comment,
            data={"v": PAYLOAD_VERSION, "changes": changes, "verdicts": [_verdict_json(v) for v in outcome.verdicts],
                  **(extra or {})},
        )
        self._insert_event(s, row, event)
        written = values_of(event)
        seq, head = written["seq"], written["hash"]
        # One UPDATE moves the case and its history head, conditional on the version and head read:
        # a concurrent writer makes it match no row, and the whole step rolls back (exit 5).
        closed = spec.state(outcome.dest).final
        result = _MOVE_CASE.run(s, {"b_id": case_id, "b_version": old_version, "b_events": events,
                                    "state": outcome.dest, "version": old_version + 1, "data": data,
                                    "updated_at": now, "entered_at": now, "closed": closed, "events": seq,
                                    "head_hash": head})
        if result.rowcount != 1:
            raise ConflictError(case_ref)
        committed(row, state=outcome.dest, version=old_version + 1, data=data, updated_at=now, entered_at=now,
                  closed=closed, events=seq, head_hash=head)  # what the UPDATE wrote, not read back
        # the form after the step is the one the guards read (`facts.data`, converted from `data`)
        facts = facts.replaced(state=outcome.dest, data=dict(facts.data), before=facts.data, entered_at=now)
        ledger = SessionLedger(s, self.clock)
        for eff in transition.effects:
            entry = EFFECTS.get(eff["effect"])
            entry.fn(facts, entry.params.model_validate({k: v for k, v in eff.items() if k != "effect"}), ledger)
        step = self._run_hooks(s, row, event, spec, facts, transition)
        return StepResult(
            case_ref=case_ref, trigger=trigger, trigger_label=transition.label, source=outcome.source,
            source_label=spec.label_of(outcome.source), dest=outcome.dest, dest_label=spec.label_of(outcome.dest),
            seq=seq, verdicts=outcome.verdicts, timers=tuple(_planned_view(t) for t in step.planned),
        )

    def advance_many(self, *, round_id: str, state: str, trigger: str, actor: Actor, sets: Sequence[str] = (),
                     comment: str | None = None,
                     progress: Callable[[str, StepResult | AwardError], None] | None = None,
                     backdate: str | None = None) -> list[tuple[str, StepResult | AwardError]]:
        """Fire a trigger on every case of a round in a state; each case is its own transaction."""
        with self.db.session() as s:
            self.office.round_row(s, round_id)
            refs = [c.ref for c in s.exec(select(CaseRow).where(CaseRow.round_id == round_id, CaseRow.state == state)
                                         .order_by(col(CaseRow.id))).all()]
        out: list[tuple[str, StepResult | AwardError]] = []
        for ref in refs:
            try:
                res: StepResult | AwardError = self.advance(ref, trigger, actor=actor, sets=sets, comment=comment,
                                                            backdate=backdate)
            except AwardError as exc:
                res = exc
            out.append((ref, res))
            if progress:
                progress(ref, res)
        return out

    def _lock_round_if_counted(self, s: Session, row: CaseRow, transition: TransitionSpec) -> None:
        """Guards that count the round's cases (quotas, per-recommender limits) must not race each other.

        On PostgreSQL the round row is locked for the step; SQLite serialises writers itself and a
        stale reader loses with a ConflictError.
        """
        if self.db.is_sqlite:
            return
        if any(g.check in GUARDS and GUARDS.get(g.check).round_scoped for g in transition.guards):
            s.exec(select(RoundRow).where(RoundRow.id == row.round_id).with_for_update()).first()

    def _excuse(self, spec: ProcessSpec, actor: Actor, calls: Sequence[GuardCall], override: str | None,
                facts: CaseFacts, what: str) -> tuple[CaseFacts, list[str]]:
        """`--override "理由"`: excuse, for this case, the guards of this step that hold "in principle".

        Only a holder of a role the guard's `override:` names may excuse it; the rules excused are
        returned, and the step's event records them with the reason (who: the event's actor).
        """
        if override is None:
            return facts, []
        from .inputs import free_text

        reason = free_text(override, "破例理由（--override）").strip()
        if not reason:
            raise InvalidInput("--override 须写明破例准许的理由，例如 --override \"经市创奖办研究同意\"")
        excusable = [c for c in calls if c.override]
        if not excusable:
            raise InvalidInput(f"{what}没有“原则上”可以破例的条件，--override 不适用；请去掉后重试")
        self.require_role(spec, actor, sorted({r for c in excusable for r in c.override or []}),
                          f"对{what}破例准许", excusable[0].rule)
        held = set(actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None))
        rules = list(dict.fromkeys(c.rule for c in excusable if held & set(c.override or [])))
        text = f"{actor.name}破例准许：{reason}"
        return facts.replaced(overrides={**facts.overrides, **{r: text for r in rules}}), rules

    def require_role(self, spec: ProcessSpec, actor: Actor, roles: Sequence[str], what: str,
                     rule: str | None = None) -> None:
        """The actor must hold one of `roles` for this procedure or its issuer; `system` is the timer's alone."""
        if actor.timer:
            if "system" in roles:
                return
            raise Refused(f"{what}须由工作人员执行，定时任务不能执行",
                          [Verdict(passed=False, guard="role", rule=RULE_TIMER, reason="定时任务只执行定时触发")])
        staff_roles = [r for r in roles if r != "system"]
        if not staff_roles:
            raise Refused(f"{what}是定时触发，只能由定时任务（award tick 或 award scheduler）在期满时执行，"
                          "任何人都不能手动执行",
                          [Verdict(passed=False, guard="role", rule=RULE_TIMER,
                                   reason="定时触发不能手动执行（system 为保留的定时任务身份）"),
                           *([Verdict(passed=False, guard="role", rule=rule, reason="期限届满由定时任务判定")]
                             if rule else [])])
        require_member(actor, what)  # a stranger, a disabled member, a shared PC without --as (AWD-1)
        held = actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)
        if set(held) & set(staff_roles):
            return
        need = "、".join(spec.roles.get(r, r) for r in staff_roles)
        if not actor.on_roster:
            who = f"系统登录名 {actor.login}" if actor.login and actor.identity == "unbound" else actor.name
            hint = f"{who} 不是在册的工作人员（或已停用）：请系统管理员用 award staff add 登记并绑定登录名"
            cite = RULE_IDENTITY
        else:
            other = [g for g in actor.roles if g.split("@")[0] in staff_roles]
            have = "、".join(spec.roles.get(r, r) for r in held) or "无"
            hint = f"{actor.name} 在{spec.title}中的角色为：{have}"
            if other:
                hint += f"（{'、'.join(other)} 是其他流程或机关的角色，不适用于本流程）"
            cite = RULE_ISSUER if other else RULE_DUTY
        raise Refused(f"{what}只能由 {need} 执行；{hint}",
                      [Verdict(passed=False, guard="role", rule=rule or cite, reason=f"角色不符（需要：{need}）"),
                       *([Verdict(passed=False, guard="role", rule=cite, reason="角色须属于本流程或其发布机关")]
                         if rule and cite == RULE_ISSUER else [])])

    def _missing(self, spec: ProcessSpec, t: TransitionSpec, data: Mapping[str, Any]) -> list[Verdict]:
        return missing_verdicts(spec, t, data)

    def _why_unavailable(self, s: Session, spec: ProcessSpec, row: CaseRow, trigger: str) -> list[Verdict]:
        """The rule that keeps a trigger out of reach now: the running period's (with its last day), or the step's."""
        if trigger not in spec.triggers():
            return [Verdict(passed=False, guard="trigger", rule="AWD-5", reason=f"流程没有触发 {trigger!r}")]
        out: list[Verdict] = []
        pending = s.exec(select(TimerRow).where(TimerRow.case_id == row.id, TimerRow.kind == "transition",
                                                col(TimerRow.status).in_(["pending", "held"]))
                         .order_by(col(TimerRow.due_at))).all()
        from .timing.clock import local_date as _local_date
        from .timing.periods import describe, parse_period

        for t in pending:
            last = t.last_day or _local_date(utc(t.due_at))
            try:
                length = describe(parse_period(t.period), spec.start_day_counts, start_label="开始当日") + "，"
            except ValueError:
                length = ""
            out.append(Verdict(passed=False, guard="period", rule=t.rule,
                               reason=f"“{spec.label_of(row.state)}”尚未结束：{length}至"
                                      f"{last.year}年{last.month}月{last.day}日止"))
        if not out:
            rules = [t.rule for t in spec.transitions if t.trigger == trigger and t.rule]
            out.append(Verdict(passed=False, guard="state", rule=rules[0] if rules else "AWD-5",
                               reason=f"此步骤不能从“{spec.label_of(row.state)}”执行"))
        return out

    def _unavailable(self, spec: ProcessSpec, row: CaseRow, trigger: str) -> str:
        here = spec.label_of(row.state)
        if trigger not in spec.triggers():
            known = "、".join(f"{t.label}（{t.trigger}）" for t in spec.transitions_from(row.state))
            return f"{row.ref}：流程“{spec.title}”没有“{trigger}”这一操作；此状态可用：{known or '无（已办结）'}"
        label = next(t.label for t in spec.transitions if t.trigger == trigger)
        available = [f"{t.label}（{t.trigger}）" for t in spec.transitions_from(row.state)]
        now = "、".join(available) if available else "无（已办结）"
        return f"{row.ref}：当前状态“{here}”下不能办理“{label}”（{trigger}）；此状态可用：{now}"

    def _new_event(self, row: CaseRow, *, kind: str, trigger: str | None, source: str | None,
                   dest: str | None, actor: Actor, role: str | None, now: datetime, wall: datetime,
                   comment: str | None, data: dict[str, Any]) -> EventRow:
        """The next event of the case's history, chained to its head (not yet written)."""
        v = values_of(row)
        assert v["id"] is not None
        if not actor.timer:  # how the actor was proved, and who typed the command for them (AWD-1, AWD-2)
            data = {**data, "actor": actor.provenance()}
        values = {"id": None, "case_id": v["id"], "seq": v["events"] + 1, "kind": kind, "trigger": trigger,
                  "source": source, "dest": dest, "actor": actor.name, "role": role, "business_time": now,
                  "wall_time": wall, "comment": comment, "data": data, "prev_hash": v["head_hash"] or GENESIS}
        return construct(EventRow, **values, hash=event_hash(values))

    @staticmethod
    def _insert_event(s: Session, row: CaseRow, event: EventRow) -> None:
        """INSERT the event with one Core statement (no unit-of-work flush); (case, seq) is unique, so a
        concurrent writer of the same event loses here (exit 5)."""
        held = values_of(event)
        values = {c: held[c] for c in _EVENT_COLUMNS}
        try:
            committed(event, id=_INSERT_EVENT.run(s, values).fetchone()[0])
        except IntegrityError:
            raise ConflictError(row.ref) from None

    def _append(self, s: Session, row: CaseRow, *, kind: str, trigger: str | None, source: str | None,
                dest: str | None, actor: Actor, role: str | None, now: datetime, wall: datetime,
                comment: str | None, data: dict[str, Any]) -> EventRow:
        """Append one history event chained to the case's head; update the head in the same transaction."""
        event = self._new_event(row, kind=kind, trigger=trigger, source=source, dest=dest, actor=actor, role=role,
                                now=now, wall=wall, comment=comment, data=data)
        self._insert_event(s, row, event)
        result = _MOVE_HEAD.run(s, {"b_id": row.id, "b_events": row.events, "events": event.seq,
                                    "head_hash": event.hash})
        if result.rowcount != 1:
            raise ConflictError(row.ref)
        committed(row, events=event.seq, head_hash=event.hash)
        return event

    def append_event(self, s: Session, row: CaseRow, **event: Any) -> EventRow:
        """Append one event chained to the case's head, inside the caller's transaction, without its hooks
        (a correction runs them itself once it has restored the state)."""
        return self._append(s, row, **event)

    def facts_at(self, s: Session, spec: ProcessSpec, row: CaseRow, data: Mapping[str, Any] | None = None,
                 *, at: datetime | None = None) -> CaseFacts:
        """What guards and hooks see of the case now (or with `data` as its form, or at business time `at`)."""
        return self._facts(s, spec, row, data, at=at)

    def run_hooks(self, s: Session, row: CaseRow, event: EventRow, spec: ProcessSpec, facts: CaseFacts,
                  transition: TransitionSpec | None, planned: Sequence[dict[str, Any]] = ()) -> None:
        """Run the step hooks in their stated order for an event written by the caller (a correction);
        `planned`: the timers the caller planned for it (`timers.plan`), which its letters may name."""
        self._run_hooks(s, row, event, spec, facts, transition, planned)

    def record_event(self, s: Session, row: CaseRow, *, kind: str, actor: Actor, data: dict[str, Any],
                     comment: str | None = None, at: datetime | None = None) -> EventRow:
        """Append an event that moves no state (an objection, a report, a reminder) and run the hooks,
        inside the caller's transaction."""
        spec = self.spec_of(row)
        event = self._append(s, row, kind=kind, trigger=None, source=row.state, dest=row.state, actor=actor,
                             role=_role(spec, actor, None), now=at or self.clock(), wall=self.wall_clock(),
                             comment=comment, data={"v": PAYLOAD_VERSION, **data})
        self._run_hooks(s, row, event, spec, lambda: self._facts(s, spec, row, at=at), None)
        return event

    def event_view(self, row: CaseRow, event: EventRow) -> EventView:
        return _event_view(self.catalog.get(row.procedure, row.definition_version), event)

    # --------------------------------------------------------------------- read

    def show(self, ref: str | int, *, actor: Actor | None = None) -> CaseView:
        """A case with its form, the triggers available now (and why not), and pending timers."""
        with self.db.session() as s:
            row = self.case_row(s, ref)
            spec = self.spec_of(row)
            facts = self._facts(s, spec, row)
            triggers = trigger_views(spec, row, facts, actor)  # shared with the plain read path
            timers = s.exec(select(TimerRow).where(TimerRow.case_id == row.id,  # blocked: waits for a calendar year
                                                   col(TimerRow.status).in_([*LIVE_TIMERS, TimerStatus.BLOCKED]),
                                                   col(TimerRow.kind) != TimerKind.RETENTION)
                            .order_by(col(TimerRow.due_at))).all()
            objections = s.exec(select(ObjectionRow).where(ObjectionRow.case_id == row.id)
                                .order_by(col(ObjectionRow.id))).all()
            party = self.office._party_view(s, s.get(PartyRow, row.party_id), history=False)  # type: ignore[arg-type]
            from .casework import case_records
            from .entries import entries_of

            entries = entries_of(spec, facts.notes)  # self-evaluations, consultations, answers: from the history
            checklist = case_records(spec, facts.data, facts.notes)
            return case_view(spec, row, party=party, triggers=triggers, timers=timers, objections=objections,
                             names=facts.names, entries=entries, checklist=checklist,
                             retention=_retention(s, spec, row), recovery=tuple(case_checklist(s, spec, row)))

    def history(self, ref: str | int) -> tuple[CaseView, list[EventView]]:
        with self.db.session() as s:
            row = self.case_row(s, ref)
            spec = self.catalog.get(row.procedure, row.definition_version)
            events = s.exec(select(EventRow).where(EventRow.case_id == row.id).order_by(col(EventRow.seq))).all()
            views = [_event_view(spec, e) for e in events]
        return self.show(ref), views

    def cases(self, *, procedure: str | None = None, round_id: str | None = None,
              state: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """A page of cases for tables (ref, party, track, state), oldest first: cost grows with the page."""
        with self.db.session() as s:
            q = select(CaseRow, PartyRow).join(PartyRow, col(CaseRow.party_id) == col(PartyRow.id))
            if procedure:
                q = q.where(CaseRow.procedure == procedure)
            if round_id:
                q = q.where(CaseRow.round_id == round_id)
            if state:
                q = q.where(CaseRow.state == state)
            out = []
            q = q.order_by(col(CaseRow.id)).offset(offset)
            page = s.exec(q if limit is None else q.limit(limit)).all()
            names = party_names(s, (str(c.data[f]) for c, _p in page for f in self._listed_parties(c)
                                    if c.data.get(f)))
            for c, p in page:
                try:
                    spec = self.catalog.get(c.procedure, c.definition_version)
                    track_label, state_label = spec.tracks[c.track].label, spec.label_of(c.state)
                    listed = {spec.fields[f].label: display(spec.fields[f], c.data.get(f), names) if c.data.get(f)
                              is not None else "" for f in spec.listed}
                except LookupError:
                    track_label, state_label, listed = c.track, c.state, {}
                out.append({"ref": c.ref, "round": c.round_id, "party": p.name, "track": c.track,
                            "track_label": track_label, "state": c.state, "state_label": state_label,
                            "held": c.held, "closed": c.closed, "updated_at": utc(c.updated_at),
                            "party_id": p.id, "party_kind": p.kind, "district": p.district,
                            "party_code": p.code if p.kind == "organization" else mask_resident_id(p.code),
                            "listed": listed, "created_at": utc(c.created_at),
                            "entered_at": utc(c.entered_at)})
            return out

    def _listed_parties(self, row: CaseRow) -> list[str]:
        """The listed fields of a case's definition that name a registered party (a recommender)."""
        try:
            spec = self.catalog.get(row.procedure, row.definition_version)
        except LookupError:
            return []
        return [f for f in spec.listed if spec.fields[f].type == "party"]

    def verify(self, ref: str | None = None) -> tuple[int, list[ChainBreak]]:
        """Check the hash chain of one case or all; raises TamperedHistory listing every break."""
        breaks: list[ChainBreak] = []
        with self.db.session() as s:
            rows = [self.case_row(s, ref)] if ref else list(s.exec(select(CaseRow).order_by(col(CaseRow.id))).all())
            for row in rows:
                events = s.exec(select(EventRow).where(EventRow.case_id == row.id).order_by(col(EventRow.id))).all()
                breaks += verify_chain(row.ref, events, head_hash=row.head_hash, count=row.events)
            if self.seal is not None:  # seals keyed outside the database (seal.py)
                breaks += self.seal.check(s, rows, whole=ref is None)
        if breaks:
            lines = [f"  {b.case_ref} 第{b.seq}条：{b.reason}" if b.seq else f"  {b.case_ref}：{b.reason}"
                     for b in breaks]
            raise TamperedHistory("案件历史的哈希链断裂，记录可能被绕过系统修改：\n" + "\n".join(lines))
        return len(rows), breaks


_EVENT_COLUMNS = tuple(c.name for c in EventRow.__table__.columns if c.name != "id")  # type: ignore[attr-defined]


def _event_insert() -> Any:
    table = EventRow.__table__  # type: ignore[attr-defined]
    return insert(table).values({c: bindparam(c) for c in _EVENT_COLUMNS}).returning(table.c.id)


def _case_update(*values: str, where: tuple[str, ...]) -> Callable[[], Any]:
    """The conditional UPDATE of a case: `where` columns must still hold what the step read (b_<name>)."""

    def build() -> Any:
        table = CaseRow.__table__  # type: ignore[attr-defined]
        return (update(table).where(*(table.c[w] == bindparam(f"b_{w}") for w in where))
                .values({v: bindparam(v) for v in values}))

    return build


_TIMER_VIEW = ("id", "kind", "state", "trigger", "duty", "rule", "period", "last_day", "status", "provisional", "note",
               "duty_index")


def _planned_view(values: Mapping[str, Any]) -> TimerView:
    """A timer a step planned (`Step.planned`: the row as written), for the step's result."""
    fields = {name: values[name] for name in _TIMER_VIEW if name != "duty_index"}
    return TimerView(**fields, index=values["duty_index"], due_at=utc(values["due_at"]))
_CASE_COLUMNS = tuple(c.name for c in CaseRow.__table__.columns)  # type: ignore[attr-defined]


def _case_by(column: str) -> Callable[[], Any]:
    def build() -> Any:
        table = CaseRow.__table__  # type: ignore[attr-defined]
        return sa_select(*(table.c[c] for c in _CASE_COLUMNS)).where(table.c[column] == bindparam(column))

    return build


_CASE_BY_ID = Prepared(_case_by("id"))
_CASE_BY_REF = Prepared(_case_by("ref"))


_INSERT_EVENT = Prepared(_event_insert)
_MOVE_HEAD = Prepared(_case_update("events", "head_hash", where=("id", "events")))
_MOVE_CASE = Prepared(_case_update("state", "version", "data", "updated_at", "entered_at", "closed", "events",
                                   "head_hash", where=("id", "version", "events")))


class _SqliteRace:
    """Turn SQLite's 'database is locked' during a step into a clean ConflictError (exit 5)."""

    def __init__(self, is_sqlite: bool, ref: str) -> None:
        self.is_sqlite, self.ref = is_sqlite, ref

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if isinstance(exc, DatabaseBusy) or (
                isinstance(exc, OperationalError) and ("locked" in str(exc) or "could not serialize" in str(exc))):
            raise ConflictError(self.ref) from None


def _evaluate(calls: Any, facts: CaseFacts) -> list[Verdict]:
    from .guards import evaluate_all

    return evaluate_all(list(calls), facts)


def _kind(kind: str) -> str:
    return {"organization": "组织", "person": "个人"}.get(kind, kind)


def _role(spec: ProcessSpec, actor: Actor, roles: Sequence[str] | None) -> str | None:
    if actor.timer:
        return "system"
    held = actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)
    if roles is None:
        return held[0] if held else None
    for r in held:
        if r in roles:
            return r
    return None


def _excused(verdicts: Iterable[Verdict], rules: Sequence[str], override: str | None) -> dict[str, Any]:
    """The event payload of an `--override`: the rules it excused now, and why (exit 2 if it excused none)."""
    if override is None:
        return {}
    used = list(dict.fromkeys(v.rule for v in verdicts if v.overridden and v.rule in rules))
    if not used:
        raise InvalidInput("本次办理没有被拒绝的“原则上”条件，无需破例：请去掉 --override 后重试")
    return {"override": {"rules": used, "reason": override.strip()}}
def _retention(s: Session, spec: ProcessSpec, row: CaseRow) -> dict[str, Any] | None:
    """How long the case's material is kept (the definition's `retention`): every mark its outcomes set,
    none cancelled by a later step, and the last day of the latest (None while no outcome is reached)."""
    keep = spec.retention
    if keep is None:
        return None
    marks = s.exec(select(TimerRow).where(TimerRow.case_id == row.id, TimerRow.kind == TimerKind.RETENTION,
                                          TimerRow.status != TimerStatus.CANCELLED)
                   .order_by(col(TimerRow.entry_seq))).all()
    return retention_view(spec, marks)


def _verdict_json(v: Verdict) -> dict[str, Any]:
    out = {"passed": v.passed, "guard": v.guard, "rule": v.rule, "reason": v.reason}
    return {**out, "overridden": True} if v.overridden else out
