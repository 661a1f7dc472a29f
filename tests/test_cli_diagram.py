"""Diagrams: the procedure as Mermaid stateDiagram-v2, a case's path marked, SVG through Graphviz when installed."""

from __future__ import annotations

import shutil

import pytest

from tests.fixtures_sha import office_fixture  # noqa: F401 - fixtures


def test_definitions_diagram_is_mermaid_with_chinese_labels_timers_and_notices(award):
    result = award("definitions", "diagram", "sha", who=None)
    assert result.code == 0, result
    text = result.out
    assert text.startswith("stateDiagram-v2\n")
    assert 'state "📢 资格审查结果公示中" as qualification_notice' in text
    assert "qualification_notice --> material_review : ⏱ 资格审查公示期满无异议 [SHA-22]" in text
    assert "⏱ 5个工作日：资格审查公示期满 [SHA-22]" in text
    assert "qualification_review --> qualification_notice : 资格审查通过 ✉ [SHA-22]" in text
    assert "working days" not in text


def test_show_diagram_marks_the_current_state_and_the_path(office):
    ref = office.in_notice("2026-05-06 10:00")
    result = office.run("show", ref, "--diagram")
    assert result.code == 0, result
    assert "class qualification_notice current" in result.out
    assert "qualification_review --> qualification_notice : ✔ 资格审查通过" in result.out
    assert "internal_notice --> ready : ✔ ⏱ 内部公示期满" in result.out
    assert "material_review --> site_review : ✔" not in result.out
    visited = next(line for line in result.out.splitlines() if line.endswith(" visited"))
    assert "draft" in visited and "qualification_review" in visited


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)")
def test_svg_is_rendered_by_graphviz(award, tmp_path):
    target = tmp_path / "sha.svg"
    result = award("definitions", "diagram", "sha", "--svg", str(target), who=None)
    assert result.code == 0, result
    svg = target.read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE")) and "资格审查结果公示中" in svg


def test_svg_without_graphviz_says_how_to_install_it(award, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    result = award("definitions", "diagram", "sha", "--svg", str(tmp_path / "x.svg"), who=None)
    assert result.code == 6 and "apt-get install graphviz" in result.err
    assert not (tmp_path / "x.svg").exists()


def test_completion_scripts_and_values(office, tmp_path):
    ref = office.in_review("2026-05-06 09:00")
    for shell in ("bash", "zsh", "fish"):
        script = office.run("completion", shell, who=None)
        assert script.code == 0 and "_AWARD_COMPLETE" in script.out, script
    import os

    from award.cli import cli
    from click.shell_completion import ShellComplete

    def complete(*words: str, incomplete: str = "") -> list[str]:
        comp = ShellComplete(cli, {}, "award", "_AWARD_COMPLETE")
        return [c.value for c in comp.get_completions(["--db", office.db, *words], incomplete)]

    cwd = os.getcwd()
    try:
        assert ref in complete("show")
        assert "pass_qualification" in complete("advance", ref)
        assert "sha-2026" in complete("cases", "--round")
        assert "qualification_review" in complete("cases", "--state")
        assert "gold_model" in complete("cases", "--track")
        assert "qualification_review" in complete("case", "correct", ref, "--to")
    finally:
        os.chdir(cwd)
