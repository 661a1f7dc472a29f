"""`award definitions check` never falls over: every malformed definition, template or calendar file
gives a clean error (exit 6) with its file and line, in bounded time.

Each test copies the bundled definitions, breaks one thing the way a probe of 333 mutations did
(issue 8, point 6), and expects a Chinese message naming the file, the line and what to fix:
no traceback, no hang, nothing accepted silently.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from award.workflow.specs.loader import bundled_definitions

from tests.conftest import make_runner
from tests.workflow.test_loader import edit, line_of, problem

SECONDS = 20  # far above what a clean check takes on a loaded machine; a hang is minutes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the bundled definitions."""
    target = tmp_path / "definitions"
    shutil.copytree(bundled_definitions(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.fixture
def run(tmp_path: Path):
    return make_runner(str(tmp_path / "award.db"), tmp_path)


def check(run, folder: Path):
    started = time.monotonic()
    r = run("definitions", "check", str(folder), who=None)
    assert time.monotonic() - started < SECONDS, "the check took too long"
    assert "Traceback" not in r.err + r.out, r
    return r


def sha(folder: Path) -> Path:
    return folder / "sha.yaml"


ANY_OF = "          - {check: years_since, field: quality_work_since, at_least: 10}\n"
WITHDRAW = "  - trigger: withdraw\n    label: 撤回申报\n"
PROPOSE = "  - trigger: propose\n    label: 列入获奖建议名单，提请市审定委审议\n    source: evaluated\n    dest: committee_review\n"


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        pytest.param("          - {check: years_since, field: quality_work_since, at_least: [10]}\n",
                     "守卫条件 years_since 的参数 at_least", id="wrong_type"),
        pytest.param("          - {check: [years_since], field: quality_work_since, at_least: 10}\n",
                     "check", id="check_not_a_name"),
        pytest.param("          - {check: years_since, field: quality_work_since, at_least: 10, when: 5}\n",
                     "when", id="when_not_a_mapping"),
        pytest.param("          - [years_since]\n", "any 的每一项须是守卫条件", id="item_not_a_mapping"),
    ],
)
def test_nested_any_of_with_a_wrong_type(run, folder: Path, new: str, reason: str) -> None:
    text = edit(folder, ANY_OF, new)
    problem(check(run, folder), folder, line_of(text, new.strip()), reason)


def test_any_of_whose_any_is_not_a_list(run, folder: Path) -> None:
    old = "        any:\n          - {check: years_since, field: quality_work_since, at_least: 10}\n" \
          "          - {check: declared, field: long_term_research, equals: true}\n"
    text = edit(folder, old, "        any: 5\n")
    problem(check(run, folder), folder, line_of(text, "any: 5"), "any")


def test_no_states(run, folder: Path) -> None:
    text = sha(folder).read_text(encoding="utf-8")
    start, end = text.index("\nstates:\n") + 1, text.index("\ntransitions:\n") + 1
    sha(folder).write_text(text[:start] + "states: []\n" + text[end:], encoding="utf-8")
    r = check(run, folder)
    problem(r, folder, line_of(sha(folder).read_text(encoding="utf-8"), "states: []"), "states")


def test_deep_nesting(run, folder: Path) -> None:
    edit(folder, "\nroles:\n", "\ndeep: " + "[" * 5000 + "]" * 5000 + "\nroles:\n")
    r = check(run, folder)
    assert r.code == 6, r
    assert f"{sha(folder)}:" in r.err and "嵌套" in r.err, r


def test_a_5000_digit_integer(run, folder: Path) -> None:
    text = edit(folder, "years: 5, rule: SHA-18}\n      - {check: no_bar", "years: " + "9" * 5000
                + ", rule: SHA-18}\n  - {check: no_bar")
    problem(check(run, folder), folder, line_of(text, "9" * 5000), "数字")


