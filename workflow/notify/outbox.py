"""The transactional outbox: notifications written with their state change, delivered after commit.

One row per (history event, recipient, channel, template), unique, rendered
in the step's transaction. Delivery claims a row (conditional update), sends
it with a Message-ID derived from the row, then records the result; a crash
between send and record gives at most one repeat with the same Message-ID,
which a receiver can drop. Failures retry with exponential backoff; after the
last attempt the row is failed and visible, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from ..abc import Notifier, Step
from ..errors import ConfigError, DeliveryError, RecordLookupError
from ..facts import CaseFacts, resolve
from ..specs.model import NotifySpec, ProcessSpec, TransitionSpec
from ..store import CaseRow, EventRow, OutboxRow, PartyRecordRow, StaffRow, TimerRow, utc
from ..values import Message
from .context import context
from .deployment import Deployment, load_deployment

if TYPE_CHECKING:
    from ..engine import Engine
    from .templates import TemplateSet

__all__ = ["DeliveryReport", "Outbox", "install", "message_id"]

_LOGGER = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""How long a claimed row may stay 'sending' before another deliverer may take it over."""


def message_id(row: OutboxRow, case_ref: str, installation: str = "0") -> str:
    """A stable Message-ID: the same row of the same database always gives the same id.

    The installation id (made by `award init`) keeps two databases from giving the same id,
    so a receiver that drops repeats by Message-ID never drops real mail.
    """
    return f"<outbox-{row.id}.{case_ref.lower()}.{installation}@award.local>"


@dataclass(kw_only=True)
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


NotifierFactory = Callable[[Deployment], Mapping[str, Notifier]]
"""Builds the channels from the deployment file; the composition root (commands/context.py) owns it."""


def install(engine: Engine, *, deployment: str | Deployment | None, deliver: bool = True,
            notifiers: Mapping[str, Notifier] | None = None,
            notifier_factory: NotifierFactory | None = None) -> Outbox:
    """Render notifications inside every step of `engine`, and deliver after commit when `deliver`.

    The channels are `notifiers`, or built by `notifier_factory` on the first delivery (so that a
    missing SMTP password stops only delivery, not every command).
    """
    from .templates import TemplateSet

    dep = deployment if isinstance(deployment, Deployment) else load_deployment(deployment)
    root = engine.catalog.root if engine.catalog.root.is_dir() else engine.catalog.root.parent
    outbox = Outbox(engine=engine, deployment=dep, templates=TemplateSet(root / "templates"),
                    notifiers=dict(notifiers) if notifiers is not None else None,
                    notifier_factory=notifier_factory, deliver_after_commit=deliver)
    engine.outbox = outbox
    return outbox


