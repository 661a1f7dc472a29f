"""Durability is the deployment's choice (award.toml `durability`); the default stays safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from award.workflow.errors import ConfigError
from award.workflow.store import Database, database_url
from sqlalchemy import text

from tests.conftest import make_runner


def _synchronous(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("PRAGMA synchronous")).scalar_one())


def test_sqlite_is_fully_synchronous_unless_the_office_chooses_normal(tmp_path: Path) -> None:
    full = Database(database_url(str(tmp_path / "a.db")))
    normal = Database(database_url(str(tmp_path / "b.db")), durability="normal")
    assert _synchronous(full) == 2  # FULL
    assert _synchronous(normal) == 1  # NORMAL
    full.dispose()
    normal.dispose()


def test_an_unknown_durability_is_refused_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="full、normal"):
        Database(database_url(str(tmp_path / "a.db")), durability="fast")


def test_the_config_file_sets_it_for_every_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "office"
    home.mkdir()
    (home / "award.toml").write_text('durability = "sometimes"\n', encoding="utf-8")
    monkeypatch.setenv("AWARD_HOME", str(home))
    r = make_runner(str(tmp_path / "award.db"), tmp_path)("init", who=None)
    assert r.code == 6 and "durability" in r.err and "award.toml" in r.err, r
