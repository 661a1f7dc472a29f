"""Tick workers on PostgreSQL: 1, 2 and 4 `award tick` processes draining the same due timers.

Set-up (not timed): CASES SHA cases start their internal notice (each gets its real SHA-20 timer) and
9 archive-mark timers are added per case, all due. Then N `award tick` processes start together and
each fires timers until none is due (SKIP LOCKED: a worker never waits for another's timer); the clock
stops when the last exits. Checked after each run: every timer fired exactly once (one history event
per timer, none left pending). The floor: N processes each claiming and firing the same number of
rows with plain psycopg, one UPDATE ... SKIP LOCKED and one INSERT per transaction.

Needs PostgreSQL (AWARD_BENCH_DATABASE_URL or AWARD_TEST_DATABASE_URL, a server URL; a database of the
benchmark's own is created and dropped) and the `bench` extra.
Usage: python benchmarks/bench_workers.py [CASES] [--workers 1 2 4]   (default 200 cases = 2,000 timers)
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import DEPLOYMENT, at, new_cases, table
from award.cli import Settings, build_engine
from award.workflow.store import TimerRow, database_url
from award.workflow.timing.clock import parse_moment

AWARD = str(Path(sys.executable).with_name("award"))
MARKS = 9
DUE = "2026-03-20 08:00"

FLOOR = """
import sys, psycopg
url, n = sys.argv[1], 0
with psycopg.connect(url) as con:
    while True:
        with con.transaction():
            row = con.execute("UPDATE jobs SET status = 'fired' WHERE id = (SELECT id FROM jobs "
                              "WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                              "RETURNING id, case_id").fetchone()
            if row is None:
                break
            con.execute("INSERT INTO events (job_id, case_id, body) VALUES (%s, %s, %s)",
                        (row[0], row[1], "x" * 400))
            n += 1
print(n)
"""


def _server() -> str:
    url = os.environ.get("AWARD_BENCH_DATABASE_URL") or os.environ.get("AWARD_TEST_DATABASE_URL")
    if not url:
        sys.exit("set AWARD_BENCH_DATABASE_URL (or AWARD_TEST_DATABASE_URL) to a PostgreSQL server URL")
    return url


def _fresh_database(server: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(database_url(server))
    name = f"award_bench_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name)
    return url.render_as_string(hide_password=False), url.set(drivername="postgresql").render_as_string(
        hide_password=False)


def _drop(server: str, name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(database_url(server)).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(url: str, folder: Path, cases: int) -> int:
    deployment = folder / "deployment.yaml"
    deployment.write_text(DEPLOYMENT, encoding="utf-8")
    settings = Settings(db=url, definitions=None, now=None, as_name=None, deployment=str(deployment), deliver=False,
                        home_dir=str(folder))  # the workers run with AWARD_HOME=folder: the same seal key
    engine = build_engine(settings, require_schema=False)
    engine.db.init(parse_moment("2026-01-05 09:00"))
    engine.office.staff_add("wang", ["office@sha"])
    refs = new_cases(engine, cases, start="apply")
    actor = engine.office.actor("wang", "bench")
    at(engine, "2026-03-02 10:00")
    for ref in refs:
        engine.advance(ref, "start_internal_notice", actor=actor)
    with engine.db.session() as s:
        from sqlmodel import select

        for t in s.exec(select(TimerRow)).all():
            for k in range(MARKS):
                s.add(TimerRow(case_id=t.case_id, entry_seq=t.entry_seq, state=t.state, kind="mark", duty="archive",
                               rule="SHA-39", period="bench", basis="bench",
                               due_at=t.due_at - timedelta(minutes=MARKS - k), created_at=t.created_at))
    engine.db.dispose()
    return cases * (1 + MARKS)


def _children_cpu() -> float:
    """CPU seconds used so far by this process's finished children (the workers), user + system."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def award_run(server: str, cases: int, workers: int) -> tuple[float, float, int]:
    url, _ = _fresh_database(server)
    name = url.rsplit("/", 1)[1]
    try:
        with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
            total = _prepare(url, Path(folder), cases)
            env = {**os.environ, "AWARD_DB": url, "AWARD_HOME": folder, "AWARD_NOW": DUE,
                   "AWARD_DEPLOYMENT": str(Path(folder) / "deployment.yaml")}
            started, cpu = time.perf_counter(), _children_cpu()
            procs = [subprocess.Popen([AWARD, "--no-deliver", "tick", "--json"], env=env, stdout=subprocess.DEVNULL)
                     for _ in range(workers)]
            codes = [p.wait() for p in procs]
            seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
            assert codes == [0] * workers, codes
            from sqlalchemy import create_engine, text

            check = create_engine(url)
            with check.connect() as conn:
                fired = conn.execute(text("SELECT COUNT(*) FROM timers WHERE status = 'fired'")).scalar()
                pending = conn.execute(text("SELECT COUNT(*) FROM timers WHERE status = 'pending'")).scalar()
                events = conn.execute(text("SELECT COUNT(*) FROM history WHERE kind <> 'created' "
                                           "AND trigger IS DISTINCT FROM 'start_internal_notice'")).scalar()
            check.dispose()
            assert fired == total and pending == 0 and events == total, (fired, pending, events, total)
            return seconds, cpu, total
    finally:
        _drop(server, name)


def floor_run(server: str, total: int, workers: int) -> tuple[float, float]:
    url, plain = _fresh_database(server)
    name = url.rsplit("/", 1)[1]
    try:
        import psycopg

        with psycopg.connect(plain, autocommit=True) as con:
            con.execute("CREATE TABLE jobs (id serial PRIMARY KEY, case_id int, status text)")
            con.execute("CREATE TABLE events (id serial PRIMARY KEY, job_id int, case_id int, body text)")
            con.execute("INSERT INTO jobs (case_id, status) SELECT g / 10, 'pending' FROM generate_series(1, %s) g",
                        (total,))
        started, cpu = time.perf_counter(), _children_cpu()
        procs = [subprocess.Popen([sys.executable, "-c", FLOOR, plain], stdout=subprocess.PIPE, text=True)
                 for _ in range(workers)]
        done = sum(int(p.communicate()[0]) for p in procs)
        seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
        assert done == total, (done, total)
        return seconds, cpu
    finally:
        _drop(server, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="?", type=int, default=200)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2, 4])
    args = parser.parse_args()
    server = _server()
    rows, base, floor_base = [], None, None
    for n in args.workers:
        seconds, cpu, total = award_run(server, args.cases, n)
        floor, floor_cpu = floor_run(server, total, n)
        base = base or total / seconds
        floor_base = floor_base or total / floor
        rows.append([n, total, f"{total / seconds:.0f}", f"{total / seconds / base:.2f}x",
                     f"{cpu / total * 1000:.2f} ms", f"{total / floor:.0f}", f"{total / floor / floor_base:.2f}x",
                     f"{floor_cpu / total * 1000:.2f} ms", f"{(total / seconds) / (total / floor):.2f}x"])
    table(f"tick workers on PostgreSQL ({os.cpu_count()} cores, server on the same machine; client CPU includes "
          "each worker's start-up)",
          ["workers", "timers", "award timers/s", "vs 1 worker", "award CPU/timer", "floor timers/s", "floor vs 1",
           "floor CPU/timer", "award / floor"], rows)


if __name__ == "__main__":
    main()
