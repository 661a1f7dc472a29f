"""Advance throughput: N cases through 3 steps each on SQLite, against floors that write the same rows.

Each engine step is what `award advance CASE TRIGGER` does in-process: load the case and its facts, run
the guards on the cached Machine, and in one transaction update the case, append the hash-chained
history event, cancel and plan timers and render the notifications into the outbox (delivery is left to
`award outbox deliver`, as with `--no-deliver`).

The floors replay exactly the rows the engine wrote, step by step, in the same number of transactions,
with the `sqlite3` module on a file with the same settings (WAL, synchronous FULL as the engine's
default): per step a SELECT of the case, the case UPDATE, the history INSERT, the timer UPDATE and
INSERTs and the outbox INSERTs. "naive" is what a newcomer would write: the same SQL plus a new
`transitions.Machine` built for every step. Printed: steps per second (wall) and CPU per step.

`--instructions` counts, instead of timing, the CPU instructions each run spends on its steps, with
valgrind's callgrind: the same count whatever else a shared machine is doing, where CPU time moves by
±20% between identical runs. Each run is repeated in a process of its own under callgrind, which counts
only inside the loop over the steps (`functools.reduce`, whose C function toggles the count); the first
case's steps are left out of every run (templates compiled, statements prepared, calendar read).

Usage: python benchmarks/bench_advance.py [N] [--instructions]   (default 200, about 15 s; with
--instructions default 30, about 5 minutes; needs `valgrind`)
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import arguments, collected, loop, new_cases, office, table
from transitions import Machine

STEPS = (  # (trigger, comment)
    ("confirm_willingness", None),
    ("start_internal_notice", None),
    ("withdraw", "申报单位书面撤回"),
)


def _measure(fn: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def engine_run(n: int) -> tuple[float, float, int, list[dict[str, Any]]]:
    """Walk the cases; return (wall, cpu, steps, the rows each step wrote, for the floors to replay)."""
    with office() as engine:
        refs = new_cases(engine, n)
        actor = engine.office.actor("wang", "bench")

        walk = [(ref, trigger, comment) for ref in refs for trigger, comment in STEPS]
        wall, cpu = _measure(lambda: loop(lambda step: engine.advance(step[0], step[1], actor=actor, comment=step[2]),
                                          walk, warm=len(STEPS)))  # the first case warms up (--instructions)
        with engine.db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.row_factory = sqlite3.Row
            steps = []
            for ev in raw.execute("SELECT * FROM history WHERE kind = 'transition' ORDER BY id"):
                ev = dict(ev)
                case = dict(raw.execute("SELECT * FROM cases WHERE id = ?", (ev["case_id"],)).fetchone())
                timers = [dict(r) for r in raw.execute(
                    "SELECT * FROM timers WHERE case_id = ? AND entry_seq = ?", (ev["case_id"], ev["seq"]))]
                outbox = [dict(r) for r in raw.execute("SELECT * FROM outbox WHERE event_id = ?", (ev["id"],))]
                steps.append({"event": ev, "case": case, "timers": timers, "outbox": outbox})
        return wall, cpu, len(refs) * len(STEPS), steps


def _schema(con: sqlite3.Connection) -> None:
    con.executescript("""
        CREATE TABLE cases (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, state TEXT, version INT, data TEXT,
                            events INT, head_hash TEXT, updated_at TEXT, entered_at TEXT, closed INT);
        CREATE TABLE history (id INTEGER PRIMARY KEY, case_id INT, seq INT, kind TEXT, trigger TEXT,
                              source TEXT, dest TEXT, actor TEXT, role TEXT, business_time TEXT,
                              wall_time TEXT, comment TEXT, data TEXT, prev_hash TEXT, hash TEXT,
                              UNIQUE (case_id, seq));
        CREATE TABLE timers (id INTEGER PRIMARY KEY, case_id INT, entry_seq INT, state TEXT, kind TEXT,
                             trigger TEXT, rule TEXT, period TEXT, due_at TEXT, status TEXT);
        CREATE INDEX ix_timers_case ON timers (case_id);
        CREATE TABLE outbox (id INTEGER PRIMARY KEY, event_id INT, case_id INT, template TEXT, channel TEXT,
                             role TEXT, recipient TEXT, subject TEXT, body TEXT, status TEXT);
    """)


def floor_run(steps: list[dict[str, Any]], *, naive_machine: Callable[[], None] | None = None) -> tuple[float, float]:
    """Replay the engine's rows with plain sqlite3, one transaction per step (plus a Machine if naive)."""
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        con = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        _schema(con)
        for case in {s["case"]["id"]: s["case"] for s in steps}.values():
            con.execute("INSERT INTO cases (id, ref, state, version, data, events, head_hash) VALUES (?,?,?,?,?,?,?)",
                        (case["id"], case["ref"], "recommended", 1, case["data"], 1, ""))

        def one(step: dict[str, Any]) -> None:
            ev, case = step["event"], step["case"]
            if naive_machine is not None:
                naive_machine()
            con.execute("BEGIN IMMEDIATE")
            version = con.execute("SELECT version FROM cases WHERE id = ?", (case["id"],)).fetchone()[0]
            con.execute("UPDATE cases SET state = ?, version = ?, data = ?, updated_at = ?, entered_at = ?, "
                        "closed = ? WHERE id = ? AND version = ?",
                        (ev["dest"], version + 1, case["data"], ev["business_time"], ev["business_time"],
                         case["closed"], case["id"], version))
            con.execute("INSERT INTO history (case_id, seq, kind, trigger, source, dest, actor, role, "
                        "business_time, wall_time, comment, data, prev_hash, hash) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (ev["case_id"], ev["seq"], ev["kind"], ev["trigger"], ev["source"], ev["dest"],
                         ev["actor"], ev["role"], ev["business_time"], ev["wall_time"], ev["comment"],
                         ev["data"], ev["prev_hash"], ev["hash"]))
            con.execute("UPDATE cases SET events = ?, head_hash = ? WHERE id = ?",
                        (ev["seq"], ev["hash"], case["id"]))
            con.execute("UPDATE timers SET status = 'cancelled' WHERE case_id = ? AND status = 'pending'",
                        (case["id"],))
            con.executemany("INSERT INTO timers (case_id, entry_seq, state, kind, trigger, rule, period, "
                            "due_at, status) VALUES (?,?,?,?,?,?,?,?,?)",
                            [(t["case_id"], t["entry_seq"], t["state"], t["kind"], t["trigger"], t["rule"],
                              t["period"], t["due_at"], "pending") for t in step["timers"]])
            con.executemany("INSERT INTO outbox (event_id, case_id, template, channel, role, recipient, "
                            "subject, body, status) VALUES (?,?,?,?,?,?,?,?,?)",
                            [(o["event_id"], o["case_id"], o["template"], o["channel"], o["role"],
                              o["recipient"], o["subject"], o["body"], "pending") for o in step["outbox"]])
            con.execute("COMMIT")

        result = _measure(lambda: loop(one, steps, warm=len(STEPS)))  # as the engine's count
        con.close()
        return result


