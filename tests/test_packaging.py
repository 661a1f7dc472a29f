"""The install claims only the name `award`: every package folder is listed under it, none at the top."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = ("workflow", "notifiers", "definitions", "commands")


def _package_folders() -> set[str]:
    found = {"award"}
    for top in SHIPPED:
        base = ROOT / top
        if not base.is_dir():
            continue
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT)
            found.add(".".join(("award", *rel.parts)))
    return found


def test_every_package_folder_is_listed_under_award() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"award": "."}
    assert set(setuptools["packages"]) == _package_folders()
    assert PYPROJECT["project"]["scripts"] == {"award": "award.cli:main"}


@pytest.mark.skipif(sys.platform == "win32", reason="builds a wheel with pip")
def test_the_wheel_has_nothing_but_award_at_the_top(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                       check=False, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    [wheel] = tmp_path.glob("award-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"award"}
    for must in ("award/cli.py", "award/definitions/sha.yaml", "award/definitions/calendars/2026.yaml",
                 "award/definitions/calendars/README.md", "award/definitions/templates/sha/awarded.j2",
                 "award/workflow/engine.py", "award/notifiers/smtp.py",
                 "award/workflow/migrations/script.py.mako", "award/workflow/migrations/versions/0001_baseline.py"):
        assert must in names, must
