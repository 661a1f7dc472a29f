"""`award cases --round R` and `award cases`, the clerk's usual lists, without the ORM: the same bytes as the
engine's path.

The office and the engine's path come from tests/test_plain_reads.py; every other filter, an unknown
round, a stranger or an expert goes to the engine (finder.find_cases), with its own messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from award.commands.context import os_login

from tests.conftest import STAFF, AwardRunner
from tests.test_plain_reads import HEAVY, _engine_path, office

__all__ = ["office"]  # the fixture, shared with the plain reads


@pytest.mark.parametrize("args", [
    ("cases", "--round", "sha-2026"),
    ("cases", "--round", "SHA-2026", "--json"),
    ("cases", "--round", "sha-2026", "--open"),
    ("cases", "--round", "sha-2026", "--limit", "1"),
    ("cases", "--round", "sha-2026", "--limit", "1", "--offset", "1"),
    ("cases", "--round", "sha-2026", "--offset", "5"),
    ("cases", "--round", "sha-2025"),  # no such round: the engine's "did you mean" (exit 4)
    ("cases", "--round", "sha-2026", "--state", "withdrawn"),  # another filter: the engine's path
    ("cases",), ("cases", "--json"), ("cases", "--open"), ("cases", "--limit", "1", "--offset", "1"),  # the office's
])
def test_a_rounds_page_prints_what_the_engine_prints(office: tuple[AwardRunner, Path], args: tuple[str, ...]) -> None:
    run, folder = office
    plain = run(*args)
    assert (plain.code, plain.out, plain.err) == _engine_path(folder, *args)
    assert plain.code == (4 if "sha-2025" in args else 0), plain


def test_a_stranger_gets_the_engines_refusal(office: tuple[AwardRunner, Path]) -> None:
    run, folder = office
    r = run("cases", "--round", "sha-2026", who="nobody")
    assert r.code == 3 and "[AWD-1]" in r.err, r
    assert (r.code, r.out, r.err) == _engine_path(folder, "cases", "--round", "sha-2026", who="nobody")


def test_the_rounds_page_imports_no_orm(office: tuple[AwardRunner, Path], tmp_path: Path) -> None:
    run, folder = office
    login = os_login()
    if login is None or login in STAFF or login == "admin":
        pytest.skip("needs an OS login that is not one of the test roster's names")
    assert run("staff", "add", "lister", "--login", login, "--role", "office", "--for=shanghai", who="admin").code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARD_") or k == "AWARD_CACHE_DIR"}
    env.update(AWARD_HOME=str(folder / "home"), AWARD_DB=str(folder / "award.db"),
               AWARD_SYSTEM_CONFIG=str(tmp_path / "none.toml"), COLUMNS="160")
    probe = ("import sys\nfrom award.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n")
    for args in (["cases", "--round", "sha-2026"], ["cases"]):
        for _ in range(2):  # the first also writes the labels' cache
            done = subprocess.run([sys.executable, "-c", probe, *args], env=env,
                                  capture_output=True, text=True, timeout=120, check=False)
        assert "LOADED []" in done.stderr, done.stderr
        assert done.stdout == run(*args, who=login).out
