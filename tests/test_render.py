"""One render layer: every read command hands its view to `render.emit`; --json times carry +08:00."""

from __future__ import annotations

import ast
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from award.commands import render

COMMANDS = Path(__file__).resolve().parent.parent / "commands"
SOURCES = sorted(p for p in COMMANDS.glob("*.py") if p.name != "render.py")


def test_json_times_are_iso_8601_in_shanghai(capsys: pytest.CaptureFixture[str]) -> None:
    moment = datetime(2026, 10, 13, 16, 0, tzinfo=UTC)  # 2026-10-14 00:00 in Shanghai
    render.emit({"at": moment, "day": date(2026, 10, 13), "rows": [(1, moment)]}, as_json=True,
                table=lambda: pytest.fail("JSON never builds the people's table"))
    assert json.loads(capsys.readouterr().out) == {
        "at": "2026-10-14T00:00:00+08:00", "day": "2026-10-13", "rows": [[1, "2026-10-14T00:00:00+08:00"]]}


def test_people_get_the_text_then_the_table_then_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    said: list[str] = []
    render.emit({"x": 1}, as_json=False, text="第一行", table=render.Table("表", ["甲", "乙"], [[1, None]]),
                show=lambda: said.append("shown"))
    out = capsys.readouterr().out
    assert out.startswith("第一行\n") and "甲" in out and "乙" in out and "{" not in out
    assert said == ["shown"]


def _json_branches(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If | ast.IfExp) and any(
                isinstance(n, ast.Name) and n.id == "as_json" for n in ast.walk(node.test)):
            found.append(f"{path.name}:{node.lineno}: branches on as_json")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr == "print_json"
                or node.func.attr == "dumps" and isinstance(node.func.value, ast.Name) and node.func.value.id == "json"):
            found.append(f"{path.name}:{node.lineno}: prints JSON itself ({node.func.attr})")
    return found


def _json_commands(path: Path) -> list[str]:
    """Functions taking `as_json` that never hand it to `render.emit` (or to a helper that does)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef) or "as_json" not in [a.arg for a in node.args.args]:
            continue
        passes = [c for c in ast.walk(node) if isinstance(c, ast.Call)
                  and any(isinstance(a, ast.Name) and a.id == "as_json" for a in c.args)
                  or isinstance(c, ast.Call) and any(k.arg == "as_json" for k in c.keywords)]
        if not passes:
            found.append(f"{path.name}:{node.lineno}: {node.name} takes --json but never emits")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_commands_print_through_emit_only(path: Path) -> None:
    problems = _json_branches(path) + _json_commands(path)
    assert not problems, "\n".join(problems)


def test_the_checks_see_a_branch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def show(as_json):\n    if as_json:\n        render.print_json(1)\n", encoding="utf-8")
    assert len(_json_branches(bad)) == 2
    silent = tmp_path / "silent.py"
    silent.write_text("def show(as_json):\n    print(1)\n", encoding="utf-8")
    assert _json_commands(silent) == ["silent.py:1: show takes --json but never emits"]
