"""Delivery of the outbox: claim a due row, send it, record what really happened.

One place owns delivery: the scheduler, `award outbox deliver` (cron), or a clerk's process
only when the deployment says `delivery.inline: true`. Whatever goes wrong is recorded on the
row, never raised into a clerk's command: an unset secret or an unreachable server becomes
attempts + last error + next attempt (exponential backoff), the last attempt makes it
`failed`. A server that took the whole message and never answered makes it `uncertain`
("possibly sent"): it is not resent by itself, since each retry could be one more copy.

A run never tries the same row twice (a row that fails waits for its next attempt, in a later
run), and rows another deliverer claimed first do not count against the run's limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from ..abc import Notifier
from ..errors import AwardError, ConfigError, DeliveryError
from ..logs import logger
from ..store import CaseRow, OutboxRow, Prepared, construct, utc
from ..values import Attachment, Message
from .attachments import attachments_of, attachments_of_batch
from .deployment import Deployment

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..engine import Engine

__all__ = ["STATUS_LABELS", "Deliverer", "DeliveryReport", "message_id"]

_LOGGER = logger(__name__)

STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发出",
    "spooled": "已写入邮件目录（未发给任何人）",
    "printed": "已显示在终端（未发给任何人）",
    "uncertain": "可能已发出（服务器未答复）",
    "failed": "发送失败",
    "skipped": "未发送（渠道未配置）",
    "cancelled": "已撤回（案件更正后不再发送）",
}
"""Outbox statuses in the office's words."""

DONE = {"sent", "spooled", "printed"}

FAILED_EVENT = "delivery_failed"
"""The history event written when a row finally fails, so that the office's group chat hears of it."""


def message_id(row: OutboxRow, case_ref: str, installation: str = "0") -> str:
    """A stable Message-ID: the same row of the same database always gives the same id.

    The installation id (made by `award init`) keeps two databases from giving the same id,
    so a receiver that drops repeats by Message-ID never drops real mail.
    """
    return f"<outbox-{row.id}.{case_ref.lower()}.{installation}@award.local>"


