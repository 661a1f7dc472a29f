"""Two processes advancing one case at once: one wins, the other exits 5 (nothing changed, safe to retry),
and the history holds exactly one new event; on SQLite and on PostgreSQL.

The race is made deterministic: each process is a real `python` process running the CLI against an
engine whose `_facts` (called after the case row is read and before the conditional update) waits at a
file barrier until both processes have read the case.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from award.workflow.specs.loader import bundled_definitions

from tests.conftest import make_runner

ORG = "91310000MA1FL1GF94"
NOW = "2026-03-02 11:00"

SCRIPT = rf'''
import sys
import time
from pathlib import Path

from award import cli

db, definitions, barrier, name, mode, *argv = sys.argv[1:]
barrier = Path(barrier)
settings = cli.Settings(db=db, definitions=definitions, now="{NOW}", as_name=None, deployment=None,
                        deliver=False, login_source=lambda: "wang")
engine = cli.build_engine(settings)


def wait_for(*files):
    deadline = time.monotonic() + 30
    while not all((barrier / f).exists() for f in files):
        if time.monotonic() > deadline:
            sys.exit(f"{{name}}: timed out waiting for {{files}}")
        time.sleep(0.005)


if mode == "race":
    # Both processes read the case, then both try to write it.
    real_facts = engine._facts
    paused = []

    def facts(*args, **kwargs):
        out = real_facts(*args, **kwargs)
        if not paused:
            paused.append(True)
            (barrier / f"read-{{name}}").touch()
            wait_for("read-a", "read-b")
        return out

    engine._facts = facts
elif mode == "hold":
    # The winner keeps its write transaction open (hooks run after the write, before the commit).
    class Hold:
        def __init__(self, inner):
            self.inner = inner

        def on_step(self, step):
            self.inner.on_step(step)
            (barrier / "holding").touch()
            wait_for("release")

    engine.timers = Hold(engine.timers)
elif mode == "locked":
    # The loser gives up on SQLite's write lock after 100 ms instead of 5 s.
    from sqlalchemy import event

    event.listen(engine.db.engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=100"))
    engine.db.dispose()  # the connection opened by build_engine has the 5 s timeout
    wait_for("holding")

settings.engine_factory = lambda s: engine
cli.main(argv, settings=settings)
'''


def prepare(db_url: str, tmp_path: Path):
    """SHA-2026-001 in `draft`, one event in its history; returns the in-process runner.

    The processes read a definitions folder holding only sha.yaml: each parses it at start-up.
    """
    definitions = tmp_path / "definitions"
    shutil.copytree(bundled_definitions(), definitions,
                    ignore=lambda folder, names: [n for n in names if n.endswith((".yaml", ".py")) and n != "sha.yaml"
                                                  and n != "rules.yaml"
                                                  and not folder.endswith(("calendars", "scoring"))])
    run = make_runner(db_url, tmp_path)
    assert run("init", "--admin", "admin", "--login", "admin", who=None, definitions=str(definitions)).code == 0
    r = run("staff", "add", "wang", "--login", "wang", "--role", "office@sha", who="admin", definitions=str(definitions))
    assert r.code == 0, r
    for args in (("round", "open", "sha", "2026", "--opened-on", "2026-03-02"),
                 ("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", ORG,
                  "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", ORG, "--round", "sha-2026", "--track", "gold_model")):
        r = run(*args, now="2026-03-02 09:00", definitions=str(definitions))
        assert r.code == 0, r
    return lambda *args, **kw: run(*args, definitions=str(definitions), **kw)


def start(tmp_path: Path, db_url: str, name: str, mode: str, *argv: str) -> subprocess.Popen[str]:
    script = tmp_path / "race.py"
    if not script.exists():
        script.write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "barrier").mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(script), db_url, str(tmp_path / "definitions"),
                             str(tmp_path / "barrier"), name, mode, *argv],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def one_new_event(run, trigger: str) -> None:
    events = run("history", "SHA-2026-001", "--json", who="wang").json["events"]
    assert [e["trigger"] for e in events] == ["apply", trigger]
    assert run("verify", who=None).code == 0


def lost(result: tuple[int, str, str]) -> None:
    code, _out, err = result
    assert code == 5, result
    assert "案件 SHA-2026-001 已被另一位操作者同时修改，本次操作未生效" in err, result
    assert "Traceback" not in err, result


def test_two_processes_advance_one_case(db_url: str, tmp_path: Path) -> None:
    case = prepare(db_url, tmp_path)
    a = start(tmp_path, db_url, "a", "race", "advance", "SHA-2026-001", "start_internal_notice")
    b = start(tmp_path, db_url, "b", "race", "advance", "SHA-2026-001", "withdraw", "--yes", "--comment", "撤回")
    results = {"start_internal_notice": finish(a), "withdraw": finish(b)}
    assert sorted(code for code, _, _ in results.values()) == [0, 5], results
    winner = next(t for t, (code, _, _) in results.items() if code == 0)
    loser = next(t for t in results if t != winner)
    lost(results[loser])
    one_new_event(case, winner)
    assert case("show", "SHA-2026-001", "--json").json["version"] == 2


def test_sqlite_database_locked_is_a_lost_race(tmp_path: Path) -> None:
    """A writer that meets SQLite's write lock past its busy timeout gets 'database is locked': exit 5 too."""
    db_url = str(tmp_path / "award.db")
    case = prepare(db_url, tmp_path)
    a = start(tmp_path, db_url, "a", "hold", "advance", "SHA-2026-001", "start_internal_notice")
    b = start(tmp_path, db_url, "b", "locked", "advance", "SHA-2026-001", "withdraw", "--yes", "--comment", "撤回")
    try:
        loser = finish(b)
    finally:
        (tmp_path / "barrier" / "release").touch()
    winner = finish(a)
    assert winner[0] == 0, winner
    lost(loser)
    one_new_event(case, "start_internal_notice")