@dataclass(kw_only=True)
class Outbox:
    """The step hook that writes each step's notifications, and the deliverer that sends them.

    Attributes:
        notifiers: channel -> Notifier; None until the first delivery builds them.
        notifier_factory: builds `notifiers` from the deployment file.
        deliver_after_commit: False with `--no-deliver` (the scheduler or `award outbox deliver` sends).
    """

    engine: Engine
    deployment: Deployment
    templates: TemplateSet
    notifiers: dict[str, Notifier] | None = None
    notifier_factory: NotifierFactory | None = None
    deliver_after_commit: bool = True

    # ----------------------------------------------------------------- write

    def on_step(self, step: Step) -> None:
        s, row, event, spec, facts, transition = (step.session, step.case, step.event, step.spec, step.facts,
                                                  step.transition)
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
            rendered = self.templates.render(spec.id, n.template, ctx)
            seen: set[str] = set()
            for role in n.to:
                addresses = self._addresses(spec, facts, role, n.channel, s)
                if not addresses:
                    s.add(OutboxRow(event_id=event.id, case_id=row.id, template=n.template, channel=n.channel,
                                    role=role, recipient=f"（{role}：无地址）", subject=rendered.subject,
                                    body=rendered.text, html=rendered.html, status="failed",
                                    last_error=self._no_address(spec, role), created_at=now, next_attempt_at=now))
                    continue
                for address in addresses:
                    if address in seen:
                        continue
                    seen.add(address)
                    s.add(OutboxRow(event_id=event.id, case_id=row.id, template=n.template, channel=n.channel,
                                    role=role, recipient=address, subject=rendered.subject, body=rendered.text,
                                    html=rendered.html, created_at=now, next_attempt_at=now))

    @staticmethod
    def _specs_for(spec: ProcessSpec, event: EventRow, transition: TransitionSpec | None) -> list[NotifySpec]:
        if transition is not None:
            return list(transition.notify)
        if event.kind == "created" and event.trigger in spec.starts:
            return list(spec.starts[event.trigger].notify)
        return list(spec.on_events.get(event.kind, []))

    def _addresses(self, spec: ProcessSpec, facts: CaseFacts, role: str, channel: str, s: Session) -> list[str]:
        path = spec.recipients.get(role, role)
        if path.startswith("staff."):
            wanted = path.removeprefix("staff.")
            return [r.email for r in s.exec(select(StaffRow).order_by(col(StaffRow.name))).all()
                    if wanted in r.roles and r.email and channel == "email"]
        if path == "office":
            return self.deployment.addresses("office", channel, None)
        if path == "config.district":
            district = resolve(facts, "party.district")
            return self.deployment.addresses("district", channel, str(district) if district else None)
        for option in path.split("|"):
            value = resolve(facts, option.strip())
            if value:
                return [str(value)]
        return []

    @staticmethod
    def _no_address(spec: ProcessSpec, role: str) -> str:
        path = spec.recipients.get(role, role)
        if path == "office":
            return "没有审定办的地址：请在部署文件的 office 中填写（见 README“部署文件”）"
        if path.startswith("staff."):
            return f"名单中没有角色为 {path.removeprefix('staff.')} 且登记了电子邮箱的工作人员（award staff add NAME --role ROLE --email ...）"
        if path == "config.district":
            return "没有该区市场监管部门的地址：请在部署文件的 districts 中填写，并登记申报主体的所在区"
        return f"案件中没有“{role}”的地址（{path}）：请用 --set 填写后 award outbox retry"

    # ------------------------------------------------------------------ read

    def list(self, *, failed: bool = False, case: str | None = None) -> list[dict[str, Any]]:
        with self.engine.db.session() as s:
            q = select(OutboxRow, CaseRow).join(CaseRow, col(OutboxRow.case_id) == col(CaseRow.id))
            if failed:
                q = q.where(OutboxRow.status == "failed")
            if case:
                q = q.where(CaseRow.ref == case.upper())
            return [{"id": o.id, "case": c.ref, "template": o.template, "channel": o.channel, "role": o.role,
                     "recipient": o.recipient, "subject": o.subject, "status": o.status, "attempts": o.attempts,
                     "last_error": o.last_error, "created_at": utc(o.created_at),
                     "sent_at": utc(o.sent_at) if o.sent_at else None}
                    for o, c in s.exec(q.order_by(col(OutboxRow.id))).all()]

    def retry(self, row_id: int) -> None:
        """Put a failed row back in the queue (after fixing an address or the server)."""
        with self.engine.db.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None:
                raise RecordLookupError(f"通知 #{row_id}")
            if row.status == "sent":
                from ..errors import InvalidInput

                raise InvalidInput(f"通知 #{row_id} 已于 {utc(row.sent_at or row.created_at)} 发出，不再重发")
            if row.recipient.startswith("（"):
                case = s.get(CaseRow, row.case_id)
                event = s.get(EventRow, row.event_id)
                assert case is not None and event is not None
                spec = self.engine.spec_of(case)
                facts = self.engine.case_facts(s, case)
                addresses = self._addresses(spec, facts, row.role, row.channel, s)
                if not addresses:
                    raise ConfigError(self._no_address(spec, row.role))
                row.recipient = addresses[0]
            row.status, row.attempts, row.last_error = "pending", 0, None
            row.next_attempt_at = self.engine.wall_clock()
            s.add(row)

    # --------------------------------------------------------------- deliver

    def _notifiers(self) -> dict[str, Notifier]:
        if self.notifiers is None:
            if self.notifier_factory is None:
                raise ConfigError("没有配置通知方式：请在部署文件的 notifiers 中填写（见 README“部署文件”）")
            self.notifiers = dict(self.notifier_factory(self.deployment))
        return self.notifiers

    def deliver_quietly(self) -> None:
        """After-commit delivery: failures stay in the outbox, the step has already succeeded."""
        try:
            self.deliver()
        except Exception:
            _LOGGER.exception("delivery after commit failed; the rows stay in the outbox")

    def deliver(self, *, limit: int = 1000) -> DeliveryReport:
        """Send every row that is due, each claimed first so that no row is sent twice."""
        report = DeliveryReport()
        notifiers = self._notifiers()
        installation = self.engine.db.installation()
        policy = self.deployment.delivery
        for _ in range(limit):
            now = self.engine.wall_clock()
            with self.engine.db.session() as s:
                q = (select(OutboxRow, CaseRow).join(CaseRow, col(OutboxRow.case_id) == col(CaseRow.id))
                     .where(or_(col(OutboxRow.status) == "pending", col(OutboxRow.status) == "sending"),
                            col(OutboxRow.next_attempt_at) <= now)
                     .order_by(col(OutboxRow.id)).limit(1))
                if not self.engine.db.is_sqlite:
                    q = q.with_for_update(skip_locked=True, of=OutboxRow)
                found = s.exec(q).first()
                if found is None:
                    return report
                row, case = found
                claimed = s.execute(update(OutboxRow).where(col(OutboxRow.id) == row.id,
                                                            col(OutboxRow.status) == row.status,
                                                            col(OutboxRow.attempts) == row.attempts)
                                    .values(status="sending", attempts=row.attempts + 1, next_attempt_at=now + LEASE)
                                    .execution_options(synchronize_session=False))
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                assert row.id is not None
                msg = Message(message_id=message_id(row, case.ref, installation), to=row.recipient, subject=row.subject,
                              text=row.body, html=row.html, headers={"X-Award-Case": case.ref},
                              meta={"case": case.ref, "template": row.template, "outbox_id": row.id})
                attempts, rid = row.attempts + 1, row.id
            notifier = notifiers.get(row.channel)
            try:
                if notifier is None:
                    raise DeliveryError(f"部署文件没有为渠道 {row.channel} 配置通知方式", permanent=True)
                try:
                    notifier.send(msg)
                except DeliveryError:
                    raise
                except Exception as exc:
                    _LOGGER.exception("notifier %s raised for outbox row %s", row.channel, rid)
                    raise DeliveryError(f"通知渠道 {row.channel} 出错：{type(exc).__name__}: {exc}") from exc
            except DeliveryError as exc:
                last = exc.permanent or attempts >= policy.max_attempts
                delay = timedelta(seconds=policy.backoff_seconds * 2 ** (attempts - 1))
                with self.engine.db.session() as s:
                    s.execute(update(OutboxRow).where(col(OutboxRow.id) == rid)
                              .values(status="failed" if last else "pending", last_error=str(exc)[:2000],
                                      next_attempt_at=self.engine.wall_clock() + delay)
                              .execution_options(synchronize_session=False))
                (report.failed if last else report.retrying).append((rid, str(exc)))
                continue
            with self.engine.db.session() as s:
                s.execute(update(OutboxRow).where(col(OutboxRow.id) == rid)
                          .values(status="sent", sent_at=self.engine.wall_clock(), last_error=None)
                          .execution_options(synchronize_session=False))
            report.sent.append(rid)
        return report
