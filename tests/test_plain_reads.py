"""`show` and `history` without the ORM (workflow/plainread.py): the same bytes as the engine's path, fewer imports.

Each command runs twice in-process on one office: once as the CLI runs it (the plain path serves a
SQLite file), once with an engine factory (which always takes the engine's path); the outputs must be
equal byte for byte. A real process then shows what the plain path spares: no SQLAlchemy, SQLModel,
engine, Jinja2 or ruamel. Whatever the plain path does not answer falls back to the engine with its
own refusals (a stranger, `--as`, a tampered roster, an open case's guards).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from award.cli import main
from award.commands.context import Settings, build_engine, os_login
from award.workflow.registers.identity import uscc_check_character
from click.testing import CliRunner

from tests.conftest import STAFF, AwardRunner, add_staff, make_runner

REF = "SHA-2026-001"
SECOND = "91310000MA1FL1GF8" + uscc_check_character("91310000MA1FL1GF8")
HEAVY = ("sqlalchemy", "sqlmodel", "award.workflow.engine", "jinja2", "ruamel", "apscheduler", "transitions",
         "pydantic", "award.workflow.specs.model", "award.workflow.guards")
"""What the plain path never imports: the ORM, the engine, templates, YAML, the scheduler, the state machine, and
the definitions' models (their labels come from their own cache, specs/readspec.py)."""


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[AwardRunner, Path]:
    """A SHA case with a form, a few steps and a comment, withdrawn (so it is closed), and an open one."""
    folder = tmp_path_factory.mktemp("plain")
    run = make_runner(str(folder / "award.db"), folder, home=folder / "home")
    add_staff(run)
    for args in [("round", "open", "sha", "2026"),
                 ("party", "add", "--kind", "organization", "--name", "上海[b]甲[/b]质量科技有限公司",
                  "--code", "91310000MA1FL1GF94", "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", "91310000MA1FL1GF94", "--round", "sha-2026", "--track", "gold_model"),
                 ("advance", REF, "start_internal_notice"),
                 ("party", "add", "--kind", "organization", "--name", "上海乙质量有限公司", "--code", SECOND,
                  "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", SECOND, "--round", "sha-2026", "--track", "gold_model")]:
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    r = run("advance", REF, "withdraw", "--yes", "--comment", "企业决定明年再申报", now="2026-03-03 10:00")
    assert r.code == 0, r
    return run, folder


def _engine_path(folder: Path, *args: str, who: str = "wang") -> tuple[int, str, str]:
    """The command as the engine's path runs it (an engine factory turns the plain path off)."""
    runner = CliRunner()
    settings = Settings(db=None, definitions=None, now=None, as_name=None, deployment=None,
                        engine_factory=build_engine, login_source=lambda: who)
    code = 0
    with runner.isolation() as streams:
        try:
            main(["--db", str(folder / "award.db"), "--home", str(folder / "home"), *args], settings=settings)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        finally:
            if settings._engine is not None:
                settings._engine.db.dispose()
    return code, streams[0].getvalue().decode(), streams[1].getvalue().decode()


@pytest.mark.parametrize("args", [
    ("history", REF), ("history", "--json", REF), ("history", "--limit", "2", "--offset", "1", REF),
    ("history", REF.lower()), ("history", "1"), ("show", REF), ("show", "--json", REF),
    ("show", "SHA-2026-002"), ("history", "SHA-2026-404"), ("show", "SHA-2026-404"),
])
def test_the_plain_path_prints_what_the_engine_prints(office: tuple[AwardRunner, Path], args: tuple[str, ...]) -> None:
    run, folder = office
    plain = run(*args)
    code, out, err = _engine_path(folder, *args)
    assert (plain.code, plain.out, plain.err) == (code, out, err)
    if "404" not in args[-1]:
        assert plain.code == 0, plain


def test_the_plain_path_is_the_one_taken_and_imports_no_orm(office: tuple[AwardRunner, Path], tmp_path: Path) -> None:
    run, folder = office
    login = os_login()
    if login is None or login in STAFF or login == "admin":
        pytest.skip("needs an OS login that is not one of the test roster's names")
    r = run("staff", "add", "reader", "--login", login, "--role", "office", "--for=shanghai", who="admin")
    assert r.code == 0, r
    probe = ("import sys\nfrom award.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
             "    code = exc.code\n"
             f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules), 'CODE', code, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARD_") or k == "AWARD_CACHE_DIR"}
    env.update(AWARD_HOME=str(folder / "home"), AWARD_DB=str(folder / "award.db"),
               AWARD_SYSTEM_CONFIG=str(tmp_path / "none.toml"), COLUMNS="160")
    warm = subprocess.run([sys.executable, "-m", "award.cli", "history", REF], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # the first read writes the labels' cache (this office's definitions)
    assert warm.returncode == 0, warm.stderr
    for args in (["history", REF], ["show", REF]):
        done = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert "HEAVY [] CODE 0" in done.stderr, done.stderr
        assert done.stdout == run(*args, who=login).out
    done = subprocess.run([sys.executable, "-c", probe, "show", "SHA-2026-002"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert "'award.workflow.engine'" in done.stderr and "CODE 0" in done.stderr  # an open case: guards to evaluate


def test_a_stranger_is_refused_as_before(office: tuple[AwardRunner, Path]) -> None:
    run, folder = office
    r = run("history", REF, who="nobody")
    assert r.code == 3 and "[AWD-1]" in r.err and "nobody" in r.err, r
    assert (r.code, r.out, r.err) == _engine_path(folder, "history", REF, who="nobody")


def test_a_roster_edited_behind_the_engine_is_refused_on_the_plain_path_too(tmp_path: Path) -> None:
    import sqlite3

    run = make_runner(str(tmp_path / "award.db"), tmp_path, home=tmp_path / "home")
    add_staff(run)
    assert run("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    with sqlite3.connect(tmp_path / "award.db") as con:
        con.execute("UPDATE staff SET roles = '[\"admin@*\"]' WHERE name = 'li'")
    r = run("history", REF, who="li")
    assert r.code == 7 and "工作人员名单" in r.err, r


def test_an_upgrade_pending_database_is_refused_on_the_plain_path_too(office: tuple[AwardRunner, Path],
                                                                      tmp_path: Path) -> None:
    import shutil
    import sqlite3

    _run, folder = office
    copy = tmp_path / "old.db"
    shutil.copy(folder / "award.db", copy)
    with sqlite3.connect(copy) as con:
        con.execute("UPDATE award_meta SET value = '1' WHERE key = 'schema_version'")
    other = make_runner(str(copy), tmp_path, home=folder / "home")
    r = other("history", REF)
    assert r.code == 6 and "award init" in r.err, r

