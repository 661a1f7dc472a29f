"""The transactional outbox: notifications written with their state change, delivered after commit.

One row per (history event, recipient, channel, template), unique, rendered
in the step's transaction: each kind of recipient gets its own letter
(`NotifySpec.letters`). Delivery (`delivery.py`) claims a row (conditional
update), sends it with a Message-ID derived from the row, then records what
really happened: `sent` (a server took it), `spooled` (written to a folder),
`printed`, `uncertain` (the server took it but never answered: not resent by
itself), or the error with the next attempt; after the last attempt the row
is failed and visible, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from ..abc import Notifier
from ..errors import ConfigError, InvalidInput, Problem, RecordLookupError
from ..facts import CaseFacts, resolve
from ..registers.identity import mask_resident_id
from ..specs.catalog import Catalog
from ..specs.fields import display
from ..specs.model import NotifySpec, ProcessSpec, TransitionSpec
from ..store import CaseRow, EventRow, OutboxRow, PartyRecordRow, TimerRow, utc
from ..timing.clock import local_date
from .attachments import OutboxAttachmentRow
from .delivery import STATUS_LABELS, Deliverer, DeliveryReport, message_id
from .deployment import Deployment, load_deployment
from .recipients import addresses, no_address

if TYPE_CHECKING:
    from ..engine import Engine
    from .templates import Rendered, TemplateSet

__all__ = ["DeliveryReport", "Outbox", "check_templates", "install", "message_id"]

_LOGGER = logging.getLogger(__name__)

Channels = Callable[[str], Notifier]
"""channel -> its notifier, built by the composition root; raises ConfigError when it cannot be built
(an unset secret), which the deliverer records on the row."""


def install(engine: Engine, *, deployment: str | Deployment | None, deliver: bool = True,
            notifiers: Mapping[str, Notifier] | None = None, channels: Channels | None = None) -> Outbox:
    """Render notifications inside every step of `engine`; deliver after commit only when `deliver` is
    set and the deployment allows delivery in this process (`delivery.inline`)."""
    from .templates import TemplateSet

    dep = deployment if isinstance(deployment, Deployment) else load_deployment(deployment)
    root = engine.catalog.root if engine.catalog.root.is_dir() else engine.catalog.root.parent
    if channels is None:
        given = dict(notifiers or {})

        def channels(channel: str) -> Notifier:
            if channel not in given:
                raise ConfigError(f"没有为渠道 {channel} 提供通知方式")
            return given[channel]

    outbox = Outbox(engine=engine, deployment=dep, templates=TemplateSet(root / "templates"), channels=channels)
    engine.hooks.append(outbox.on_step)
    if deliver and dep.delivery.inline:
        engine.after_commit.append(outbox.deliver_quietly)
    engine.extensions["outbox"] = outbox
    return outbox


@dataclass(kw_only=True)
class Outbox:
    """Writes, lists, delivers and retries notifications."""

    engine: Engine
    deployment: Deployment
    templates: TemplateSet
    channels: Channels

    # ----------------------------------------------------------------- write

    def on_step(self, s: Session, row: CaseRow, event: EventRow, spec: ProcessSpec, facts: CaseFacts,
                transition: TransitionSpec | None) -> None:
        specs = self._specs_for(spec, event, transition)
        if not specs:
            return
        timers = s.exec(select(TimerRow).where(TimerRow.case_id == row.id, TimerRow.entry_seq == event.seq)
                        .order_by(col(TimerRow.due_at))).all()
        record = s.exec(select(PartyRecordRow).where(PartyRecordRow.case_id == row.id)).first()
        ctx = context(spec, facts, row, event, transition, list(timers), record)
        now = self.engine.wall_clock()
        assert event.id is not None and row.id is not None
        for n in specs:
            rendered: dict[str, Rendered] = {}
            seen: set[tuple[str, str]] = set()
            for role, template in n.letters():
                if template is None:
                    continue  # `definitions check` refuses it; a definition never runs with one
                if template not in rendered:
                    rendered[template] = self.templates.render(spec.id, template, ctx)
                letter = rendered[template]
                base: dict[str, Any] = {
                    "event_id": event.id, "case_id": row.id, "template": template, "channel": n.channel,
                    "role": role, "subject": letter.subject, "body": letter.text, "html": letter.html,
                    "created_at": now, "next_attempt_at": now}
                found = addresses(self.deployment, spec, facts, role, n.channel, s)
                if not found:
                    status = "skipped" if n.channel not in self.deployment.notifiers else "failed"
                    s.add(OutboxRow(**base, recipient=f"（{role}：无地址）", status=status,
                                    last_error=no_address(self.deployment, spec, role, n.channel)))
                    continue
                for address in found:
                    if (address, template) in seen:
                        continue
                    seen.add((address, template))
                    out = OutboxRow(**base, recipient=address)
                    s.add(out)
                    if letter.attachments:
                        s.flush()
                        assert out.id is not None
                        for name, text in letter.attachments:
                            s.add(OutboxAttachmentRow(outbox_id=out.id, filename=name, content=text.encode("utf-8")))

    @staticmethod
    def _specs_for(spec: ProcessSpec, event: EventRow, transition: TransitionSpec | None) -> list[NotifySpec]:
        if transition is not None:
            return list(transition.notify)
        if event.kind == "created" and event.trigger in spec.starts:
            return list(spec.starts[event.trigger].notify)
        return list(spec.on_events.get(event.kind, []))

    # ------------------------------------------------------------------ read

    def list(self, *, failed: bool = False, case: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Rows with their status, attempts, next attempt and error; `sending` rows say until when."""
        now = self.engine.wall_clock()
        with self.engine.db.session() as s:
            q = select(OutboxRow, CaseRow).join(CaseRow, col(OutboxRow.case_id) == col(CaseRow.id))
            if failed:
                q = q.where(col(OutboxRow.status).in_(("failed", "uncertain")))
            if status:
                q = q.where(OutboxRow.status == status)
            if case:
                q = q.where(CaseRow.ref == case.upper())
            out = []
            for o, c in s.exec(q.order_by(col(OutboxRow.id))).all():
                waiting = o.status in ("pending", "sending")
                stale = o.status == "sending" and utc(o.next_attempt_at) <= now
                out.append({"id": o.id, "case": c.ref, "template": o.template, "channel": o.channel, "role": o.role,
                            "recipient": o.recipient, "subject": o.subject, "status": o.status,
                            "status_label": STATUS_LABELS.get(o.status, o.status) + ("（租约已过期，可接手）" if stale else ""),
                            "attempts": o.attempts, "last_error": o.last_error,
                            "next_attempt_at": utc(o.next_attempt_at).isoformat() if waiting else None,
                            "created_at": utc(o.created_at).isoformat(),
                            "sent_at": utc(o.sent_at).isoformat() if o.sent_at else None})
            return out

    def retry(self, row_id: int) -> None:
        """Put a failed (or uncertain, or skipped) row back in the queue, due now.

        Raises:
            RecordLookupError: no such row.
            InvalidInput: the row was already sent or spooled.
            ConfigError: the recipient still has no address.
        """
        with self.engine.db.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None:
                raise RecordLookupError(f"通知 #{row_id}")
            if row.status in ("sent", "spooled", "printed"):
                when = utc(row.sent_at or row.created_at)
                raise InvalidInput(f"通知 #{row_id} 已{STATUS_LABELS[row.status]}（{when:%Y-%m-%d %H:%M} UTC），不再重发")
            if row.recipient.startswith("（"):
                case = s.get(CaseRow, row.case_id)
                assert case is not None
                spec = self.engine.spec_of(case)
                facts = self.engine._facts(s, spec, case)
                found = addresses(self.deployment, spec, facts, row.role, row.channel, s)
                if not found:
                    raise ConfigError(no_address(self.deployment, spec, row.role, row.channel))
                row.recipient = found[0]
            row.status, row.attempts, row.last_error = "pending", 0, None
            row.next_attempt_at = self.engine.wall_clock()
            s.add(row)

    # --------------------------------------------------------------- deliver

    def notifier(self, channel: str) -> Notifier:
        """The notifier of a channel (built on first use).

        Raises:
            ConfigError: the channel is not configured, or a secret it needs is missing here.
        """
        return self.channels(channel)

    def deliverer(self) -> Deliverer:
        return Deliverer(engine=self.engine, deployment=self.deployment, channels=self.channels)

    def deliver_quietly(self) -> None:
        """After-commit delivery: failures stay in the outbox, the step has already succeeded."""
        try:
            self.deliver()
        except Exception:
            _LOGGER.exception("delivery after commit failed; the rows stay in the outbox")

    def deliver(self, *, limit: int = 1000, only: int | None = None) -> DeliveryReport:
        """Send every row that is due (or only row `only`), each claimed first so that no row is sent twice."""
        return self.deliverer().run(limit=limit, only=only)

    def pending_summary(self) -> tuple[int, int, datetime | None]:
        """(rows waiting for a later attempt, rows in flight, the earliest next attempt)."""
        return self.deliverer().waiting()


