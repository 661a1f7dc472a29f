"""A bounded, deterministic fuzz of the whole command line (issue 16, item 9).

The corpus is generated from the click command tree, so a new command is fuzzed as soon as it is
registered: each command once bare, then each of its parameters in turn given hostile values
(Unicode digits, 20-digit numbers, rich markup, ANSI escapes, line breaks, bytes that are not UTF-8,
dates at the edges of time, device files, over-long paths, ...) while the other parameters keep
harmless values. A fixed seed picks eight of them per command (about five hundred in all); each
runs in-process with a time limit. Every one must end without a traceback, with an exit code from the documented table, and,
when it is refused, with the database file's bytes unchanged.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from award.cli import cli, main
from award.commands.context import Settings
from click.testing import CliRunner

from tests.conftest import make_runner
from tests.helpers import resident_id

SEED = 16
PER_COMMAND = 8  # hostile invocations drawn for each command (every command gets its share)
GLOBAL_SAMPLE = 40
TIME_LIMIT = 10.0  # seconds per invocation: a hang is a failure, not a stuck suite
DOCUMENTED = {0, 2, 3, 4, 5, 6, 7}

PERSON = resident_id("31010119800101001")
ORG = "91310000MA1FL1GF94"

# Hostile values any text parameter may receive.
TEXT = [
    "²", "٣", "99999999999999999999", "-1", "0", "", " ", "[/]", "[bold]粗体[/bold]", "[link=file:///etc/passwd]x",
    "\x1b[31m红色\x1b[0m", "第一行\n第二行", "a\rb", "\x00", "\udcff\udcfe", "x" * 5000, "0001-01-01", "9999-12-31",
    "2026-02-30", "999999999999999999999 days", "5 working days", "%s%n%x", "{{ 7*7 }}", "NaN", "1e999999",
    "SHA-2026-001'; DROP TABLE cases;--", "--help", "=", "a=b=c", "sha", "../../../../etc/passwd",
]
# Hostile values for parameters that name a file or folder (made in the office folder).
PATHS = ["/dev/zero", "zero.csv", "/dev/null", "/", "missing.csv", "latin1.csv", "bigfield.csv", "fifo", "p" * 5000,
         "d/" * 2500, "\udcff.csv", "empty.csv"]
# Global options tried with hostile values on a harmless read command.
GLOBAL = {
    "--now": ["0001-01-01", "9999-12-31", "2026-13-01", "²", "", "x" * 5000, "2026-05-01 25:00"],
    "--db": ["/dev/zero", "/", "corrupt.db", "truncated.db", "p" * 5000, "sqlite:///nowhere/x.db", "nope://x"],
    "--definitions": ["p" * 5000, "/dev/null", "/", "missing-folder"],
    "--as": ["²", "[/]", "\x1b[2J", "nobody", ""],
    "--home": ["p" * 5000, "/dev/null"],
    "--deployment": ["/dev/zero", "/", "p" * 5000],
}
# Commands that run until stopped, or build a whole demo: only their refusals are fuzzed.
LONG_RUNNING = {("scheduler",), ("demo",)}
EXPLICIT = [
    ("scheduler", "--interval", "0"), ("scheduler", "--interval", "-5"), ("scheduler", "--interval", "²"),
    ("demo", "--dir", "/dev/null"), ("show", "²"), ("show", "99999999999999999999"), ("party", "show", "-1"),
    ("timers", "retry", "99999999999999999999"), ("outbox", "retry", "²"), ("objection", "resolve", "", "--dismiss",
                                                                             "--reason", "x"),
    ("calendar", "due", "9999-12-31", "5 working days"), ("calendar", "due", "2026-01-01", "999999999999999999999 days"),
    ("staff", "add", "\udcff", "--role", "office"), ("party", "import-awards", "/dev/zero"),
    ("report", "submit", "SHA-2026-001", "--year", "1", "--file", "/dev/zero"),
    ("objection", "file", "SHA-2026-001", "--by", "甲", "--contact", "1", "--reason", "r", "--evidence", "/dev/zero"),
    ("expert", "import", "zero.csv", "--pool", "shanghai_gov"), ("expert", "import", "bigfield.csv", "--pool",
                                                                 "shanghai_gov"),
    ("expert", "import", "latin1.csv", "--pool", "shanghai_gov"), ("party", "import-awards", "zero.csv"),
]


def harmless(command: tuple[str, ...], param: click.Parameter) -> list[str]:
    """A value for `param` that lets the command reach its own checks (and mostly be refused there)."""
    name = (param.name or "").lower()
    if isinstance(param, click.Option) and param.is_flag:
        return [param.opts[0]] if param.required else []
    value: str
    if isinstance(param.type, click.Choice):
        value = str(param.type.choices[0])
    elif isinstance(param.type, click.types.IntParamType | click.IntRange) or "year" in name or "id" == name[-2:]:
        value = "2026" if "year" in name else "1"
    elif isinstance(param.type, click.Path) or name in ("file", "path", "evidence", "folder"):
        value = "empty.csv"
    elif "case" in name or name == "args":
        value = "SHA-2026-001"
    elif name in ("ref", "party_ref", "party"):
        value = ORG
    elif "round" in name:
        value = "sha-2026"
    elif name in ("procedure", "definition_id"):
        value = "sha"
    elif name in ("day", "start", "registered_on", "opened_on"):
        value = "2026-05-06"
    elif name == "period":
        value = "5 working days"
    elif name in ("sets", "attrs", "dates", "props"):
        value = "nothing=1"
    elif name == "roles":
        value = "office"
    else:
        value = "甲"
    if isinstance(param, click.Argument):
        return [value] if param.nargs == 1 else ([value, "no_such_trigger"] if name == "args" else [value])
    if not param.required and name not in ("sets", "attrs", "dates", "props", "roles", "by", "contact", "reason"):
        return []
    return [param.opts[0], value]


def leaves(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from leaves(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def invocations() -> list[tuple[str, ...]]:
    """Per command a fixed-seed sample of its candidate invocations; the bare and explicit cases always run."""
    rng = random.Random(SEED)
    picked: list[tuple[str, ...]] = []
    bare: list[tuple[str, ...]] = []
    for path, command in leaves(cli):
        params = [p for p in command.params if p.name not in ("help", "as_json")]
        if path in LONG_RUNNING:
            continue
        bare.append(path)  # a usage error or a harmless default run
        candidates: list[tuple[str, ...]] = []
        for target in params:
            values = PATHS if isinstance(target.type, click.Path) else TEXT
            if isinstance(target, click.Option) and target.is_flag:
                continue
            for hostile in values:
                argv: list[str] = list(path)
                for p in params:
                    if p is target:
                        argv += [hostile] if isinstance(p, click.Argument) else [p.opts[0], hostile]
                        if p.name == "args":
                            argv += ["no_such_trigger"]
                    else:
                        argv += harmless(path, p)
                candidates.append(tuple(argv))
        picked += rng.sample(candidates, min(PER_COMMAND, len(candidates)))
    globals_ = [(option, value, *command) for option, values in GLOBAL.items() for value in values
                for command in (("cases",), ("staff", "add", "zz", "--role", "office"))]
    picked += rng.sample(globals_, min(GLOBAL_SAMPLE, len(globals_)))
    return list(dict.fromkeys([*EXPLICIT, *bare, *picked]))


class Hang(BaseException):
    """Raised in the main thread when an invocation runs past its time limit."""


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    crash: str | None
    seconds: float


@pytest.fixture(scope="module")
def fuzz_office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "deployment.yaml").write_text(
        "office:\n  email: [office@example.gov.cn]\n"
        "notifiers:\n  email: {kind: spool, folder: mail, sender: office@example.gov.cn}\n", encoding="utf-8")
    run = make_runner(str(folder / "award.db"), folder, folder / "deployment.yaml", home=folder / "home")
    assert run("init", "--admin", "admin", "--login", "admin", who=None).code == 0
    for name, role in (("wang", "office"), ("li", "reviewer"), ("zhao", "committee")):
        assert run("staff", "add", name, "--login", name, "--role", f"{role}@shanghai", "--email",
                   f"{name}@example.gov.cn", who="admin").code == 0
    for args in (("round", "open", "sha", "2026", "--opened-on", "2026-03-02"),
                 ("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON, "--email", "c@example.com"),
                 ("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", ORG,
                  "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", ORG, "--round", "sha-2026", "--track", "gold_model"),
                 ("advance", "SHA-2026-001", "start_internal_notice")):
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    (folder / "empty.csv").write_text("code,procedure,award,awarded_on\n", encoding="utf-8")
    (folder / "latin1.csv").write_bytes("code,procedure,award,awarded_on\nÉcole,sha,x,2020-01-01\n".encode("latin-1"))
    (folder / "bigfield.csv").write_text("code,procedure,award,awarded_on\n" + "x" * (128 * 1024 + 10)
                                         + ",sha,x,2020-01-01\n", encoding="utf-8")
    os.mkfifo(folder / "fifo")
    os.symlink("/dev/zero", folder / "zero.csv")
    data = (folder / "award.db").read_bytes()
    (folder / "truncated.db").write_bytes(data[: len(data) // 3])
    (folder / "corrupt.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    return folder


def run_once(folder: Path, argv: tuple[str, ...]) -> Outcome:
    """One invocation, in-process, stopped after TIME_LIMIT seconds by a signal to the main thread."""
    full = ["--db", str(folder / "award.db"), "--deployment", str(folder / "deployment.yaml"),
            "--home", str(folder / "home"), "--now", "2026-03-05 10:00", *argv]
    main_id = threading.get_ident()
    done = threading.Event()

    def watchdog() -> None:
        if not done.wait(TIME_LIMIT):
            signal.pthread_kill(main_id, signal.SIGUSR1)

    def on_signal(_signum: int, _frame: object) -> None:
        raise Hang()

    previous = signal.signal(signal.SIGUSR1, on_signal)
    runner = CliRunner()
    code, crash = 0, None
    started = time.monotonic()
    guard = threading.Thread(target=watchdog, daemon=True)
    with runner.isolation() as streams:
        cwd = os.getcwd()
        os.chdir(folder)
        guard.start()
        try:
            main(full, settings=Settings(db=None, definitions=None, now=None, as_name=None, deployment=None,
                                         login_source=lambda: "wang"))  # wang's own login, as the OS says
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Hang:
            crash = f"hang: still running after {TIME_LIMIT:g} s"
        except BaseException as exc:  # noqa: BLE001 - the point: nothing may escape main()
            crash = f"{type(exc).__name__}: {exc}"
        finally:
            done.set()
            guard.join()
            os.chdir(cwd)
            signal.signal(signal.SIGUSR1, previous)
    out = streams[0].getvalue().decode(errors="replace")
    err = streams[1].getvalue().decode(errors="replace")
    return Outcome(code=code, out=out, err=err, crash=crash, seconds=time.monotonic() - started)


def database_bytes(folder: Path) -> bytes:
    return b"".join((folder / f"award.db{suffix}").read_bytes() for suffix in ("", "-wal")
                    if (folder / f"award.db{suffix}").exists())


def test_the_cli_survives_a_few_hundred_malformed_invocations(fuzz_office: Path) -> None:
    corpus = invocations()
    assert len(corpus) >= 300, len(corpus)
    assert {c[0] for c in corpus} >= {name for name in cli.commands if name not in ("demo", "scheduler")}
    failures = []
    started = time.monotonic()
    for argv in corpus:
        before = database_bytes(fuzz_office)
        outcome = run_once(fuzz_office, argv)
        after = database_bytes(fuzz_office)
        shown = " ".join(repr(a) if len(a) < 60 else repr(a[:30] + "…") for a in argv)
        if outcome.crash:
            failures.append(f"{shown}: {outcome.crash}")
        elif "Traceback" in outcome.err or "Traceback" in outcome.out:
            failures.append(f"{shown}: traceback\n{outcome.err[-800:]}")
        elif outcome.code not in DOCUMENTED:
            failures.append(f"{shown}: exit {outcome.code} is not in the documented table\n{outcome.err[-400:]}")
        elif outcome.code != 0 and after != before:
            failures.append(f"{shown}: refused (exit {outcome.code}) but the database changed")
        elif outcome.code != 0 and not outcome.err.strip():
            failures.append(f"{shown}: exit {outcome.code} without a message")
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} of {len(corpus)} invocations failed:\n" + "\n".join(failures[:40])
    assert elapsed < 120, f"the fuzz corpus took {elapsed:.0f} s"


HOLD_LOCK = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline()"
)


def plain_invocations() -> list[tuple[str, ...]]:
    """Each command once with harmless values: what a clerk would type (most are refused or read)."""
    out = []
    for path, command in leaves(cli):
        if path in LONG_RUNNING:
            continue
        argv: list[str] = list(path)
        for p in command.params:
            if p.name not in ("help", "as_json"):
                argv += harmless(path, p)
        out.append(tuple(argv))
    return out


@pytest.mark.parametrize("mode", ["read-only", "locked"])
def test_every_command_on_a_read_only_or_locked_database(fuzz_office: Path, mode: str) -> None:
    """Every command, on a `?mode=ro` database or with another process holding the write lock: a
    documented exit code, no traceback, the database unchanged."""
    import subprocess
    import sys

    (Path(os.environ["AWARD_HOME"]) / "award.toml").write_text('busy_timeout = "0.2"\n', encoding="utf-8")
    db = str(fuzz_office / "award.db")
    holder = None
    if mode == "locked":
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    failures = []
    try:
        before = database_bytes(fuzz_office)
        for argv in plain_invocations():
            full = (("--db", f"sqlite:///file:{db}?mode=ro&uri=true", *argv) if mode == "read-only" else argv)
            outcome = run_once(fuzz_office, full)
            shown = " ".join(argv)
            if outcome.crash or "Traceback" in outcome.err or outcome.code not in DOCUMENTED:
                failures.append(f"{shown}: exit {outcome.code} {outcome.crash or ''}\n{outcome.err[-600:]}")
            elif "database is locked" in outcome.err or ("readonly database" in outcome.err and "只读" not in outcome.err):
                failures.append(f"{shown}: the driver's words reached the user\n{outcome.err[-400:]}")
        after = database_bytes(fuzz_office)
    finally:
        if holder is not None:
            assert holder.stdin is not None and holder.stdout is not None
            holder.stdin.write("\n")
            holder.stdin.close()
            holder.wait(timeout=30)
            holder.stdout.close()
    assert not failures, "\n".join(failures[:30])
    assert after == before
