"""Definition loading: every mistake in a definition file is reported with its file and line (exit 6).

Each test copies the bundled `definitions/` folder, edits `sha.yaml` as text and runs
`award definitions check PATH`; the expected line is found in the edited text, so the tests
follow the file as it grows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from award.workflow.specs.loader import bundled_definitions

from tests.conftest import make_runner


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the bundled definitions."""
    target = tmp_path / "definitions"
    shutil.copytree(bundled_definitions(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.fixture
def run(tmp_path: Path):
    return make_runner(str(tmp_path / "award.db"), tmp_path)


def edit(folder: Path, old: str, new: str) -> str:
    """Replace the one occurrence of `old` in sha.yaml; returns the new text."""
    path = folder / "sha.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in sha.yaml"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the one line holding `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def check(run, folder: Path):
    return run("definitions", "check", str(folder), who=None)


def problem(r, folder: Path, line: int, *reasons: str) -> None:
    """exit 6 and a problem line `.../sha.yaml:LINE: ...` holding every reason."""
    assert r.code == 6, r
    assert "Traceback" not in r.err, r
    prefix = f"{folder / 'sha.yaml'}:{line}: "
    lines = [x for x in r.err.splitlines() if x.startswith(prefix)]
    assert any(all(reason in x for reason in reasons) for x in lines), (prefix, reasons, r.err)


PROPOSE = "  - trigger: propose\n    label: 列入获奖建议名单，提请市审定委审议\n    source: evaluated\n    dest: committee_review\n"


def test_bundled_copy_is_clean(run, folder: Path) -> None:
    r = check(run, folder)
    assert r.code == 0, r
    assert "全部检查通过" in r.out


def test_unknown_dest_state(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE.replace("dest: committee_review", "dest: committee_reveiw"))
    problem(check(run, folder), folder, line_of(text, "dest: committee_reveiw"),
            "触发 'propose' 的目标状态 'committee_reveiw' 未定义")


def test_unreachable_state(run, folder: Path) -> None:
    revoked = "  - {name: revoked, label: 奖励已撤销, final: true}\n"
    text = edit(folder, revoked, revoked + "  - {name: archived, label: 已归档, final: true}\n")
    problem(check(run, folder), folder, line_of(text, "name: archived"), "状态 'archived' 从任何开始状态都无法到达")


def test_state_without_a_way_out(run, folder: Path) -> None:
    text = edit(folder, "  - {name: evaluated, label: 综合评价完成，待提出获奖建议名单}\n",
                "  - {name: evaluated, label: 综合评价完成，待提出获奖建议名单}\n  - {name: limbo, label: 搁置}\n")
    text = edit(folder, "    source: site_review\n    dest: evaluation\n", "    source: site_review\n    dest: limbo\n")
    r = check(run, folder)
    problem(r, folder, line_of(text, "name: limbo"), "状态 'limbo' 不是终止状态，却没有任何触发可以离开")


NO_BAR = "      - {check: no_bar, rule: SHA-35}\n  - trigger: pass_qualification\n"


@pytest.mark.parametrize(
    ("guard", "reason"),
    [
        pytest.param("no_barr", "未注册的守卫条件 'no_barr'；可用：", id="misspelt_guard"),
        pytest.param("os.system", "未注册的守卫条件 'os.system'；可用：", id="dotted_path_os_system"),
        pytest.param("award.workflow.guards.no_bar", "未注册的守卫条件 'award.workflow.guards.no_bar'", id="dotted_path_to_a_real_guard"),
    ],
)
def test_unknown_guard(run, folder: Path, guard: str, reason: str) -> None:
    text = edit(folder, NO_BAR, NO_BAR.replace("check: no_bar", f"check: {guard}"))
    r = check(run, folder)
    problem(r, folder, line_of(text, f"check: {guard},"), reason)
    assert "no_bar" in r.err.split("可用：", 1)[1]  # the registered names are listed


def test_dotted_path_effect(run, folder: Path) -> None:
    text = edit(folder, "      - {effect: record_award}\n", "      - {effect: os.system}\n")
    problem(check(run, folder), folder, line_of(text, "effect: os.system"), "未注册的效果 'os.system'；可用：")


@pytest.mark.parametrize(
    ("old", "new", "reasons"),
    [
        pytest.param("at_least: 5, when: {category: achievement", "at_leest: 5, when: {category: achievement",
                     ["守卫条件 years_since 没有参数 'at_leest'", "守卫条件 years_since 缺少参数 'at_least'"],
                     id="misspelt_parameter"),
        pytest.param("at_least: 5, when: {category: achievement", "at_least: five, when: {category: achievement",
                     ["守卫条件 years_since 的参数 at_least"], id="parameter_not_a_number"),
        pytest.param("at_least: 5, when: {category: achievement", "at_least: 0, when: {category: achievement",
                     ["守卫条件 years_since 的参数 at_least"], id="parameter_out_of_range"),
    ],
)
def test_wrong_guard_parameter(run, folder: Path, old: str, new: str, reasons: list[str]) -> None:
    text = edit(folder, old, new)
    r = check(run, folder)
    for reason in reasons:
        problem(r, folder, line_of(text, new), reason)


def test_duplicate_key(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE.replace("    source:", "    label: 重复\n    source:"))
    problem(check(run, folder), folder, line_of(text, "label: 重复"), "YAML 格式错误", "重复的键（duplicate key）",
            '"label"')


def test_transition_without_source(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE.replace("source: evaluated", "source: []"))
    r = check(run, folder)
    problem(r, folder, line_of(text, "source: []"), "触发 'propose' 没有来源状态（source）")
    problem(r, folder, line_of(text, "{name: committee_review,"), "状态 'committee_review' 从任何开始状态都无法到达")


def test_rule_not_in_the_catalogue(run, folder: Path) -> None:
    old = "    roles: [office]\n    rule: SHA-26\n  - trigger: not_proposed\n"
    text = edit(folder, old, old.replace("SHA-26", "SHA-99"))
    problem(check(run, folder), folder, line_of(text, "rule: SHA-99"), "规则编号 'SHA-99' 不在规则目录 rules.yaml 中")


def test_rule_of_a_guard_not_in_the_catalogue(run, folder: Path) -> None:
    text = edit(folder, NO_BAR, NO_BAR.replace("SHA-35", "SHA-350"))
    problem(check(run, folder), folder, line_of(text, "SHA-350"), "规则编号 'SHA-350' 不在规则目录 rules.yaml 中")


def test_misspelt_key(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE.replace("    label:", "    lable:"))
    r = check(run, folder)
    problem(r, folder, line_of(text, "lable:"), "未知的键", "lable", "（拼写错误？）")
    problem(r, folder, line_of(text, "trigger: propose"), "缺少必填的键", "label")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        pytest.param("dest: committee_review", "dest: off", "触发 'propose' 的目标状态 'off' 未定义", id="dest_off"),
        pytest.param("source: evaluated", "source: no", "触发 'propose' 的来源状态 'no' 未定义", id="source_no"),
        pytest.param("dest: committee_review", "dest: yes", "触发 'propose' 的目标状态 'yes' 未定义", id="dest_yes"),
    ],
)
def test_yaml_1_2_keeps_no_and_off_as_strings(run, folder: Path, old: str, new: str, reason: str) -> None:
    """YAML 1.1 would read `no`/`off`/`yes` as booleans; YAML 1.2 keeps them as the strings written."""
    text = edit(folder, PROPOSE, PROPOSE.replace(old, new))
    problem(check(run, folder), folder, line_of(text, new), reason)


def test_yaml_syntax_error(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE.replace("dest: committee_review", "dest: [committee_review"))
    r = check(run, folder)
    assert r.code == 6, r
    assert f"{folder / 'sha.yaml'}:" in r.err and "YAML 格式错误" in r.err, r
    assert line_of(text, "dest: [committee_review") > 0


def test_every_problem_is_reported_at_once(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE.replace("dest: committee_review", "dest: committee_reveiw"))
    text = edit(folder, NO_BAR, NO_BAR.replace("check: no_bar", "check: os.system"))
    r = check(run, folder)
    problem(r, folder, line_of(text, "committee_reveiw"), "未定义")
    problem(r, folder, line_of(text, "os.system"), "未注册的守卫条件")


def test_broken_definitions_stop_every_command(run, folder: Path) -> None:
    edit(folder, NO_BAR, NO_BAR.replace("check: no_bar", "check: os.system"))
    assert run("init", who=None, definitions=str(folder)).code == 6
    r = run("cases", who=None, definitions=str(folder))
    assert r.code == 6, r
    assert "流程定义有误" in r.err and "未注册的守卫条件 'os.system'" in r.err, r


# ------------------------------------------------------------- content changed, version not


def test_definition_changed_under_a_running_case(award, folder: Path) -> None:
    ok = award("round", "open", "sha", "2026", now="2026-03-02 09:00", definitions=str(folder))
    assert ok.code == 0, ok
    ok = award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司",
               "--code", "91310000MA1FL1GF94", "--registered-on", "2015-06-01", definitions=str(folder))
    assert ok.code == 0, ok
    new = award("case", "new", "--party", "91310000MA1FL1GF94", "--round", "sha-2026", "--track", "gold_model",
                now="2026-03-02 09:00", definitions=str(folder))
    assert new.code == 0, new
    original = (folder / "sha.yaml").read_text(encoding="utf-8")
    edit(folder, "{name: draft, label: 填报申报材料}", "{name: draft, label: 填写申报材料}")

    r = award("show", "SHA-2026-001", definitions=str(folder))
    assert r.code == 6, r
    assert "流程定义 sha 版本 2022.2 的内容已被修改，但版本号未变；案件 SHA-2026-001 正按原内容办理" in r.err, r
    assert "把修改另存为新版本（改 version）" in r.err, r
    r = award("advance", "SHA-2026-001", "start_internal_notice", definitions=str(folder))
    assert r.code == 6 and "版本号未变" in r.err, r

    # The fix the message asks for: restore the file, save the change as a new version beside it.
    changed = (folder / "sha.yaml").read_text(encoding="utf-8").replace('version: "2022.2"', 'version: "2022.3"')
    (folder / "sha.yaml").write_text(original, encoding="utf-8")
    (folder / "sha-2022.3.yaml").write_text(changed, encoding="utf-8")
    r = award("show", "SHA-2026-001", "--json", definitions=str(folder))
    assert r.code == 0, r
    assert (r.json["definition_version"], r.json["state_label"]) == ("2022.2", "填报申报材料")
    ok = award("party", "add", "--kind", "organization", "--name", "上海乙精密制造有限公司",
               "--code", "91310115MA1H7GQX5D", "--registered-on", "2008-04-10", definitions=str(folder))
    assert ok.code == 0, ok
    r = award("case", "new", "--party", "91310115MA1H7GQX5D", "--round", "sha-2026", "--track", "gold_model",
              "--json", now="2026-03-02 09:00", definitions=str(folder))
    assert r.code == 0, r
    assert (r.json["definition_version"], r.json["state_label"]) == ("2022.3", "填写申报材料")