@dataclass(kw_only=True)
class DeliveryReport:
    """What one delivery run did, row by row.

    Attributes:
        sent, spooled, printed: row ids by what their notifier could vouch for.
        retrying: (row id, error, next attempt) of rows that wait for a later run.
        failed: (row id, error) of rows that gave up (the last attempt, or a permanent error).
        uncertain: (row id, error) of rows the server may have delivered.
        lost: rows another deliverer claimed first (not counted against the limit).
        waiting: rows not yet due; in_flight: rows `sending` under another deliverer's lease.
        next_at: the earliest next attempt of a waiting row.
    """

    sent: list[int] = field(default_factory=list)
    spooled: list[int] = field(default_factory=list)
    printed: list[int] = field(default_factory=list)
    retrying: list[tuple[int, str, datetime]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    uncertain: list[tuple[int, str]] = field(default_factory=list)
    lost: int = 0
    waiting: int = 0
    in_flight: int = 0
    next_at: datetime | None = None

    @property
    def tried(self) -> int:
        return (len(self.sent) + len(self.spooled) + len(self.printed) + len(self.retrying) + len(self.failed)
                + len(self.uncertain))


BATCH = 10
"""How many due rows a PostgreSQL deliverer claims in one statement (each is still sent and recorded alone)."""


def _next_due() -> Any:
    """The next due row after the run's cursor, with its case's number (SQLite: one writer at a time)."""
    o, c = OutboxRow.__table__, CaseRow.__table__  # type: ignore[attr-defined]
    return (sa_select(*o.c, c.c.ref).join(c, o.c.case_id == c.c.id)
            .where(or_(o.c.status == "pending", o.c.status == "sending"), o.c.next_attempt_at <= bindparam("now"),
                   o.c.id > bindparam("after"))
            .order_by(o.c.id).limit(1))


def _claim_row() -> Any:
    """Take a row under the lease, only if nobody changed it since it was read (another deliverer)."""
    o = OutboxRow.__table__  # type: ignore[attr-defined]
    return (update(o).where(o.c.id == bindparam("id"), o.c.status == bindparam("was"),
                            o.c.attempts == bindparam("attempts"))
            .values(status="sending", attempts=bindparam("tries"), next_attempt_at=bindparam("until")))


def _record_done() -> Any:
    o = OutboxRow.__table__  # type: ignore[attr-defined]
    return (update(o).where(o.c.id == bindparam("id"))
            .values(status=bindparam("outcome"), sent_at=bindparam("sent_at"), last_error=bindparam("last_error")))


def _claim_batch() -> Any:
    """PostgreSQL: up to `n` due rows above the run's cursor, taken under the lease in one statement; rows
    another deliverer holds locked are skipped, not waited for."""
    o, c = OutboxRow.__table__, CaseRow.__table__  # type: ignore[attr-defined]
    due = or_(o.c.status == "pending", o.c.status == "sending")
    pick = (sa_select(o.c.id).where(due, o.c.next_attempt_at <= bindparam("now"), o.c.id > bindparam("after"))
            .order_by(o.c.id).limit(bindparam("n")).with_for_update(skip_locked=True))
    return (update(o).where(o.c.id.in_(pick.scalar_subquery()), due, o.c.case_id == c.c.id)
            .values(status="sending", attempts=o.c.attempts + 1, next_attempt_at=bindparam("until"))
            .returning(*o.c, c.c.ref))


_NEXT_DUE = Prepared(_next_due)
_CLAIM_BATCH = Prepared(_claim_batch)
_CLAIM_ROW = Prepared(_claim_row)
_RECORD_DONE = Prepared(_record_done)
_OUTBOX_COLUMNS = tuple(c.name for c in OutboxRow.__table__.columns)  # type: ignore[attr-defined]


@dataclass
class _Tried:
    """The rows a run has claimed. Rows go in id order, so the highest is the cursor the next claim
    starts above (kept, not recomputed: a run of 100,000 letters would walk its set at every claim)."""

    ids: set[int] = field(default_factory=set)
    after: int = 0

    def add(self, row_id: int) -> None:
        self.ids.add(row_id)
        self.after = max(self.after, row_id)


@dataclass(kw_only=True)
class Deliverer:
    """Delivers due rows through the channels the composition root built."""

    engine: Engine
    deployment: Deployment
    channels: Callable[[str], Notifier]
    _built: dict[str, Notifier | ConfigError] = field(default_factory=dict)

    def _notifier(self, channel: str) -> Notifier:
        if channel not in self._built:
            try:
                self._built[channel] = self.channels(channel)
            except ConfigError as exc:
                self._built[channel] = exc
        got = self._built[channel]
        if isinstance(got, ConfigError):
            raise got
        return got

    def waiting(self) -> tuple[int, int, datetime | None]:
        """(rows due later, rows in flight under a live lease, earliest next attempt)."""
        now = self.engine.wall_clock()
        with self.engine.db.session() as s:
            later = s.exec(select(func.count(), func.min(OutboxRow.next_attempt_at))
                           .where(OutboxRow.status == "pending", col(OutboxRow.next_attempt_at) > now)).one()
            flying = s.exec(select(func.count()).select_from(OutboxRow)
                            .where(OutboxRow.status == "sending", col(OutboxRow.next_attempt_at) > now)).one()
        count, earliest = later
        return int(count), int(flying), utc(earliest) if earliest else None

    def run(self, *, limit: int = 1000, only: int | None = None) -> DeliveryReport:
        """Deliver up to `limit` due rows (or just row `only`), each at most once in this run."""
        report = DeliveryReport()
        tried = _Tried()
        installation = self.engine.db.installation()
        while report.tried < limit:
            if self.engine.db.is_sqlite or only is not None:
                claimed = self._claim(tried, only, installation, report)
                batch = [claimed] if claimed is not None else []
            else:
                batch = self._claim_batch(tried, min(BATCH, limit - report.tried), installation)
            if not batch:
                break
            for row, msg in batch:
                self._send(row, msg, report)
        report.waiting, report.in_flight, report.next_at = self.waiting()
        return report

    def _claim_batch(self, tried: _Tried, n: int, installation: str) -> list[tuple[OutboxRow, Message]]:
        """PostgreSQL: claim up to `n` due rows in one statement (`FOR UPDATE SKIP LOCKED`, so workers never
        wait on each other's rows); each is then sent and recorded on its own, as a single claim is.

        The claim is the same lease as one row's (`sending` until now + lease_seconds): a deliverer killed
        mid-batch leaves its unsent rows to the next one when the lease runs out, as for a single row.
        Rows go in id order above the run's cursor, as on SQLite (`_claim_next`): the statement is the
        same whatever the run has tried (a list of the rows tried made each claim grow with the run).
        """
        lease = timedelta(seconds=self.deployment.delivery.lease_seconds)
        now = self.engine.wall_clock()
        with self.engine.db.session() as s:
            claimed = []
            for found in _CLAIM_BATCH.rows(s, {"now": now, "after": tried.after, "n": n,
                                               "until": now + lease}):
                *values, ref = found
                row = construct(OutboxRow, **dict(zip(_OUTBOX_COLUMNS, values, strict=True)))
                assert row.id is not None
                tried.add(row.id)
                claimed.append((row, ref))
            documents = attachments_of_batch(s, {row.id for row, _ref in claimed if row.id is not None})
        out = [(row, self._message(row, ref, installation, documents.get(row.id or 0, ()))) for row, ref in claimed]
        return sorted(out, key=lambda pair: pair[0].id or 0)

    @staticmethod
    def _message(row: OutboxRow, ref: str, installation: str, documents: tuple[Attachment, ...]) -> Message:
        """The message of a claimed row, with its documents."""
        assert row.id is not None
        return Message(message_id=message_id(row, ref, installation), to=row.recipient, subject=row.subject,
                       text=row.body, html=row.html, headers={"X-Award-Case": ref},
                       meta={"case": ref, "template": row.template, "outbox_id": row.id}, attachments=documents)

    def _claim(self, tried: _Tried, only: int | None, installation: str,
               report: DeliveryReport) -> tuple[OutboxRow, Message] | None:
        """Claim the next due row not yet tried in this run; None when there is none."""
        if only is None and self.engine.db.is_sqlite:
            return self._claim_next(tried, installation, report)
        lease = timedelta(seconds=self.deployment.delivery.lease_seconds)
        while True:
            now = self.engine.wall_clock()
            with self.engine.db.session() as s:
                q = (select(OutboxRow, CaseRow).join(CaseRow, col(OutboxRow.case_id) == col(CaseRow.id))
                     .where(or_(col(OutboxRow.status) == "pending", col(OutboxRow.status) == "sending"),
                            col(OutboxRow.next_attempt_at) <= now))
                if only is not None:
                    q = q.where(col(OutboxRow.id) == only)
                if tried.ids:
                    q = q.where(col(OutboxRow.id).not_in(tried.ids))
                q = q.order_by(col(OutboxRow.id)).limit(1)
                if not self.engine.db.is_sqlite:
                    q = q.with_for_update(skip_locked=True, of=OutboxRow)
                found = s.exec(q).first()
                if found is None:
                    return None
                row, case = found
                assert row.id is not None
                tried.add(row.id)
                won = s.execute(update(OutboxRow).where(col(OutboxRow.id) == row.id,
                                                        col(OutboxRow.status) == row.status,
                                                        col(OutboxRow.attempts) == row.attempts)
                                .values(status="sending", attempts=row.attempts + 1, next_attempt_at=now + lease)
                                .execution_options(synchronize_session=False))
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    report.lost += 1  # another deliverer has it: not ours, not counted
                    continue
                msg = self._message(row, case.ref, installation, attachments_of(s, row.id))
                row.attempts += 1
                s.expunge(row)
                return row, msg

    def _claim_next(self, tried: _Tried, installation: str, report: DeliveryReport) -> tuple[OutboxRow, Message] | None:
        """SQLite: the next due row above the run's cursor (rows go in id order, so a row tried in this run
        is never met again), claimed by a conditional UPDATE; prepared statements, no ORM query per row.

        A row below the cursor that falls due during the run (its backoff or a dead deliverer's lease runs
        out) waits for the next run, as a row that failed in this one does.
        """
        lease = timedelta(seconds=self.deployment.delivery.lease_seconds)
        while True:
            now = self.engine.wall_clock()
            with self.engine.db.session() as s:
                found = _NEXT_DUE.first(s, {"now": now, "after": tried.after})
                if found is None:
                    return None
                *values, ref = found
                row = construct(OutboxRow, **dict(zip(_OUTBOX_COLUMNS, values, strict=True)))
                assert row.id is not None
                tried.add(row.id)
                won = _CLAIM_ROW.run(s, {"id": row.id, "was": row.status, "attempts": row.attempts,
                                         "tries": row.attempts + 1, "until": now + lease})
                if won.rowcount != 1:
                    report.lost += 1  # another deliverer has it: not ours, not counted
                    continue
                msg = self._message(row, ref, installation, attachments_of(s, row.id))
                row.attempts += 1
                return row, msg

    def _send(self, row: OutboxRow, msg: Message, report: DeliveryReport) -> None:
        assert row.id is not None
        rid, policy = row.id, self.deployment.delivery
        try:
            if row.channel not in self.deployment.notifiers:
                raise DeliveryError(f"部署文件没有为渠道 {row.channel} 配置通知方式（notifiers.{row.channel}）",
                                    permanent=True)
            try:
                notifier = self._notifier(row.channel)
            except ConfigError as exc:  # an unset secret: it may be there next time
                raise DeliveryError(f"投递进程无法使用渠道 {row.channel}：{exc}") from exc
            try:
                notifier.send(msg)
            except DeliveryError:
                raise
            except AwardError as exc:
                raise DeliveryError(f"通知渠道 {row.channel} 出错：{exc}") from exc
            except Exception as exc:
                _LOGGER.exception("notifier %s raised for outbox row %s", row.channel, rid)
                raise DeliveryError(f"通知渠道 {row.channel} 出错：{type(exc).__name__}: {exc}") from exc
        except DeliveryError as exc:
            now = self.engine.wall_clock()
            error = str(exc)[:2000]
            if exc.uncertain:
                status, when = "uncertain", now
                report.uncertain.append((rid, error))
            elif exc.permanent or row.attempts >= policy.max_attempts:
                status, when = "failed", now
                report.failed.append((rid, error))
            else:
                status = "pending"
                when = now + timedelta(seconds=policy.backoff_seconds * 2 ** (row.attempts - 1))
                report.retrying.append((rid, error, when))
            with self.engine.db.session() as s:
                s.execute(update(OutboxRow).where(col(OutboxRow.id) == rid)
                          .values(status=status, last_error=error, next_attempt_at=when)
                          .execution_options(synchronize_session=False))
            if status in ("failed", "uncertain"):
                self._tell_office(row, error, status)
            return
        outcome = notifier.outcome if notifier.outcome in DONE else "sent"
        with self.engine.db.one_statement() as s:  # its own commit: a crash now repeats this letter alone
            _RECORD_DONE.run(s, {"id": rid, "outcome": outcome, "sent_at": self.engine.wall_clock(), "last_error": None})
        getattr(report, outcome).append(rid)

    def _tell_office(self, row: OutboxRow, error: str, status: str) -> None:
        """Record a `delivery_failed` history event: the definition's `on_events` tells the office's chat.

        Not for a failed notice of that event itself (a broken robot must not tell itself forever).
        """
        from ..views import Actor

        system = Actor(name="system", roles=("system",), on_roster=True)  # as the engine's SYSTEM
        with self.engine.db.session() as s:
            case = s.get(CaseRow, row.case_id)
            if case is None:
                return
            spec = self.engine.spec_of(case)
            kinds = {n.channel for n in spec.on_events.get(FAILED_EVENT, [])}
            origin = s.exec(select(OutboxRow.event_id).where(OutboxRow.id == row.id)).first()
            from ..store import EventRow

            event = s.get(EventRow, origin) if origin else None
            if not kinds or row.channel in kinds or (event is not None and event.kind == FAILED_EVENT):
                return  # a broken robot is not told about itself
            try:
                label = STATUS_LABELS[status]
                self.engine.record_event(s, case, kind=FAILED_EVENT, actor=system,
                                  comment=f"通知 #{row.id}（{row.subject}）发往 {row.recipient}：{label}。{error[:300]}",
                                  data={"outbox": row.id})
            except AwardError as exc:  # a race with a clerk's step: the row itself shows the failure
                _LOGGER.warning("could not record delivery_failed for outbox row %s: %s", row.id, exc)
                s.rollback()