def test_a_template_with_invalid_utf8(run, folder: Path) -> None:
    template = folder / "templates" / "sha" / "application_received.j2"
    data = template.read_bytes()
    template.write_bytes(data + b"\n\xff\xfe broken\n")
    r = check(run, folder)
    assert r.code == 6, r
    line = data.count(b"\n") + 2
    assert f"{template}:{line}: " in r.err and "UTF-8" in r.err, r


def test_a_billion_laughs_alias_bomb(run, folder: Path) -> None:
    bomb = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"lol{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    edit(folder, "roles:\n  office: 市审定办\n", bomb + "roles:\n  office: 市审定办\n")
    r = check(run, folder)
    assert r.code == 6, r
    assert f"{sha(folder)}:" in r.err and "别名" in r.err, r


def test_a_20_mb_comment(run, folder: Path) -> None:
    edit(folder, "roles:\n  office: 市审定办\n", "# " + "注" * (7 * 1024 * 1024) + "\nroles:\n  office: 市审定办\n")
    r = check(run, folder)
    assert r.code == 6, r
    assert f"{sha(folder)}:" in r.err and "文件过大" in r.err, r


def _many(folder: Path, states: int, transitions: int) -> None:
    text = sha(folder).read_text(encoding="utf-8")
    extra_states = "".join(f"  - {{name: s{i}, label: 状态{i}}}\n" for i in range(states))
    extra_moves = "".join(f"  - {{trigger: t{i}, label: 触发{i}, source: draft, dest: draft, roles: [office], "
                          f"rule: SHA-20}}\n" for i in range(transitions))
    text = text.replace("\nstates:\n", "\nstates:\n" + extra_states, 1)
    text = text.replace("\ntransitions:\n", "\ntransitions:\n" + extra_moves, 1)
    sha(folder).write_text(text, encoding="utf-8")


def test_100_000_states(run, folder: Path) -> None:
    _many(folder, 100_000, 0)
    r = check(run, folder)
    assert r.code == 6, r
    assert f"{sha(folder)}:" in r.err, r


def test_20_000_transitions(run, folder: Path) -> None:
    _many(folder, 0, 20_000)
    r = check(run, folder)
    assert r.code == 6, r
    assert f"{sha(folder)}:" in r.err, r


def test_too_many_states_in_a_small_file(run, folder: Path) -> None:
    """Under the size limit the counts are still bounded, with the line of `states`."""
    _many(folder, 600, 0)
    text = sha(folder).read_text(encoding="utf-8")
    line = text[:text.index("\nstates:\n") + 1].count("\n") + 1
    problem(check(run, folder), folder, line, "states", "最多 500 项")


def test_a_deleted_rule_on_a_transition(run, folder: Path) -> None:
    old = "    roles: [office]\n    rule: SHA-26\n  - trigger: not_proposed\n"
    text = edit(folder, old, "    roles: [office]\n  - trigger: not_proposed\n")
    problem(check(run, folder), folder, line_of(text, "trigger: propose"), "触发 'propose' 没有写明所依据的规则")


def test_a_transition_may_say_that_no_rule_governs_it(run, folder: Path) -> None:
    r = check(run, folder)
    assert r.code == 0, r  # the bundled `withdraw` moves say `rule: ~` on purpose
    assert "rule: ~" in sha(folder).read_text(encoding="utf-8").split(WITHDRAW, 1)[1].split("- trigger:", 1)[0]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("years: 5, rule: SHA-18}\n      - {check: no_bar", "years: -5, rule: SHA-18}\n      - {check: no_bar",
                     id="years_negative"),
        pytest.param("years: 5, rule: SHA-18}\n      - {check: no_bar",
                     "years: 100000000000000000000, rule: SHA-18}\n      - {check: no_bar", id="years_1e20"),
        pytest.param("at_least: 5, when: {category: achievement", "at_least: 100000000000000000000, when: "
                     "{category: achievement", id="at_least_1e20"),
        pytest.param("min_years: 3, when", "min_years: -5, when", id="min_years_negative"),
        pytest.param("{effect: revoke_award, bar_years: 5, rule: SHA-35",
                     "{effect: revoke_award, bar_years: -5, rule: SHA-35", id="effect_bar_years_negative"),
        pytest.param("{effect: revoke_award, bar_years: 5, rule: SHA-36",
                     "{effect: revoke_award, bar_years: 100000000000000000000, rule: SHA-36", id="effect_bar_years_1e20"),
    ],
)
def test_parameters_out_of_range(run, folder: Path, old: str, new: str) -> None:
    text = edit(folder, old, new)
    value = new.split(": ", 2)[1].split(",")[0] if "bar_years" not in new else new.split("bar_years: ")[1].split(",")[0]
    r = check(run, folder)
    problem(r, folder, line_of(text, new.split("\n")[0]), value)


