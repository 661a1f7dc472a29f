"""`award demo` (the README's first command) walks four SHA cases to the award, with nothing refused
but the two refusals it means to show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AWARD = str(Path(sys.executable).with_name("award"))


def test_the_demo_takes_every_track_to_the_award(tmp_path: Path) -> None:
    r = subprocess.run([AWARD, "demo", "--dir", str(tmp_path / "demo")], capture_output=True, text=True,
                       timeout=600, check=False, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stdout + r.stderr
    assert r.stdout.count("(exit 3)") == 2, r.stdout[-4000:]  # the early submit (SHA-20), the unmet SHA-17
    assert "已核验 4 件案件的历史，哈希链完整" in r.stdout
    assert r.stdout.count("已获奖") >= 4
    assert sorted(p.suffix for p in (tmp_path / "demo" / "mail").rglob("*.eml"))
