"""mypy --strict and ruff pass on the whole tree: run here so that the README's one test command checks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: it comes with `pip install -e '.[test]'`")
    return found


def test_mypy_strict_is_clean() -> None:
    r = subprocess.run([_tool("mypy")], cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_ruff_is_clean() -> None:
    r = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