def test_a_quota_of_10_to_the_20(run, folder: Path) -> None:
    text = edit(folder, "max: 4, rule: SHA-3", "max: 100000000000000000000, rule: SHA-3")
    problem(check(run, folder), folder, line_of(text, "max: 100000000000000000000"), "max")


@pytest.mark.parametrize("period", ["100000000000000000000 days", "99999999 working days", "yearly for 5000 years"])
def test_a_timer_of_a_huge_period(run, folder: Path, period: str) -> None:
    old = "{after: 5 working days, trigger: internal_notice_elapsed" if "yearly" not in period \
        else "every: yearly for 3 years"
    new = f"{{after: {period}, trigger: internal_notice_elapsed" if "yearly" not in period else f"every: {period}"
    text = edit(folder, old, new)
    problem(check(run, folder), folder, line_of(text, period), "期限过长")


def test_an_empty_guards_list(run, folder: Path) -> None:
    text = edit(folder, PROPOSE, PROPOSE + "    guards: []\n")
    problem(check(run, folder), folder, line_of(text, "guards: []"), "guards 是空列表")


def test_a_misspelt_on_events_key_with_an_unknown_recipient(run, folder: Path) -> None:
    text = edit(folder, "  objection_filed:\n    - {to: {office: objection_filed}}\n",
                "  objection_filled:\n    - {to: {offise: objection_filed}}\n")
    r = check(run, folder)
    problem(r, folder, line_of(text, "objection_filled"), "on_events 的事件 'objection_filled' 不存在", "objection_filed")
    problem(r, folder, line_of(text, "offise"), "通知对象 'offise' 未在 recipients 中定义")


def test_an_unknown_recipient_of_a_start(run, folder: Path) -> None:
    text = sha(folder).read_text(encoding="utf-8")
    marker = "\nstarts:\n"
    assert marker in text
    head, tail = text.split(marker, 1)
    first, rest = tail.split("\n", 1)
    sha(folder).write_text(head + marker + first + "\n    notify: [{to: [nobody], template: application_received}]\n"
                           + rest, encoding="utf-8")
    r = check(run, folder)
    problem(r, folder, line_of(sha(folder).read_text(encoding="utf-8"), "to: [nobody]"),
            "通知对象 'nobody' 未在 recipients 中定义")


def test_a_calendar_file_with_invalid_utf8(run, folder: Path) -> None:
    calendar = next((folder / "calendars").glob("*.yaml"), None)
    if calendar is None:
        pytest.skip("no calendar file bundled")
    data = calendar.read_bytes()
    calendar.write_bytes(data + b"\n# \xff\n")
    r = check(run, folder)
    assert r.code == 6, r
    assert f"calendars/{calendar.name}:" in r.err and "UTF-8" in r.err, r


def test_the_event_kinds_on_events_may_name_are_declared_kinds() -> None:
    """One vocabulary: the notifiable kinds (with their labels) are members of `EventKind`."""
    from award.workflow.kinds import NOTED_EVENTS
    from award.workflow.specs.check_notify import EVENT_KINDS

    assert set(EVENT_KINDS) <= {str(k) for k in NOTED_EVENTS}
