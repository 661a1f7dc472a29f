"""`award --version` prints the installed distribution's version (importlib.metadata), and opens nothing."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from tests.conftest import make_runner


def test_version_is_the_installed_one(tmp_path: Path) -> None:
    r = make_runner(str(tmp_path / "never-created.db"), tmp_path)("--version", who=None)
    assert r.code == 0, r
    assert r.out == f"award {importlib.metadata.version('award')}\n"
    assert not (tmp_path / "never-created.db").exists()
