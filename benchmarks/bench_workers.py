"""Tick workers on PostgreSQL: 1, 2 and 4 `award tick` processes draining the same due timers.

Set-up (not timed): CASES SHA cases start their internal notice (each gets its real SHA-20 timer) and
9 archive-mark timers are added per case, all due. Then N `award tick` processes start together and
each fires timers until none is due (SKIP LOCKED: a worker never waits for another's timer); the clock
stops when the last exits. Checked after each run: every timer fired exactly once (one history event
per timer, none left pending). The floor: N processes each claiming and firing the same number of
rows with plain psycopg, one UPDATE ... SKIP LOCKED and one INSERT per transaction.

Needs PostgreSQL (AWARD_BENCH_DATABASE_URL or AWARD_TEST_DATABASE_URL, a server URL; a database of the
benchmark's own is created and dropped) and the `bench` extra.
With `--deliver`, N `award outbox deliver` processes drain the outbox instead (each case's letter and
9 copies to other addresses, into a spool folder); checked: every letter sent, one attempt and one file
each. The floor: N psycopg processes claiming one row at a time with SKIP LOCKED and writing its file
(flushed to disk with `fsync` before the row is marked sent, as award's spool does).
With `--deliver --smtp`, the letters go to a real SMTP server on 127.0.0.1 (aiosmtpd, in this process)
instead of a spool folder, each in its own connection as award's SMTP notifier sends it; checked: every
letter received once. The floor then sends the same number of letters with `smtplib`, one connection each.
Both print the most connections the database had open at once while the workers ran (pg_stat_activity).

Usage: python benchmarks/bench_workers.py [CASES] [--workers 1 2 4] [--deliver [--smtp]]   (default 200 cases = 2,000)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Self

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


class _Mailbox:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that counts what it accepts, by Message-ID."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.ids: list[str] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # aiosmtpd's hook
        head = envelope.content.split(b"\r\n\r\n", 1)[0]  # type: ignore[attr-defined]
        self.ids += [line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                     if line.lower().startswith(b"message-id:")]
        return "250 OK"

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


FLOOR_DELIVER = """
import os, smtplib, sys, pathlib, psycopg
url, where, n = sys.argv[1], sys.argv[2], 0  # where: a folder, or smtp:PORT
with psycopg.connect(url) as con:
    while True:
        with con.transaction():
            row = con.execute("SELECT id, recipient, body FROM mail WHERE status = 'pending' ORDER BY id LIMIT 1 "
                              "FOR UPDATE SKIP LOCKED").fetchone()
            if row is None:
                break
            if where.startswith("smtp:"):  # one connection per letter, as award's SMTP notifier sends it
                with smtplib.SMTP("127.0.0.1", int(where[5:])) as smtp:
                    smtp.sendmail("office@example.gov.cn", [row[1]],
                                  f"Message-ID: <floor-{row[0]}@bench>\\r\\nSubject: x\\r\\n\\r\\n{row[2]}".encode())
            else:  # durable before it is recorded, as award's spool writes it
                with open(pathlib.Path(where) / f"{row[0]}.eml", "w", encoding="utf-8") as f:
                    f.write(f"To: {row[1]}\\n\\n{row[2]}")
                    f.flush()
                    os.fsync(f.fileno())
            con.execute("UPDATE mail SET status = 'sent', attempts = attempts + 1 WHERE id = %s", (row[0],))
            n += 1
