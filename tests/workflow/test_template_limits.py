"""Templates cannot take the engine down (issue 16, item 6): time, size and amplifiers are bounded,
and templates are read only from inside their folder, never through a symbolic link."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from award.workflow.notify.sandbox import MAX_OUTPUT_CHARS, TIME_BUDGET_SECONDS
from award.workflow.notify.templates import TemplateError, TemplateSet, check

from tests.conftest import make_runner
from tests.fixtures_sha import sha_definitions
from tests.helpers import table_dump


def message(text: str, subject: str = "主题") -> str:
    return f"{{% block subject %}}{subject}{{% endblock %}}{{% block text %}}{text}{{% endblock %}}"


HOSTILE = {
    "nested_big_ranges": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "range"),
    "nested_small_ranges": (("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                            "{% endfor %}{% endfor %}{% endfor %}"), "秒的时间上限"),
    "loops_over_a_string": (("{% set s = 'x' * 1000 %}{% for a in s %}{% for b in s %}{% for c in s %}"
                            "{% endfor %}{% endfor %}{% endfor %}"), "秒的时间上限"),
    "strftime_amplified": ("{{ now.strftime('%Y' * 10**7) }}", "乘法"),
    "string_times_a_billion": ("{{ 'x' * 10**9 }}", "乘法"),
    "huge_power": ("{{ 2 ** 100000 }}", "乘方"),
    "center_filter": ("{{ 'x' | center(10**9) }}", "上限"),
    "center_method": ("{{ 'x'.center(10**9) }}", "上限"),
    "percent_width": ("{{ '%999999999s' % 'x' }}", "宽度"),
    "format_width": ("{{ '{:999999999}'.format(1) }}", "宽度"),
    "join_amplified": ("{{ range(1000) | join('y' * 200000) }}", "join"),
    "replace_amplified": ("{{ ('x' * 200000) | replace('x', 'yyyyyyyy') }}", "replace"),
    "output_too_long": ("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", "字符的上限"),
    "namespace_accumulator": (("{% set ns = namespace(x='a') %}{% for i in range(60) %}{% set ns.x = ns.x ~ ns.x %}"
                              "{% endfor %}"), "namespace"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_templates_fail_fast_with_a_reason(tmp_path: Path, name: str) -> None:
    body, reason = HOSTILE[name]
    (tmp_path / "sha").mkdir()
    (tmp_path / "sha" / f"{name}.j2").write_text(message(body), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        TemplateSet(tmp_path).render("sha", name, {"now": datetime(2026, 5, 6, tzinfo=UTC)})
    assert time.monotonic() - started < TIME_BUDGET_SECONDS + 2
    assert reason in str(caught.value), str(caught.value)
    assert f"{name}.j2" in caught.value.problem.file


def test_ordinary_templates_still_render(tmp_path: Path) -> None:
    (tmp_path / "sha").mkdir()
    (tmp_path / "sha" / "ok.j2").write_text(message(
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ range(5) | join(',') }} {{ '{:,}'.format(1500000) }}"
        " {{ now.strftime('%Y') }} {{ '-' * 20 }} {{ 'x' | center(9) }} {{ 2 ** 10 }}"), encoding="utf-8")
    out = TemplateSet(tmp_path).render("sha", "ok", {"now": datetime(2026, 5, 6, tzinfo=UTC)})
    assert out.text == "012 0,1,2,3,4 1,500,000 2026 -------------------- " + "x".center(9) + " 1024"
    assert len(out.text) < MAX_OUTPUT_CHARS


def test_a_symlinked_partial_is_refused_and_never_mailed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:机密", encoding="utf-8")
    root = tmp_path / "templates"
    (root / "sha").mkdir(parents=True)
    (root / "sha" / "letter.j2").write_text(message("{% include 'sha/_footer.j2' %}"), encoding="utf-8")
    os.symlink(secret, root / "sha" / "_footer.j2")
    with pytest.raises(TemplateError) as caught:
        TemplateSet(root).render("sha", "letter", {})
    assert "符号链接" in str(caught.value)
    problems = check(root, {"*": {}})
    assert any("符号链接" in p.reason for p in problems), problems


def test_a_symlinked_message_or_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "letter.j2").write_text(message("外部文件"), encoding="utf-8")
    root = tmp_path / "templates"
    root.mkdir()
    os.symlink(outside, root / "sha")
    with pytest.raises(TemplateError) as caught:
        TemplateSet(root).render("sha", "letter", {})
    assert "符号链接" in str(caught.value)


def test_a_runaway_template_fails_the_step_quickly_and_changes_nothing(award, tmp_path: Path, db_file: str) -> None:
    """Through the CLI: the step is refused (exit 6) within the time budget; the database is unchanged,
    and `definitions check` reports the same template."""
    definitions = sha_definitions(tmp_path / "defs")
    (definitions / "templates" / "sha" / "internal_notice_started.j2").write_text(message(
        "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
        "{% endfor %}{% endfor %}"), encoding="utf-8")
    run = make_runner(db_file, tmp_path)
    assert run("round", "open", "sha", "2026", definitions=str(definitions), now="2026-03-02 09:00").code == 0
    assert run("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code",
               "91310000MA1FL1GF94", definitions=str(definitions)).code == 0
    assert run("case", "new", "--party", "91310000MA1FL1GF94", "--round", "sha-2026", "--track", "gold_model",
               definitions=str(definitions), now="2026-03-02 09:00").code == 0
    before = table_dump(db_file)
    started = time.monotonic()
    r = run("advance", "SHA-2026-001", "start_internal_notice", definitions=str(definitions), now="2026-03-02 10:00")
    assert time.monotonic() - started < TIME_BUDGET_SECONDS + 8
    assert r.code == 6, r
    assert "internal_notice_started.j2" in r.err and "时间上限" in r.err
    assert table_dump(db_file) == before
    r = run("definitions", "check", str(definitions), who=None)
    assert r.code == 6, r
    assert "internal_notice_started.j2" in r.err and "时间上限" in r.err


def test_the_time_budget_holds_outside_the_main_thread(tmp_path: Path) -> None:
    """No signals there: a trace function stops a loop that calls nothing."""
    import threading

    (tmp_path / "sha").mkdir()
    (tmp_path / "sha" / "loop.j2").write_text(message(HOSTILE["loops_over_a_string"][0]), encoding="utf-8")
    outcome: list[BaseException | None] = []

    def render() -> None:
        try:
            TemplateSet(tmp_path).render("sha", "loop", {})
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=render)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert isinstance(outcome[0], TemplateError) and "时间上限" in str(outcome[0])
    assert time.monotonic() - started < TIME_BUDGET_SECONDS + 5