def naive_machine_factory() -> Callable[[], None]:
    """A newcomer's step: a `transitions.Machine` built from the SHA definition for every step."""
    from award.workflow.specs.catalog import load_catalog
    from award.workflow.specs.loader import bundled_definitions

    spec = load_catalog(bundled_definitions()).get("sha")
    states = [s.name for s in spec.states]
    transitions = [{"trigger": t.trigger, "source": list(t.source), "dest": t.dest} for t in spec.transitions]

    class Case:
        state: str

    def build() -> None:
        Machine(model=Case(), states=states, transitions=transitions, initial="recommended", auto_transitions=False)

    return build


def instructions(n: int) -> None:
    """`--instructions`: each run's instructions per step, counted by callgrind in a process of its own."""
    script = str(Path(__file__).resolve())
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        rows = str(Path(folder) / "steps.json")
        counts = {"engine": collected([script, "--count", "engine", str(n), rows])}
        for run in ("floor", "naive"):
            counts[run] = collected([script, "--count", run, rows])
    steps = (n - 1) * len(STEPS)
    per = {run: count / steps for run, count in counts.items()}
    table(f"advance: instructions per step, {n - 1} cases x {len(STEPS)} steps counted by callgrind "
          "(the first case left out: warm-up)",
          ["run", "instructions per step", "vs floor"],
          [["award engine (guards, hash chain, timers, outbox)", f"{per['engine'] / 1e6:.2f} M",
            f"{per['engine'] / per['floor']:.1f}x"],
           ["floor: plain sqlite3, same rows, same transactions", f"{per['floor'] / 1e6:.2f} M", "1.0x"],
           ["naive: a new transitions.Machine per step + the same SQL", f"{per['naive'] / 1e6:.2f} M",
            f"{per['naive'] / per['floor']:.1f}x"]])
    print(f"  engine vs naive: {per['naive'] / per['engine']:.2f}x the naive version's steps per instruction")


def _count(run: str, argv: list[str]) -> None:
    """A child of `--instructions`: one run, its rows passed on in a file."""
    if run == "engine":
        *_, steps = engine_run(int(argv[0]))
        Path(argv[1]).write_text(json.dumps(steps), encoding="utf-8")
    else:
        steps = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        floor_run(steps, naive_machine=naive_machine_factory() if run == "naive" else None)


def main() -> None:
    if sys.argv[1:2] == ["--count"]:
        _count(sys.argv[2], sys.argv[3:])
        return
    counting, n = arguments(200, 30)
    if counting:
        instructions(n)
        return
    e_wall, e_cpu, n_steps, steps = engine_run(n)
    rows = sum(1 + len(s["timers"]) + len(s["outbox"]) for s in steps)
    f_wall, f_cpu = floor_run(steps)
    v_wall, v_cpu = floor_run(steps, naive_machine=naive_machine_factory())
    results = [("award engine (guards, hash chain, timers, outbox)", e_wall, e_cpu),
               ("floor: plain sqlite3, same rows, same transactions", f_wall, f_cpu),
               ("naive: a new transitions.Machine per step + the same SQL", v_wall, v_cpu)]
    table(f"advance: {n} cases x {len(STEPS)} steps on SQLite ({rows} rows written, "
          f"{rows / n_steps:.1f} per step; WAL, synchronous FULL)",
          ["run", "steps/s", "CPU per step", "steps/s vs floor", "CPU vs floor"],
          [[name, f"{n_steps / wall:.0f}", f"{cpu / n_steps * 1000:.2f} ms", f"{f_wall / wall:.2f}x",
            f"{cpu / f_cpu:.1f}x"] for name, wall, cpu in results])
    print(f"  engine vs naive: {v_wall / e_wall:.2f}x the naive version's steps/s")


if __name__ == "__main__":
    main()