# ------------------------------------------------------------------ context


def _record(record: PartyRecordRow | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"label": record.label, "awarded_on": record.awarded_on, "revoked_on": record.revoked_on,
            "bar_until": record.bar_until, "reason": record.reason or "", "rule": record.rule or ""}


def context(spec: ProcessSpec, facts: CaseFacts, row: CaseRow, event: EventRow,
            transition: TransitionSpec | None, timers: list[TimerRow],
            record: PartyRecordRow | None = None) -> dict[str, Any]:
    """What a template may use. `award definitions check` renders every template against `sample_context`."""
    form = {name: display(fs, row.data.get(name)) for name, fs in spec.fields.items()}
    timer_list = [{"kind": t.kind, "trigger": t.trigger, "duty": t.duty, "index": t.duty_index, "rule": t.rule,
                   "period": t.period, "due_at": utc(t.due_at), "last_day": t.last_day} for t in timers]
    notice_end = next((t["last_day"] for t in timer_list if t["kind"] == "transition" and t["last_day"]), None)
    code = facts.party.code if facts.party.kind == "organization" else mask_resident_id(facts.party.code)
    data = dict(event.data)
    return {
        "procedure": {"id": spec.id, "title": spec.title, "source": spec.source},
        "case": {"ref": row.ref, "track": row.track, "track_label": spec.tracks[row.track].label,
                 "state": row.state, "state_label": spec.label_of(row.state), "form": form},
        "party": {"name": facts.party.name, "kind": facts.party.kind, "code": code,
                  "district": resolve(facts, "party.district") or ""},
        "round": {"id": facts.round.id, "year": facts.round.year, "title": facts.round.id},
        "transition": {"trigger": transition.trigger, "label": transition.label,
                       "source_label": spec.label_of(event.source or ""), "dest_label": spec.label_of(event.dest or ""),
                       "rule": transition.rule or ""} if transition else None,
        "event": {"kind": event.kind, "seq": event.seq, "comment": event.comment or "",
                  "business_time": utc(event.business_time), "actor": event.actor,
                  "duty": data.get("duty") or "", "index": data.get("index") or 0, "trigger": data.get("trigger") or "",
                  "due_at": datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None,
                  "rule": data.get("rule") or ""},
        "reasons": [v["reason"] for v in data.get("verdicts", []) if not v.get("passed")],
        "timers": timer_list,
        "notice_last_day": notice_end,
        "today": local_date(utc(event.business_time)),
        "award": _record(record),
        "next_steps": [{"trigger": t.trigger, "label": t.label, "roles": [spec.roles.get(r, r) for r in t.roles]}
                       for t in spec.transitions_from(row.state) if "system" not in t.roles],
        "timer_labels": {t.trigger: t.label for s in spec.states for t in s.timers if t.trigger and t.label},
    }


