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


READ_PROBE = """
import json, sys
from pathlib import Path
from award.workflow.specs.readspec import load_read_catalog
catalog = load_read_catalog(Path(sys.argv[1]))
sha = catalog.get("sha", sys.argv[2])
print(json.dumps({"hash": sha.content_hash, "title": sha.title, "problems": catalog.problems,
                  "state": sha.label_of(sha.states[0].name), "track": sorted(sha.tracks)[0],
                  "heavy": sorted(m for m in ("pydantic", "award.workflow.specs.model", "award.workflow.specs.loader",
                                              "ruamel", "jinja2", "sqlalchemy") if m in sys.modules)}))
"""


def _read(folder: Path, cache: Path, version: str) -> dict[str, object]:
    env = {**os.environ, "AWARD_CACHE_DIR": str(cache)}
    r = subprocess.run([sys.executable, "-c", READ_PROBE, str(folder), version], env=env, capture_output=True,
                       text=True, check=True, timeout=120)
    result: dict[str, object] = json.loads(r.stdout)
    return result


def _full_sha(folder: Path) -> tuple[str, str, str, str]:
    from award.workflow.specs.catalog import load_catalog

    sha = load_catalog(folder).get("sha")
    return sha.version, sha.content_hash, sha.title, sha.label_of(sha.states[0].name)


def test_the_read_commands_labels_load_from_their_own_cache_without_pydantic(folder: Path, tmp_path: Path) -> None:
    """show and history read a plain copy of the labels, kept beside the pickle under the same key."""
    cache = tmp_path / "cache"
    version, content_hash, title, state = _full_sha(folder)
    first = _read(folder, cache, version)
    assert "pydantic" in first["heavy"]  # type: ignore[operator]  # made from the checked catalogue once
    (pickled,) = cache.glob("catalog-*.pickle")
    (labels,) = cache.glob("catalog-*.read.json")
    assert labels.name == pickled.name.replace(".pickle", ".read.json")  # one content key for both
    assert labels.stat().st_mode & 0o077 == 0
    second = _read(folder, cache, version)
    assert second["heavy"] == []  # neither the models nor the parser
    assert (second["hash"], second["title"], second["state"], second["problems"]) == (content_hash, title, state, 0)
    assert first == {**second, "heavy": first["heavy"]}


def test_an_edited_definition_or_a_damaged_labels_file_makes_the_labels_afresh(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    version, *_ = _full_sha(folder)
    _read(folder, cache, version)
    (labels,) = cache.glob("catalog-*.read.json")
    labels.write_text("{not json", encoding="utf-8")
    assert _read(folder, cache, version)["problems"] == 0
    assert _read(folder, cache, version)["heavy"] == []  # rewritten
    path = folder / "sha.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: 改过的", 1), encoding="utf-8")
    edited = _read(folder, cache, version)
    assert str(edited["title"]).startswith("改过的") and len(list(cache.glob("catalog-*.read.json"))) == 2


def test_a_catalogue_with_problems_is_kept_as_such_for_the_read_commands(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("SHA-18:", "SHA-18X:", 1), encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom award.workflow.specs.readspec import load_read_catalog\n"
            "print(load_read_catalog(Path(sys.argv[1])).problems > 0)")
    env = {**os.environ, "AWARD_CACHE_DIR": str(cache)}
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", code, str(folder)], env=env, capture_output=True, text=True,
                           check=True, timeout=120)
        assert r.stdout.strip() == "True"


def test_the_labels_read_as_the_definitions_they_were_made_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every version, current and archived: what show and history read of a ReadSpec is the ProcessSpec's."""
    from award.workflow.labels import timer_label
    from award.workflow.specs.catalog import load_catalog
    from award.workflow.specs.readspec import load_read_catalog

    monkeypatch.setenv("AWARD_CACHE_DIR", str(tmp_path / "cache"))
    full = load_catalog(bundled_definitions())
    read = load_read_catalog(bundled_definitions())
    assert full.versions() and read.problems == 0
    for spec in full.versions():
        labels = read.get(spec.id, spec.version)
        assert (labels.id, labels.title, labels.version, labels.content_hash, labels.roles) == \
            (spec.id, spec.title, spec.version, spec.content_hash, spec.roles)
        assert {k: t.label for k, t in labels.tracks.items()} == {k: t.label for k, t in spec.tracks.items()}
        assert {k: s.label for k, s in labels.starts.items()} == {k: s.label for k, s in spec.starts.items()}
        assert {k: (f.label, f.type, f.choices) for k, f in labels.fields.items()} == \
            {k: (f.label, f.type, f.choices) for k, f in spec.fields.items()}
        assert bool(labels.recovery) == bool(spec.recovery) and list(labels.entries) == list(spec.entries)
        assert list(labels.checklists) == list(spec.checklists)
        for state in [*spec.state_map, "no_such_state"]:
            assert labels.label_of(state) == spec.label_of(state)
            assert [(t.trigger, t.label) for t in labels.transitions_from(state)] == \
                [(t.trigger, t.label) for t in spec.transitions_from(state)]
            for st in spec.states if state == "no_such_state" else [spec.state(state)]:
                for t in st.timers:
                    kind = "duty" if t.every else "mark" if t.mark else "transition"
                    assert timer_label(labels, st.name, kind, t.trigger, t.duty or t.mark) == \
                        timer_label(spec, st.name, kind, t.trigger, t.duty or t.mark)
        keep = spec.retention
        assert (labels.retention is None) == (keep is None)
        if keep is not None and labels.retention is not None:
            assert (labels.retention.years, labels.retention.rule, labels.retention.label) == \
                (keep.years, keep.rule, keep.label)
