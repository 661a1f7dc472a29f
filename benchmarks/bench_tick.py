"""Tick throughput: 1,000 due timers fired by one `tick`, against a floor of bare SQLite transactions.

The timers: 100 cases in their internal notice (SHA-20), each with its real transition timer, plus 9
archive-mark timers per case added to the timers table (a mark appends one history event). Each timer is
claimed and fired in its own transaction, as `award tick` does. The floor is the least any durable
exactly-once firing needs: per timer, one transaction that flips a status and appends one row, written
with the `sqlite3` module directly to a file with the same journal settings (WAL).

`--instructions` counts the CPU instructions per timer of the tick and of the floor with callgrind
instead of timing them (see bench_advance.py): the loop counted is the whole `tick`, its first firings'
warm-up included.

Usage: python benchmarks/bench_tick.py [CASES] [--instructions]   (default 100, i.e. 1,000 timers; about
15 s; with --instructions default 20, about 3 minutes; needs `valgrind`)
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import arguments, at, collected, loop, new_cases, office, table
from award.workflow.store import TimerRow
from award.workflow.timing.timers import tick
from sqlmodel import select

MARKS_PER_CASE = 9


def measured(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): on a shared machine CPU is the fairer figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def engine_run(cases: int) -> tuple[float, float, int]:
    with office() as engine:
        refs = new_cases(engine, cases, start="apply")
        actor = engine.office.actor("wang", "bench")
        at(engine, "2026-03-02 10:00")
        for ref in refs:
            engine.advance(ref, "start_internal_notice", actor=actor)
        with engine.db.session() as s:
            timers = s.exec(select(TimerRow)).all()
            for t in timers:  # marks due just before the notice ends, so they fire while the case is there
                for k in range(MARKS_PER_CASE):
                    s.add(TimerRow(case_id=t.case_id, entry_seq=t.entry_seq, state=t.state, kind="mark",
                                   duty="archive", rule="SHA-39", period="bench", basis="bench",
                                   due_at=t.due_at - timedelta(minutes=MARKS_PER_CASE - k),
                                   created_at=t.created_at))
        total = cases * (1 + MARKS_PER_CASE)
        at(engine, "2026-03-20 08:00")
        report = None

        def run() -> None:
            nonlocal report
            report = tick(engine)

        seconds, cpu = measured(lambda: loop(lambda _: run(), [None]))  # the whole tick is counted (--instructions)
        assert report is not None and len(report.fired) == total, (len(report.fired), report.failed[:3])
        assert {c["state"] for c in engine.cases()} == {"ready"}
        return seconds, cpu, total


def floor_run(total: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        con = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE timers (id INTEGER PRIMARY KEY, status TEXT)")
        con.execute("CREATE TABLE history (id INTEGER PRIMARY KEY, timer_id INTEGER, data TEXT)")
        con.executemany("INSERT INTO timers (status) VALUES ('pending')", [()] * total)

        def fire(tid: int) -> None:
            con.execute("BEGIN")
            con.execute("UPDATE timers SET status='fired' WHERE id=? AND status='pending'", (tid,))
            con.execute("INSERT INTO history (timer_id, data) VALUES (?, '{}')", (tid,))
            con.execute("COMMIT")

        def run() -> None:
            loop(fire, range(1, total + 1))  # a loop callgrind can count (--instructions)

        result = measured(run)
        con.close()
        return result


def instructions(cases: int) -> None:
    """`--instructions`: instructions per timer of the tick and of the floor, each counted by callgrind."""
    script = str(Path(__file__).resolve())
    total = cases * (1 + MARKS_PER_CASE)
    engine = collected([script, "--count", "engine", str(cases)])
    floor = collected([script, "--count", "floor", str(total)])
    table(f"tick: instructions per timer, {total} due timers ({cases} transitions, {cases * MARKS_PER_CASE} marks), "
          "counted by callgrind", ["run", "instructions per timer", "vs floor"], [
              ["award tick (claim, fire, history, hooks)", f"{engine / total / 1e6:.2f} M", f"{engine / floor:.1f}x"],
              ["floor: UPDATE + INSERT per transaction", f"{floor / total / 1e6:.3f} M", "1.0x"]])


def main() -> None:
    if sys.argv[1:2] == ["--count"]:  # a child of --instructions, under callgrind
        if sys.argv[2] == "engine":
            engine_run(int(sys.argv[3]))
        else:
            floor_run(int(sys.argv[3]))
        return
    counting, cases = arguments(100, 20)
    if counting:
        instructions(cases)
        return
    engine_s, engine_cpu, total = engine_run(cases)
    floor_s, floor_cpu = floor_run(total)
    table(f"tick: {total} due timers ({cases} transitions, {cases * MARKS_PER_CASE} marks) on SQLite",
          ["run", "timers", "seconds", "timers/s", "CPU per timer", "timers/s vs floor", "CPU vs floor"], [
              ["award tick (claim, fire, history, hooks)", total, f"{engine_s:.2f}", f"{total / engine_s:.0f}",
               f"{engine_cpu / total * 1000:.2f} ms", f"{floor_s / engine_s:.2f}x", f"{engine_cpu / floor_cpu:.1f}x"],
              ["floor: UPDATE + INSERT per transaction", total, f"{floor_s:.3f}", f"{total / floor_s:.0f}",
               f"{floor_cpu / total * 1000:.2f} ms", "1.00x", "1.0x"],
          ])


if __name__ == "__main__":
    main()