def sample_context(spec: ProcessSpec) -> dict[str, Any]:
    """A context with every key filled, for checking templates without a database."""
    from ..timing.clock import system_clock

    now = system_clock()
    today = local_date(now)
    track = next(iter(spec.tracks))
    return {
        "procedure": {"id": spec.id, "title": spec.title, "source": spec.source},
        "case": {"ref": f"{spec.id.upper()}-2026-001", "track": track, "track_label": spec.tracks[track].label,
                 "state": spec.states[0].name, "state_label": spec.states[0].label,
                 "form": {name: "（示例）" for name in spec.fields}},
        "party": {"name": "示例单位", "kind": "organization", "code": "91310000MA1FL1GF94", "district": "浦东新区"},
        "round": {"id": f"{spec.id}-2026", "year": 2026, "title": f"{spec.id}-2026"},
        "transition": {"trigger": "t", "label": "示例", "source_label": "甲", "dest_label": "乙", "rule": "X-1"},
        "event": {"kind": "transition", "seq": 1, "comment": "示例", "business_time": now, "actor": "示例",
                  "duty": "quality_report", "index": 1, "due_at": now, "rule": "X-1", "trigger": "t"},
        "reasons": ["示例理由"],
        "timers": [{"kind": "transition", "trigger": "t", "duty": None, "index": None, "rule": "X-1",
                    "period": "5 working days", "due_at": now, "last_day": today}],
        "notice_last_day": today,
        "today": today,
        "award": {"label": "2026年示例奖项", "awarded_on": today, "revoked_on": today, "bar_until": today,
                  "reason": "示例", "rule": "X-1"},
        "next_steps": [{"trigger": "t", "label": "示例", "roles": ["示例"]}],
        "timer_labels": {"t": "示例期满"},
    }


def check_templates(catalog: Catalog, root: Path) -> tuple[list[Problem], int]:
    """Every template problem (syntax, unknown variables, sandbox escapes), and templates referenced but missing."""
    from ..specs.check_notify import notifications
    from .templates import TemplateSet, check

    samples = {spec.id: sample_context(spec) for spec in catalog.specs()}
    problems = check(root, samples)
    tset = TemplateSet(root)
    count = 0
    for spec in catalog.specs():
        names = set(tset.names(spec.id)) if (root / spec.id).is_dir() else set()
        count += len(names)
        wanted: list[tuple[str, tuple[str | int, ...]]] = [
            (template, where) for n, where in notifications(spec) for _, template in n.letters() if template]
        file = catalog.file_of(spec)
        loaded = next((f for f in catalog.files if f.spec is spec), None)
        for name, where in wanted:
            if name not in names:
                line = loaded.line(*where) if loaded else None
                problems.append(Problem(file=str(file), line=line,
                                        reason=f"通知模板 {spec.id}/{name}.j2 不存在（在 {root / spec.id} 中添加）"))
    return problems, count
