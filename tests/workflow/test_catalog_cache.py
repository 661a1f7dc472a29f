"""The checked catalogue is cached on disk by content: a later process loads it without checking again.

Each test runs real processes (the cache is for the next process, not this one) with a cache folder
of its own (`AWARD_CACHE_DIR`) over a private copy of the bundled definitions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from award.workflow.specs.loader import bundled_definitions

PROBE = """
import json, sys
from pathlib import Path
from award.workflow.specs.catalog import load_catalog
catalog = load_catalog(Path(sys.argv[1]))
sha = catalog.get("sha")
print(json.dumps({"hash": sha.content_hash, "title": sha.title, "problems": [p.reason for p in catalog.problems],
                  "checked": "award.workflow.specs.check" in sys.modules,
                  "heavy": sorted(m for m in ("ruamel", "jinja2", "sqlalchemy") if m in sys.modules)}))
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "definitions"
    shutil.copytree(bundled_definitions(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def _load(folder: Path, cache: Path) -> dict[str, object]:
    env = {**os.environ, "AWARD_CACHE_DIR": str(cache)}
    r = subprocess.run([sys.executable, "-c", PROBE, str(folder)], env=env, capture_output=True, text=True,
                       check=True, timeout=120)
    result: dict[str, object] = json.loads(r.stdout)
    return result


def test_a_second_process_loads_the_checked_catalogue_without_checking(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(folder, cache)
    assert first["checked"] is True and first["problems"] == []
    assert len(list(cache.glob("catalog-*.pickle"))) == 1
    second = _load(folder, cache)
    assert second["hash"] == first["hash"] and second["title"] == first["title"]
    assert second["checked"] is False  # neither parsed nor validated again
    assert second["heavy"] == []  # no ruamel (YAML), Jinja2 (templates) or SQLAlchemy to load a catalogue
    (cached,) = cache.glob("catalog-*.pickle")
    assert cached.stat().st_mode & 0o077 == 0  # the user's own file


def test_an_edited_definition_is_checked_afresh(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(folder, cache)
    path = folder / "sha.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"title: {first['title']}", "title: 改过的标题", 1), encoding="utf-8")
    second = _load(folder, cache)
    assert second["title"] == "改过的标题" and second["checked"] is True
    assert second["hash"] != first["hash"]


def test_an_edited_rule_catalogue_is_checked_afresh(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _load(folder, cache)["problems"] == []
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("SHA-18:", "SHA-18X:", 1), encoding="utf-8")
    second = _load(folder, cache)
    assert second["checked"] is True
    assert any("SHA-18" in str(p) for p in second["problems"])  # type: ignore[attr-defined]


def test_a_damaged_cache_file_only_costs_a_fresh_check(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(folder, cache)
    (cached,) = cache.glob("catalog-*.pickle")
    cached.write_bytes(b"not a pickle")
    second = _load(folder, cache)
    assert second["hash"] == first["hash"] and second["checked"] is True
    assert _load(folder, cache)["checked"] is False  # rewritten
