"""The engine is generic: `workflow/*.py` names no procedure, no state, no trigger and no rule of one.

Everything procedure-specific lives in `definitions/`. The check reads the code's syntax tree, so
docstrings and comments may still use a procedure as an example.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from award.workflow.specs.catalog import load_catalog
from award.workflow.specs.loader import bundled_definitions

WORKFLOW = Path(__file__).resolve().parent.parent / "workflow"
SOURCES = sorted(WORKFLOW.rglob("*.py"))

CATALOG = load_catalog(bundled_definitions())
SPECS = CATALOG.specs()
PROCEDURES = {spec.id for spec in SPECS}
SHA = CATALOG.get("sha")
# Ids a definition invents (snake_case): a generic engine has no reason to spell any of them.
SHA_NAMES = {s.name for s in SHA.states} | {t.trigger for t in SHA.transitions} | set(SHA.tracks) | set(SHA.fields)
SPECIFIC = sorted(n for n in SHA_NAMES if "_" in n)
# Plain English state names (draft, ready, awarded, revoked, ...) may be ordinary words in messages or
# variables; as a whole string literal they would still be a state id.
WHOLE = sorted(SHA_NAMES - set(SPECIFIC))
RULE_ID = re.compile(r"\b(" + "|".join(p.upper() for p in sorted(PROCEDURES)) + r")-\d")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or bare string statements (attribute docs)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.add(id(node.value))
    return out


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def _identifiers(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append((node.lineno, node.name))
        elif isinstance(node, ast.arg):
            out.append((node.lineno, node.arg))
    return out


def test_the_check_sees_the_sha_definition() -> None:
    assert {"sha"} <= PROCEDURES
    assert {"internal_notice", "qualification_review", "award_notice", "committee_approve"} <= set(SPECIFIC)
    assert {"awarded", "draft"} <= set(WHOLE)
    assert len(SOURCES) > 10


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(WORKFLOW)) for p in SOURCES])
def test_no_procedure_in_code(path: Path) -> None:
    found = []
    for line, text in _strings(path):
        if text.strip().lower() in PROCEDURES:
            found.append(f"{path.name}:{line}: procedure id {text!r}")
        if RULE_ID.search(text):
            found.append(f"{path.name}:{line}: rule id in {text!r}")
        for name in SPECIFIC:
            if re.search(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_])", text):
                found.append(f"{path.name}:{line}: SHA name {name!r} in {text!r}")
        if text in WHOLE:
            found.append(f"{path.name}:{line}: SHA name {text!r}")
    for line, name in _identifiers(path):
        if name in SPECIFIC or name in PROCEDURES:
            found.append(f"{path.name}:{line}: identifier {name!r}")
    assert not found, "\n".join(found)
