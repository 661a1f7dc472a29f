"""Whole-process reads at two database sizes: cost must grow with the work, not with the data.

For each size a realistic database is generated once (benchmarks/generate.py; kept in the temporary
folder between runs) and each command runs as a fresh process, as a clerk or cron runs it: `show` of
an open case (its triggers' guards evaluated) and of a closed one, `history` of one case, an idle `tick`
(nothing due: answered from the file, as cron runs it), the first 100 cases of the office and the
first 10 of a round (pages both sizes fill). The floor is
`python -c` opening the same SQLite file with the `sqlite3` module and reading the same case row: what
any Python command must pay. Printed: medians, the ratio to the floor, and the ratio between sizes.

Usage: python benchmarks/bench_scale.py [SMALL LARGE] [--runs N] [--dir FOLDER]   (default 1000 100000;
       1000000 takes 8-15 minutes to generate the first time; FOLDER keeps the databases, default the
       temporary folder)

Each command runs once untimed first: the definitions' and statements' caches are what every later
process reads (`award` writes them on first use).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import compile_package, table
from award.commands.context import os_login
from generate import generate

AWARD = str(Path(sys.executable).with_name("award"))
WALL = False
NOW = "2026-11-30 10:00"


def _database(cases: int, folder: Path) -> tuple[str, str, str, str]:
    path = folder / f"award-bench-{cases}.db"
    ok = False
    if path.exists():
        with sqlite3.connect(path) as con:
            try:
                ok = con.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == cases
            except sqlite3.Error:
                ok = False
    if not ok:
        print(f"generating {cases:,} cases into {path} ...", flush=True)
        generate(str(path), cases)
    with sqlite3.connect(path) as con:
        ref = con.execute("SELECT ref FROM cases WHERE id = ?", (cases // 2,)).fetchone()[0]
        # `show` of an open case evaluates its triggers' guards (a SHA case ready to submit: eligibility,
        # prior awards, the five-year bar); of a closed one it lists no trigger. Both from the middle on.
        open_ref, closed_ref = (con.execute(f"SELECT ref FROM cases WHERE id >= ? AND procedure = 'sha' AND {where} "
                                            "ORDER BY id LIMIT 1", (cases // 2,)).fetchone()[0]
                                for where in ("state = 'ready'", "closed = 1"))
        if con.execute("SELECT COUNT(*) FROM staff_accounts").fetchone()[0] == 0:  # made before the binding
            con.execute("INSERT INTO staff_accounts (name, login, phone, disabled, disabled_reason, updated_at) "
                        "VALUES ('wang', ?, NULL, 0, NULL, '2026-11-30 02:00:00.000000')", (os_login(),))
    return str(path), ref, open_ref, closed_ref


def _medians(runs_of: list[tuple[list[str], dict[str, str]]], runs: int) -> list[float]:
    """The median CPU time (user + system) of each process; on a shared machine wall time mostly measures
    the neighbours (`--wall` measures wall time instead). The runs of the two sizes alternate, so that
    the machine drifting between them does not show as a difference between the sizes."""
    def run(argv: list[str], env: dict[str, str]) -> float:
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - started
        return wall if WALL else (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    for argv, env in runs_of:
        run(argv, env)  # warm: caches, page cache
    times: list[list[float]] = [[] for _ in runs_of]
    for _ in range(runs):
        for k, (argv, env) in enumerate(runs_of):
            times[k].append(run(argv, env))
    return [statistics.median(t) for t in times]


def commands(cases: int, folder: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """What is measured on a database of `cases` cases: each command with its environment."""
    db, ref, open_ref, closed_ref = _database(cases, folder)
    home = tempfile.mkdtemp(prefix="award-bench-home-")
    env = {**os.environ, "AWARD_HOME": home, "AWARD_DB": db, "COLUMNS": "200"}
    floor_code = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                  "print(c.execute('SELECT * FROM cases WHERE ref = ?', (sys.argv[2],)).fetchone())")
    return {
        "floor: python -c + sqlite3, one row": ([sys.executable, "-c", floor_code, db, ref], env),
        "award show (open case: guards)": ([AWARD, "show", open_ref], env),
        "award show (closed case)": ([AWARD, "show", closed_ref], env),
        "award history": ([AWARD, "history", ref], env),
        "award history --json": ([AWARD, "history", "--json", ref], env),
        "award tick (idle)": ([AWARD, "--now", NOW, "tick"], env),
        # pages that both sizes fill (a round of the 1,000-case office holds ~18 cases): the same rows printed
        "award cases (first 100 of the office)": ([AWARD, "cases", "--limit", "100"], env),
        "award cases --round (first 10)": ([AWARD, "cases", "--round", "sha-2026", "--limit", "10"], env),
    }


def main() -> None:
    compile_package()  # measure the program as installed (bytecode written), not an editable checkout
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--wall", action="store_true", help="median wall time instead of CPU time")
    args = parser.parse_args()
    global WALL
    WALL = args.wall
    small, large = (args.sizes + [100_000])[:2] if len(args.sizes) < 2 else args.sizes[:2]
    small_runs, large_runs = commands(small, args.dir), commands(large, args.dir)
    a, b = {}, {}
    for name in small_runs:
        a[name], b[name] = _medians([small_runs[name], large_runs[name]], args.runs)
    floor_a, floor_b = a["floor: python -c + sqlite3, one row"], b["floor: python -c + sqlite3, one row"]
    rows = [[name, f"{a[name] * 1000:.0f} ms", f"{a[name] / floor_a:.1f}x", f"{b[name] * 1000:.0f} ms",
             f"{b[name] / floor_b:.1f}x", f"{b[name] / a[name]:.2f}x"] for name in a]
    table(f"whole-process reads (median {'wall' if WALL else 'CPU'} time of {args.runs}), SQLite",
          ["command", f"{small:,} cases", "vs floor", f"{large:,} cases", "vs floor", f"{large:,} / {small:,}"],
          rows)


if __name__ == "__main__":
    main()
