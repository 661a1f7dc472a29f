"""An idle `award tick` (nothing due) is answered from the SQLite file without building the engine.

cron runs tick every few minutes; nearly every run finds nothing due. The plain read path probes the
timers' index and prints the same summary the engine prints; anything due, `--now`, `--dry-run` or a
database the plain path does not read goes the engine's way. Time is frozen (freezegun) so that both
paths print the same minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.conftest import AwardRunner, add_staff, make_runner
from tests.test_plain_reads import _engine_path

REF = "SHA-2026-001"
HEAVY = ("sqlalchemy", "sqlmodel", "award.workflow.engine", "award.workflow.timing.timers", "jinja2", "transitions",
         "pydantic", "award.workflow.plainread", "award.workflow.views", "rich")
"""What the probe never imports: the ORM, the engine, templates, the state machine, nor the read path's views."""


@pytest.fixture
def office(tmp_path: Path) -> tuple[AwardRunner, Path]:
    """A SHA case in its internal notice from 2026-03-02: its timer is due after five working days."""
    run = make_runner(str(tmp_path / "award.db"), tmp_path, home=tmp_path / "home")
    add_staff(run)
    for args in [("round", "open", "sha", "2026"),
                 ("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司",
                  "--code", "91310000MA1FL1GF94", "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", "91310000MA1FL1GF94", "--round", "sha-2026", "--track", "gold_model"),
                 ("advance", REF, "start_internal_notice")]:
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    return run, tmp_path


@pytest.mark.parametrize("args", [("tick",), ("tick", "--json"), ("tick", "--quiet"), ("tick", "--verbose"),
                                  ("--now", "2026-03-04 09:00", "tick"), ("--now", "2026-03-04 09:00", "tick", "--json")])
def test_an_idle_tick_prints_what_the_engine_prints(office: tuple[AwardRunner, Path], args: tuple[str, ...]) -> None:
    run, folder = office
    with freeze_time("2026-03-03 10:00:00"):  # the notice runs until 2026-03-09
        plain = run(*args)
        assert (plain.code, plain.out, plain.err) == _engine_path(folder, *args)
    assert plain.code == 0, plain
    if args == ("tick",):
        assert plain.out == "2026-03-03 18:00 定时处理：触发 0 个，暂缓 0 个，失败 0 个\n", plain


def test_a_due_timer_goes_the_engines_way_and_fires_once(office: tuple[AwardRunner, Path]) -> None:
    run, _folder = office
    with freeze_time("2026-03-10 10:00:00"):
        first = run("tick", "--json")
        again = run("tick", "--json")
    assert first.code == 0 and len(first.json["fired"]) == 1, first
    assert again.code == 0 and again.json == {"fired": [], "held": [], "failed": []}, again
    assert run("show", "--json", REF, now="2026-03-10 10:00").json["state"] == "ready"


def test_an_idle_tick_builds_no_engine(tmp_path: Path) -> None:
    """A real process on an office with nothing timed (the case's notice is not started): no ORM, no engine."""
    folder = tmp_path
    run = make_runner(str(folder / "award.db"), folder, home=folder / "home")
    add_staff(run)
    probe = ("import sys\nfrom award.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
             "    code = exc.code\n"
             f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules), 'CODE', code, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARD_") or k == "AWARD_CACHE_DIR"}
    env.update(AWARD_HOME=str(folder / "home"), AWARD_DB=str(folder / "award.db"),
               AWARD_SYSTEM_CONFIG=str(tmp_path / "none.toml"))
    done = subprocess.run([sys.executable, "-c", probe, "tick"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert "HEAVY [] CODE 0" in done.stderr, done.stderr
    assert "定时处理：触发 0 个，暂缓 0 个，失败 0 个" in done.stdout, done.stdout
    done = subprocess.run([sys.executable, "-c", probe, "--now", "2026-03-03 10:00", "tick"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # --now: the same probe, at that time
    assert "HEAVY [] CODE 0" in done.stderr, done.stderr
    assert done.stdout.startswith("2026-03-03 10:00（实际 "), done.stdout  # --now is Shanghai time
    done = subprocess.run([sys.executable, "-c", probe, "tick", "--dry-run"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert "award.workflow.engine" in done.stderr, done.stderr  # a dry run previews with the engine


def test_a_named_deployment_file_that_is_missing_is_refused_as_before(office: tuple[AwardRunner, Path]) -> None:
    run, _folder = office
    with freeze_time("2026-03-03 10:00:00"):  # nothing due: the probe would answer, but the engine must refuse
        r = run("--deployment", "missing.yaml", "tick")
    assert r.code == 6 and "部署文件有误" in r.err, r
