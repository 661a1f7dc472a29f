"""CLI start-up: `award --help` wall time against `python -c pass` (the interpreter alone).

`--help` must not import the engine, SQL, the calendar or any command's module (the CLI builds the engine
lazily, and its group imports a command's module only when that command runs: commands/lazy.py); the
gap to the floor is click and the `cli` module itself. For scale it also times
`award calendar day`, which loads the calendar but opens no database.

Usage: python benchmarks/bench_startup.py [RUNS]   (default 7; a few seconds)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import compile_package, median_of, table

AWARD = str(Path(sys.executable).with_name("award"))


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    compile_package()  # measure the program as installed (bytecode written), not an editable checkout
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    floor = median_of(runs, lambda: run([sys.executable, "-c", "pass"]))
    rows = [["floor: python -c pass", f"{floor * 1000:.0f} ms", "1.0x"]]
    for label, argv in (("award --help", [AWARD, "--help"]),
                        ("award calendar day 2026-10-10", [AWARD, "calendar", "day", "2026-10-10"])):
        seconds = median_of(runs, lambda argv=argv: run(argv))
        rows.append([label, f"{seconds * 1000:.0f} ms", f"{seconds / floor:.1f}x"])
    table(f"start-up: median wall time of {runs} runs", ["command", "wall", "vs floor"], rows)


if __name__ == "__main__":
    main()