print(n)
"""
COPIES = 9  # extra copies of each letter (another recipient each), so that a run delivers thousands


class _Connections:
    """The most connections the database had open at once while the workers ran (pg_stat_activity),
    sampled every 20 ms from a connection of its own (not counted)."""

    def __init__(self, plain_url: str) -> None:
        import threading

        import psycopg

        self.most = 0
        self._stop = threading.Event()
        self._con = psycopg.connect(plain_url, autocommit=True)
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            row = self._con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()").fetchone()
            self.most = max(self.most, int(row[0]) if row else 0)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._con.close()


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


def _prepare(url: str, folder: Path, cases: int, *, deliver: bool = False) -> int:
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
    if deliver:  # each case's pending letter, and COPIES more to other addresses: the outbox to drain
        from sqlalchemy import text

        with engine.db.engine.begin() as conn:
            columns = ("event_id, case_id, template, channel, role, subject, body, html, status, attempts, "
                       "last_error, created_at, next_attempt_at, sent_at")
            conn.execute(text(f"INSERT INTO outbox (recipient, {columns}) SELECT replace(recipient, '@', '+' || k || '@'), "
                              f"{columns} FROM outbox CROSS JOIN generate_series(1, {COPIES}) AS k "
                              "WHERE status = 'pending'"))
            total = int(conn.execute(text("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")).scalar_one())
        engine.db.dispose()
        return total
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


def award_run(server: str, cases: int, workers: int, *, deliver: bool = False,
              mailbox: _Mailbox | None = None) -> tuple[float, float, int, int]:
    """N workers drain the work; returns (seconds, their CPU, units of work, most connections open at once)."""
    url, plain = _fresh_database(server)
    name = url.rsplit("/", 1)[1]
    try:
        with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
            total = _prepare(url, Path(folder), cases, deliver=deliver)
            if mailbox is not None:  # the same letters, to the SMTP server instead of the spool folder
                mailbox.ids.clear()
                (Path(folder) / "deployment.yaml").write_text(
                    f"notifiers:\n  email: {{kind: smtp, host: 127.0.0.1, port: {mailbox.port}, security: none, "
                    "sender: office@example.gov.cn}\n", encoding="utf-8")
            env = {**os.environ, "AWARD_DB": url, "AWARD_HOME": folder, "AWARD_NOW": DUE,
                   "AWARD_DEPLOYMENT": str(Path(folder) / "deployment.yaml")}
            argv = [AWARD, "outbox", "deliver", "--limit", "100000"] if deliver else [AWARD, "--no-deliver", "tick",
                                                                                      "--json"]
            with _Connections(plain) as connections:
                started, cpu = time.perf_counter(), _children_cpu()
                procs = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
                codes = [p.wait() for p in procs]
                seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
            assert codes == [0] * workers, codes
            from sqlalchemy import create_engine, text

            check = create_engine(url)
            if deliver:  # every letter sent once: one attempt each, one file (one message received) each
                done = "sent" if mailbox is not None else "spooled"
                with check.connect() as conn:
                    sent, attempts, left = conn.execute(text(
                        f"SELECT COUNT(*) FILTER (WHERE status = '{done}'), SUM(attempts), "
                        f"COUNT(*) FILTER (WHERE status <> '{done}') FROM outbox")).one()
                check.dispose()
                files = len(mailbox.ids) if mailbox is not None else len(list((Path(folder) / "mail").glob("*.eml")))
                unique = len(set(mailbox.ids)) if mailbox is not None else files
                assert sent == total == attempts == files == unique and left == 0, \
                    (sent, attempts, files, unique, left, total)
                return seconds, cpu, total, connections.most
            with check.connect() as conn:
                fired = conn.execute(text("SELECT COUNT(*) FROM timers WHERE status = 'fired'")).scalar()
                pending = conn.execute(text("SELECT COUNT(*) FROM timers WHERE status = 'pending'")).scalar()
                events = conn.execute(text("SELECT COUNT(*) FROM history WHERE kind <> 'created' "
                                           "AND trigger IS DISTINCT FROM 'start_internal_notice'")).scalar()
            check.dispose()
            assert fired == total and pending == 0 and events == total, (fired, pending, events, total)
            return seconds, cpu, total, connections.most
    finally:
        _drop(server, name)


def floor_run(server: str, total: int, workers: int, *, deliver: bool = False,
              mailbox: _Mailbox | None = None) -> tuple[float, float]:
    url, plain = _fresh_database(server)
    name = url.rsplit("/", 1)[1]
    try:
        import psycopg

        with psycopg.connect(plain, autocommit=True) as con:
            if deliver:
                con.execute("CREATE TABLE mail (id serial PRIMARY KEY, recipient text, body text, status text, "
                            "attempts int)")
                con.execute("INSERT INTO mail (recipient, body, status, attempts) SELECT 'o' || g || '@example.com', "
                            "repeat('x', 600), 'pending', 0 FROM generate_series(1, %s) g", (total,))
            else:
                con.execute("CREATE TABLE jobs (id serial PRIMARY KEY, case_id int, status text)")
                con.execute("CREATE TABLE events (id serial PRIMARY KEY, job_id int, case_id int, body text)")
                con.execute("INSERT INTO jobs (case_id, status) SELECT g / 10, 'pending' "
                            "FROM generate_series(1, %s) g", (total,))
        with tempfile.TemporaryDirectory(prefix="award-bench-floor-") as folder:
            if mailbox is not None:
                mailbox.ids.clear()
            where = f"smtp:{mailbox.port}" if mailbox is not None else folder
            argv = [sys.executable, "-c", FLOOR_DELIVER, plain, where] if deliver else [sys.executable, "-c", FLOOR,
                                                                                      plain]
            started, cpu = time.perf_counter(), _children_cpu()
            procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
            done = sum(int(p.communicate()[0]) for p in procs)
            seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
        assert done == total, (done, total)
        assert mailbox is None or len(set(mailbox.ids)) == len(mailbox.ids) == total, len(mailbox.ids)
        return seconds, cpu
    finally:
        _drop(server, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="?", type=int, default=200)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--deliver", action="store_true",
                        help="`award outbox deliver` workers draining the outbox (to a spool folder) instead of tick")
    parser.add_argument("--smtp", action="store_true",
                        help="with --deliver: to a real SMTP server on 127.0.0.1 (aiosmtpd) instead of a spool folder")
    args = parser.parse_args()
    server = _server()
    what = "letters" if args.deliver else "timers"
    rows, base, floor_base = [], None, None
    with contextlib.ExitStack() as stack:
        mailbox = stack.enter_context(_Mailbox()) if args.deliver and args.smtp else None
        for n in args.workers:
            seconds, cpu, total, connections = award_run(server, args.cases, n, deliver=args.deliver, mailbox=mailbox)
            floor, floor_cpu = floor_run(server, total, n, deliver=args.deliver, mailbox=mailbox)
            base = base or total / seconds
            floor_base = floor_base or total / floor
            rows.append([n, total, f"{total / seconds:.0f}", f"{total / seconds / base:.2f}x",
                         f"{cpu / total * 1000:.2f} ms", connections, f"{total / floor:.0f}",
                         f"{total / floor / floor_base:.2f}x", f"{floor_cpu / total * 1000:.2f} ms",
                         f"{(total / seconds) / (total / floor):.2f}x"])
    where = " to an SMTP server on 127.0.0.1" if args.deliver and args.smtp else ""
    table(f"{'outbox deliver' if args.deliver else 'tick'} workers{where} on PostgreSQL ({os.cpu_count()} cores, server on "
          "the same machine; client CPU includes each worker's start-up)",
          ["workers", what, f"award {what}/s", "vs 1 worker", f"award CPU/{what[:-1]}", "connections (most)",
           f"floor {what}/s", "floor vs 1", f"floor CPU/{what[:-1]}", "award / floor"], rows)


if __name__ == "__main__":
    main()
