"""PostgreSQL tick workers claim due timers in batches (advisory locks on their own connection) and still
fire each timer exactly once, in its own transaction: a worker killed with kill -9 while holding a
batch loses its claims with its connection, and the next worker fires those timers at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from award.workflow.store import EventRow, TimerRow
from award.workflow.timing import timers as timing
from sqlmodel import select

from tests.fixtures_sha import any_office_fixture  # noqa: F401 - fixtures

ELAPSED = "qualification_notice_elapsed"

HOLD = """
import sys, time
from award.cli import Settings, build_engine
from award.workflow.timing.clock import parse_moment
from award.workflow.timing.timers import _Claims
engine = build_engine(Settings(db=sys.argv[1], definitions=None, now=None, as_name=None, deployment=sys.argv[2],
                               deliver=False))
claims = _Claims(engine, parse_moment("2026-04-10 00:00")).__enter__()
print(",".join(map(str, claims.take(int(sys.argv[3]), set()))), flush=True)
time.sleep(600)
"""


def _elapsed(o) -> list[EventRow]:
    with o.engine.db.session() as s:
        return list(s.exec(select(EventRow).where(EventRow.trigger == ELAPSED)).all())


def test_claims_of_a_killed_worker_are_fired_by_the_next_and_a_live_workers_are_left_alone(any_office):
    o = any_office
    if o.engine.db.is_sqlite:
        pytest.skip("batches and advisory locks are PostgreSQL's; SQLite's write lock serialises the workers")
    refs = [o.in_notice("2026-04-01 10:00") for _ in range(6)]
    with o.engine.db.session() as s:
        due = [t.id for t in s.exec(select(TimerRow).where(TimerRow.trigger == ELAPSED)).all()]
    assert len(due) == 6

    holder = subprocess.Popen([sys.executable, "-c", HOLD, o.db, str(o.deployment), "2"], text=True,
                              stdout=subprocess.PIPE, env=o.subprocess_env())
    try:
        held = [int(x) for x in holder.stdout.readline().strip().split(",")]  # type: ignore[union-attr]
        assert len(held) == 2 and set(held) <= set(due)
        report = o.tick("2026-04-10 00:00")  # a second worker: the live worker's batch is not its to fire
        assert sorted(f[0] for f in report.fired) == sorted(set(due) - set(held))
        with o.engine.db.session() as s:
            assert {t.status for t in s.exec(select(TimerRow).where(col_in(held))).all()} == {"pending"}
        holder.send_signal(signal.SIGKILL)  # kill -9: its session, and with it its locks, ends
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        fired: list[int] = []
        while sorted(fired) != sorted(held) and time.monotonic() < deadline:  # the server notices the lost socket
            fired += [f[0] for f in o.tick("2026-04-10 00:00").fired]
            time.sleep(0.05)
        assert sorted(fired) == sorted(held)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
    events = _elapsed(o)
    assert sorted(o.engine.show(e.case_id).ref for e in events) == sorted(refs)  # each exactly once
    assert o.tick("2026-04-10 00:01").fired == []


def test_a_batch_is_released_and_a_busy_batch_is_skipped(any_office, monkeypatch):
    o = any_office
    if o.engine.db.is_sqlite:
        pytest.skip("PostgreSQL only")
    refs = [o.in_notice("2026-04-01 10:00") for _ in range(5)]
    monkeypatch.setattr(timing, "BATCH", 2)  # three batches: 2, 2, 1
    report = o.tick("2026-04-10 00:00")
    assert sorted(f[1] for f in report.fired) == sorted(refs)
    with o.engine.db.engine.connect() as conn:  # every advisory lock was given back
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar() == 0


def col_in(ids: list[int]):
    from sqlmodel import col

    return col(TimerRow.id).in_(ids)
