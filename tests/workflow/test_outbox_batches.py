"""`outbox deliver` on PostgreSQL claims due rows in batches (`FOR UPDATE SKIP LOCKED`); two deliverers
draining the same outbox at once still send every row exactly once, and each row is recorded alone."""

from __future__ import annotations

import threading

import pytest
from award.workflow.engine import Engine
from award.workflow.notify import delivery
from award.workflow.notify.deployment import Deployment, NotifierConfig
from award.workflow.notify.outbox import install as install_outbox
from award.workflow.store import OutboxRow
from award.workflow.timing.clock import system_clock
from sqlmodel import col, select

from tests.fixtures_sha import any_office_fixture  # noqa: F401 - fixtures

PASSED = "2026-09-30 09:00"


class _Recording:
    channel = "email"
    outcome = "sent"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

        self.documents: dict[int, list[str]] = {}

    def send(self, message) -> None:
        with self.lock:
            self.sent.append(message.message_id)
            self.documents[message.meta["outbox_id"]] = [d.filename for d in message.attachments]


def _deliverer(o, recording: _Recording):
    engine = Engine(db=o.engine.db, catalog=o.engine.catalog, clock=o.engine.clock, wall_clock=system_clock,
                    calendar=o.engine.calendar)
    return install_outbox(engine, deliver=False, notifiers={"email": recording},
                          deployment=Deployment(notifiers={"email": NotifierConfig(kind="console")}))


def _letters_due(o, cases: int) -> list[int]:
    """`cases` cases through to review on PostgreSQL (batches are its own); the ids of the letters due."""
    if o.engine.db.is_sqlite:
        pytest.skip("batches are PostgreSQL's (SKIP LOCKED); SQLite claims one row at a time")
    for _ in range(cases):
        o.in_review(PASSED)
    with o.engine.db.session() as s:
        return sorted(r.id for r in s.exec(select(OutboxRow).where(OutboxRow.status == "pending")).all())


def test_two_deliverers_in_batches_send_each_row_once(any_office, monkeypatch):
    o = any_office
    due = _letters_due(o, 4)
    assert len(due) >= 8
    monkeypatch.setattr(delivery, "BATCH", 3)
    recording = _Recording()
    outboxes = [_deliverer(o, recording), _deliverer(o, recording)]
    reports = []
    threads = [threading.Thread(target=lambda ob=ob: reports.append(ob.deliver(limit=1000))) for ob in outboxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r for rep in reports for r in rep.sent) == sorted(due)
    assert len(recording.sent) == len(set(recording.sent)) == len(due)  # never twice
    with o.engine.db.session() as s:
        rows = s.exec(select(OutboxRow).where(col(OutboxRow.id).in_(due))).all()
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert outboxes[0].deliver(limit=10).sent == []


def test_a_batch_claim_is_one_statement_whatever_the_run_has_tried(any_office, monkeypatch):
    """Each claim of a run sends the same SQL with the same few parameters: a run of 100,000 letters
    claims its last batch as cheaply as its first (a list of the rows tried grew with every batch)."""
    from sqlalchemy import event

    o = any_office
    _letters_due(o, 4)
    monkeypatch.setattr(delivery, "BATCH", 2)
    claims: list[tuple[str, int]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE OUTBOX") and "RETURNING" in statement.upper():
            claims.append((statement, len(parameters)))

    event.listen(o.engine.db.engine, "before_cursor_execute", record)
    try:
        report = _deliverer(o, _Recording()).deliver(limit=1000)
    finally:
        event.remove(o.engine.db.engine, "before_cursor_execute", record)
    assert len(report.sent) >= 8
    assert len(claims) >= 5  # every batch, and the empty claim that ends the run
    assert len(set(claims)) == 1, claims


def test_each_letter_of_a_batch_carries_its_own_documents(any_office, monkeypatch):
    """A batch reads the documents of all its rows in one query: each letter still gets only its own."""
    from award.workflow.notify.attachments import OutboxAttachmentRow

    o = any_office
    due = _letters_due(o, 3)
    with o.engine.db.session() as s:
        expected = {rid: ([f"报告{rid}-{k}.txt" for k in range(rid % 3)]) for rid in due}  # 0, 1 or 2 each
        for rid, names in expected.items():
            for name in names:
                s.add(OutboxAttachmentRow(outbox_id=rid, filename=name, content=name.encode()))
    monkeypatch.setattr(delivery, "BATCH", 4)
    recording = _Recording()
    report = _deliverer(o, recording).deliver(limit=1000)
    assert sorted(report.sent) == due
    assert recording.documents == expected
