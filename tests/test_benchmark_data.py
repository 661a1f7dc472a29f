"""The benchmarks' generated office (`benchmarks/generate.py`) is one the engine accepts: its histories are
chained with the engine's own hash, so `award verify` passes on it. The scale benchmarks measure reads on
it; a generator that fell behind the engine would measure a database no office could have."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import make_runner

ROOT = Path(__file__).resolve().parent.parent


def test_the_generated_office_verifies(tmp_path: Path) -> None:
    found = importlib.util.spec_from_file_location("award_bench_generate", ROOT / "benchmarks" / "generate.py")
    assert found is not None and found.loader is not None
    generator = importlib.util.module_from_spec(found)
    found.loader.exec_module(generator)
    db = tmp_path / "generated.db"
    counts = generator.generate(f"sqlite:///{db}", 25)
    assert counts["cases"] == 25 and counts["history"] >= 25 * 3

    run = make_runner(str(db), tmp_path, home=tmp_path / "home")
    result = run("verify")
    assert result.code == 0, result
    assert "已核验 25 件案件的历史，哈希链完整" in result.out
