"""Shared set-up for the benchmarks: a real engine on a throw-away SQLite file, and a table printer.

Benchmarks are scripts, never tests: `python benchmarks/bench_advance.py`. pytest does not collect them
(`testpaths = ["tests"]`, and their names do not start with `test_`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from award.cli import Settings, build_engine
from award.workflow.engine import Engine
from award.workflow.registers.identity import uscc_check_character
from award.workflow.timing.clock import fixed_clock, parse_moment


def compile_package() -> None:
    """Write the package's bytecode, as `pip install` does when it installs award.

    Whole-process timings must measure the installed program. An editable install (this checkout) has no
    bytecode of its own, and with PYTHONDONTWRITEBYTECODE set (as on the development machine) every
    `award` process would compile about a hundred modules from source first: ~0.1-0.2 s that an installed
    office never pays. `compileall` writes the `__pycache__` files regardless of that setting.
    """
    import compileall

    for part in ("cli.py", "demo.py", "commands", "workflow", "notifiers", "definitions"):
        path = ROOT / part
        if path.is_dir():
            compileall.compile_dir(str(path), quiet=1)
        elif path.is_file():
            compileall.compile_file(str(path), quiet=1)


COUNTING = os.environ.get("AWARD_BENCH_COUNT") == "1"
"""True in a child process of a benchmark's `--instructions`, which callgrind counts (`collected`)."""


def collected(argv: list[str]) -> int:
    """Run the script `argv` under callgrind, counting only inside `functools.reduce`; the instructions counted.

    A benchmark's `--instructions` puts the loop it measures in a `reduce`, whose C function toggles the
    count, so the process's start-up and set-up are left out; CPU time on a shared machine moves by ±20%
    between identical runs, an instruction count does not.
    """
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    valgrind = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
                "--callgrind-out-file=/dev/null"]
    done = subprocess.run([*valgrind, sys.executable, *argv], capture_output=True, text=True,
                          env={**os.environ, "AWARD_BENCH_COUNT": "1"}, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def loop(fn: Callable[[Any], object], items: Sequence[Any], *, warm: int = 0) -> None:
    """Call `fn` on every item, in order. Under `--instructions` (`COUNTING`) the first `warm` items run
    outside the count (templates compiled, statements prepared) and the rest inside `functools.reduce`,
    the loop callgrind counts."""
    if not COUNTING:
        for item in items:
            fn(item)
        return
    for item in items[:warm]:
        fn(item)
    functools.reduce(lambda _, item: fn(item), items[warm:], None)


def arguments(default: int, counted: int) -> tuple[bool, int]:
    """A benchmark's `[N] [--instructions]`: whether to count instructions, and N (`counted` is its default
    then, smaller, for callgrind runs ~50x slower)."""
    given = [a for a in sys.argv[1:] if not a.startswith("--")]
    counting = "--instructions" in sys.argv
    return counting, int(given[0]) if given else (counted if counting else default)


DEPLOYMENT = "notifiers:\n  email: {kind: spool, folder: mail, sender: office@example.gov.cn}\n"


@contextmanager
def office(*, deliver: bool = False) -> Iterator[Engine]:
    """A fresh SQLite database with the staff roster; mail is rendered into the outbox, not delivered."""
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        deployment = Path(folder) / "deployment.yaml"
        deployment.write_text(DEPLOYMENT, encoding="utf-8")
        settings = Settings(db=str(Path(folder) / "bench.db"), definitions=None, now=None, as_name=None,
                            deployment=str(deployment), deliver=deliver)
        engine = build_engine(settings, require_schema=False)
        engine.db.init(parse_moment("2026-01-05 09:00"))
        for name, role in (("wang", "office@sha"), ("li", "reviewer@sha")):
            engine.office.staff_add(name, [role])
        try:
            yield engine
        finally:
            engine.db.dispose()


def at(engine: Engine, text: str | datetime) -> None:
    engine.clock = fixed_clock(parse_moment(text) if isinstance(text, str) else text)


def new_cases(engine: Engine, n: int, *, start: str = "recommend", year: int = 2026) -> list[str]:
    """`n` gold-model cases, one organisation each, opened on 2026-03-02."""
    at(engine, f"{year}-03-02 09:00")
    actor = engine.office.actor("wang", "bench")
    if not any(r.id == f"sha-{year}" for r in engine.office.round_list("sha")):
        engine.office.round_open(procedure="sha", year=year)
    refs = []
    for i in range(n):
        body = f"91310000MA1FL{i:04d}"
        code = body + uscc_check_character(body)
        engine.office.party_add(kind="organization", name=f"上海第{i}质量科技有限公司", code=code,
                                registered_on=date(2015, 6, 1), district="浦东新区", email=f"o{i}@example.com")
        sets = ["recommender=上海市经济和信息化委员会"] if start == "recommend" else []
        refs.append(engine.case_new(party=code, round_id=f"sha-{year}", track="gold_model", start=start,
                                    sets=sets, actor=actor).ref)
    return refs


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_of(runs: int, fn: Callable[[], Any]) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table (no colours: the output goes into logs and reports)."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(title)
    for k, row in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) if k and i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


def days(n: int) -> timedelta:
    return timedelta(days=n)
