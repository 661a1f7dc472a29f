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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from ..abc import Notifier, Step
from ..errors import ConfigError, InvalidInput, RecordLookupError
from ..logs import logger
from ..reads import page
from ..specs.model import DUTY_EVENTS, NotifySpec, ProcessSpec, TransitionSpec
from ..store import CaseRow, EventRow, OutboxRow, PartyRecordRow, Prepared, TimerRow, construct, utc
from .attachments import OutboxAttachmentRow
from .context import context
from .delivery import STATUS_LABELS, Deliverer, DeliveryReport, message_id
from .deployment import Deployment, load_deployment
from .recipients import addresses, no_address

if TYPE_CHECKING:
    from ..engine import Engine
    from .templates import Rendered, TemplateSet

__all__ = ["DeliveryReport", "Outbox", "install", "message_id"]

_LOGGER = logger(__name__)

Channels = Callable[[str], Notifier]
"""channel -> its notifier, built by the composition root; raises ConfigError when it cannot be built
(an unset secret), which the deliverer records on the row."""


def install(engine: Engine, *, deployment: str | Deployment | None, deliver: bool = True,
            notifiers: Mapping[str, Notifier] | None = None, channels: Channels | None = None) -> Outbox:
    """Render notifications inside every step of `engine`; deliver after commit only when `deliver` is
    set and the deployment allows delivery in this process (`delivery.inline`)."""
    dep = deployment if isinstance(deployment, Deployment) else load_deployment(deployment)
    root = engine.catalog.root if engine.catalog.root.is_dir() else engine.catalog.root.parent
    if channels is None:
        given = dict(notifiers or {})

        def channels(channel: str) -> Notifier:
            if channel not in given:
                raise ConfigError(f"没有为渠道 {channel} 提供通知方式")
            return given[channel]

    outbox = Outbox(engine=engine, deployment=dep, templates_root=root / "templates", channels=channels,
                    deliver_after_commit=deliver and dep.delivery.inline)
    engine.outbox = outbox
    return outbox


_OUTBOX_COLUMNS = tuple(c.name for c in OutboxRow.__table__.columns if c.name != "id")  # type: ignore[attr-defined]
_OUTBOX_DEFAULTS: dict[str, Any] = {"html": None, "status": "pending", "attempts": 0, "last_error": None,
                                    "sent_at": None}
_INSERT_OUTBOX = Prepared(lambda: insert(OutboxRow.__table__)  # type: ignore[attr-defined]
                          .values({c: bindparam(c) for c in _OUTBOX_COLUMNS}))


_TIMER_COLUMNS = tuple(c.name for c in TimerRow.__table__.columns)  # type: ignore[attr-defined]
_RECORD_COLUMNS = tuple(c.name for c in PartyRecordRow.__table__.columns)  # type: ignore[attr-defined]


def _record() -> Any:
    """The award the case won (for a commendation's letter), read-only."""
    r = PartyRecordRow.__table__  # type: ignore[attr-defined]
    return sa_select(*(r.c[c] for c in _RECORD_COLUMNS)).where(r.c.case_id == bindparam("case_id")).limit(1)


_RECORD = Prepared(_record)


@dataclass(kw_only=True)
class Outbox:
    """The step hook that writes each step's notifications; lists, retries and delivers them.

    Attributes:
        templates_root: the message templates' folder (`templates` is made from it on first use).
        channels: channel -> Notifier, built by the composition root on first use.
        deliver_after_commit: whether a clerk's own command delivers after its step: only with
            `delivery.inline: true` in the deployment and without `--no-deliver`.
    """

    engine: Engine
    deployment: Deployment
    templates_root: Path
    channels: Channels
    deliver_after_commit: bool = False

    @cached_property
    def templates(self) -> TemplateSet:
        """The message templates (one folder per procedure), made when a step first renders a letter:
        Jinja2 and the sandbox load then, so a command whose steps send nothing (a refused step, a
        list, a delivery) never imports them."""
        from .templates import TemplateSet

        return TemplateSet(self.templates_root)

    # ----------------------------------------------------------------- write

    def on_step(self, step: Step) -> None:
        s, row, event, spec, transition = step.session, step.case, step.event, step.spec, step.transition
        specs = self._specs_for(spec, event, transition)
        if not specs:
            return
        facts = step.facts  # gathered only now: most events (a fired mark, a note) send nothing
        timers = [construct(TimerRow, **{c: t.get(c) for c in _TIMER_COLUMNS})
                  for t in sorted(step.planned, key=lambda t: utc(t["due_at"]))]
        won = _RECORD.first(s, {"case_id": row.id})
        record = construct(PartyRecordRow, **dict(zip(_RECORD_COLUMNS, won, strict=True))) if won else None
        ctx = context(spec, facts, row, event, transition, timers, record)
        now = self.engine.wall_clock()
        assert event.id is not None and row.id is not None
        plain: list[dict[str, Any]] = []  # rows without attachments: one executemany, no unit of work
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
                    plain.append({**_OUTBOX_DEFAULTS, **base, "recipient": f"（{role}：无地址）", "status": status,
                                  "last_error": no_address(self.deployment, spec, role, n.channel)})
                    continue
                for address in found:
                    if (address, template) in seen:
                        continue
                    seen.add((address, template))
                    if not letter.attachments:
                        plain.append({**_OUTBOX_DEFAULTS, **base, "recipient": address})
                        continue
                    out = OutboxRow(**base, recipient=address)
                    s.add(out)
                    s.flush()
                    assert out.id is not None
                    for name, text in letter.attachments:
                        s.add(OutboxAttachmentRow(outbox_id=out.id, filename=name, content=text.encode("utf-8")))
        _INSERT_OUTBOX.many(s, plain)

    @staticmethod
    def _specs_for(spec: ProcessSpec, event: EventRow, transition: TransitionSpec | None) -> list[NotifySpec]:
        if transition is not None:
            return list(transition.notify)
        if event.kind == "created" and event.trigger in spec.starts:
            return list(spec.starts[event.trigger].notify)
        duty = spec.duty(str(event.data.get("duty"))) if event.kind in DUTY_EVENTS and event.data.get("duty") else None
        if duty is not None and duty.on_events:  # a duty that names its notifications names all of them
            return list(duty.on_events.get(event.kind, []))
        return list(spec.on_events.get(event.kind, []))

    # ------------------------------------------------------------------ read

    def list(self, *, failed: bool = False, case: str | None = None, status: str | None = None,
             limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """Rows with their status, attempts, next attempt and error; `sending` rows say until when.
        `limit`/`offset`: one page."""
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
            for o, c in s.exec(page(q.order_by(col(OutboxRow.id)), limit, offset)).all():
                waiting = o.status in ("pending", "sending")
                stale = o.status == "sending" and utc(o.next_attempt_at) <= now
                out.append({"id": o.id, "case": c.ref, "template": o.template, "channel": o.channel, "role": o.role,
                            "recipient": o.recipient, "subject": o.subject, "status": o.status,
                            "status_label": STATUS_LABELS.get(o.status, o.status) + ("（租约已过期，可接手）" if stale else ""),
                            "attempts": o.attempts, "last_error": o.last_error,
                            "next_attempt_at": utc(o.next_attempt_at) if waiting else None,
                            "created_at": utc(o.created_at),
                            "sent_at": utc(o.sent_at) if o.sent_at else None})
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
                facts = self.engine.case_facts(s, case)
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
