"""Released definition versions stay available (definitions/archive/), and a case moves to the current
version only by `award case migrate`: role-checked, all or nothing, recorded (AWD-7). SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

from award.workflow.specs.catalog import git_blob_id, load_catalog
from award.workflow.specs.loader import bundled_definitions

from tests.conftest import AwardRunner
from tests.helpers import ORG_DECLARATIONS, gold_model_in_internal_notice, uscc

CODE = uscc("91310000MA1FL8XQ3")


def _next_version(tmp_path: Path, *, rename: dict[str, str] | None = None) -> Path:
    """A definitions folder where today's sha 2022.2 is released (archived) and sha.yaml is 2022.3,
    with the words in `rename` changed."""
    folder = tmp_path / "defs"
    shutil.copytree(bundled_definitions(), folder)
    current = folder / "sha.yaml"
    released = load_catalog(bundled_definitions()).get("sha")
    shutil.copy2(current, folder / "archive" / "sha-2022.2.yaml")
    with (folder / "archive" / "released.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"sha-2022.2.yaml:\n  release: test\n  blob: {git_blob_id(current.read_bytes())}\n"
                 f"  content_hash: {released.content_hash}\n")
    text = current.read_text(encoding="utf-8").replace('version: "2022.2"', 'version: "2022.3"')
    for old, new in (rename or {}).items():
        text = text.replace(old, new)
    current.write_text(text, encoding="utf-8")
    return folder


def test_the_catalog_lists_released_versions_beside_the_current_ones(award: AwardRunner) -> None:
    listed = award("definitions", "list", "--json", who=None).json
    assert [(r["id"], r["version"], r["archived"]) for r in listed if r["id"] == "sha"] == \
        [("sha", "2022.1", True), ("sha", "2022.2", False)]
    assert "已发布的旧版本" in award("definitions", "list", who=None).out
    checked = award("definitions", "check", who=None)
    assert checked.code == 0 and "另有 5 个已发布的旧版本" in checked.out, checked


def test_an_edited_release_is_refused_by_the_check(award: AwardRunner, tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(bundled_definitions(), folder)
    archived = folder / "archive" / "sha-2022.1.yaml"
    archived.write_text(archived.read_text(encoding="utf-8").replace("max: 20", "max: 30"), encoding="utf-8")
    r = award("definitions", "check", str(folder), who=None)
    assert r.code == 6 and "已发布的流程定义被改动" in r.err and "award case migrate" in r.err, r
    (folder / "archive" / "sha-2022.0.yaml").write_text("id: sha\n", encoding="utf-8")
    r = award("definitions", "check", str(folder), who=None)
    assert "归档文件 sha-2022.0.yaml 未登记在 released.yaml 中" in r.err, r


def test_a_case_continues_on_its_version_and_moves_when_the_office_says(award: AwardRunner, tmp_path: Path) -> None:
    ref = gold_model_in_internal_notice(award, code=CODE, year=2026, opened="2026-03-02 09:00",
                                        notice_at="2026-03-03 09:00")
    defs = str(_next_version(tmp_path))
    shown = award("show", ref, "--json", definitions=defs).json
    assert shown["definition_version"] == "2022.2"  # the new version does not take over a running case
    bad = award("case", "migrate", ref, definitions=defs)
    assert bad.code == 2 and "须写明理由" in bad.err, bad
    wrong = award("case", "migrate", ref, "--reason", "改按新版", definitions=defs, who="li")
    assert wrong.code == 3 and "[AWD-7]" in wrong.err, wrong
    dry = award("case", "migrate", "--round", "sha-2026", "--reason", "本轮改按新版", "--dry-run", definitions=defs)
    assert dry.code == 0 and "试运行" in dry.out and f"{ref}：流程定义 sha 版本 2022.2 → 2022.3" in dry.out, dry
    assert award("show", ref, "--json", definitions=defs).json["definition_version"] == "2022.2"
    moved = award("case", "migrate", "--round", "sha-2026", "--reason", "本轮改按新版", definitions=defs,
                  now="2026-03-05 09:00")
    assert moved.code == 0 and "已迁移 1 件案件" in moved.out, moved
    assert award("show", ref, "--json", definitions=defs).json["definition_version"] == "2022.3"
    again = award("case", "migrate", "--round", "sha-2026", "--reason", "再来一次", definitions=defs)
    assert again.code == 0 and "没有需要迁移的案件" in again.out, again
    history = award("history", ref, definitions=defs)
    assert "改按新版流程定义办理" in history.out and "2022.3" in history.out, history
    # its timer still fires, now under 2022.3, and the case goes on
    assert award("tick", now="2026-03-11 09:00", who=None, definitions=defs).code == 0
    r = award("advance", ref, "submit", *[a for d in ORG_DECLARATIONS for a in ("--set", d)],
              now="2026-03-12 09:00", definitions=defs)
    assert r.code == 0, r


def test_a_case_the_new_version_cannot_carry_is_refused_and_nothing_moves(award: AwardRunner, tmp_path: Path) -> None:
    ref = gold_model_in_internal_notice(award, code=CODE, year=2026, opened="2026-03-02 09:00",
                                        notice_at="2026-03-03 09:00")
    defs = str(_next_version(tmp_path, rename={"internal_notice_elapsed": "internal_notice_over"}))
    refused = award("case", "migrate", ref, "--reason", "改按新版", definitions=defs)
    assert refused.code == 3 and "[AWD-7]" in refused.err, refused
    assert "定时 internal_notice_elapsed" in refused.err and "award case correct" in refused.err, refused
    assert award("show", ref, "--json", definitions=defs).json["definition_version"] == "2022.2"
    events = award("history", ref, "--json", definitions=defs).json["events"]
    assert [e["kind"] for e in events] == ["created", "transition"]
