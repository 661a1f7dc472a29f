"""Dry runs leave every row as it was (SQLite and PostgreSQL); irreversible triggers ask first; business
time runs forwards."""

from __future__ import annotations

from tests.fixtures_sha import (
    any_office_fixture,  # noqa: F401 - fixtures
    events,
    office_fixture,  # noqa: F401 - fixtures
)
from tests.helpers import execute_sql, table_dump


def _digest(db: str) -> dict[str, list[tuple[object, ...]]]:
    """The database's content: every row of every table (a dry run must change none)."""
    return table_dump(db)


def test_advance_dry_run_shows_the_step_and_writes_nothing(office):
    ref = office.in_review("2026-05-06 09:00")
    before = _digest(office.db)
    result = office.run("advance", ref, "pass_qualification", "--dry-run", now="2026-05-06 10:00", who="li")
    assert result.code == 0, result
    assert "可以办理“资格审查通过”　资格审查中 → 资格审查结果公示中" in result.out
    assert "将设定定时（资格审查公示期满无异议）" in result.out and "将通知" in result.out
    assert "pass_qualification" not in result.out
    assert _digest(office.db) == before
    assert office.show(ref)["state"] == "qualification_review"


def test_a_refused_dry_run_is_refused_like_the_real_step(office):
    ref = office.in_review("2026-05-06 09:00")
    result = office.run("advance", ref, "reject_qualification", "--dry-run", now="2026-05-06 10:00", who="li")
    assert result.code == 3 and "--comment" in result.err, result


def test_tick_dry_run_to_see_what_happens_changes_nothing(office):
    ref = office.in_notice("2026-05-06 10:00")
    office.engine.db.dispose()
    before = _digest(office.db)
    result = office.run("tick", "--dry-run", now="2028-03-01 09:00", who=None)
    assert result.code == 0, result
    assert "试运行，未写入" in result.out and ref in result.out and "触发 1 个" in result.out
    assert _digest(office.db) == before
    assert office.show(ref)["state"] == "qualification_notice"


def test_round_dry_run_previews_every_case(office):
    a = office.in_review("2026-05-06 09:00")
    b = office.in_review("2026-05-06 09:00")
    office.engine.db.dispose()
    before = _digest(office.db)
    result = office.run("advance", "--round", "sha-2026", "--state", "资格审查中", "资格审查通过", "--dry-run",
                        now="2026-05-07 10:00", who="li")
    assert result.code == 0, result
    assert f"{a}：资格审查中 → 资格审查结果公示中" in result.out and f"{b}：" in result.out
    assert _digest(office.db) == before


def test_ending_a_case_needs_yes_without_a_terminal(office):
    ref = office.in_review("2026-05-06 09:00")
    refused = office.run("advance", ref, "withdraw", "--comment", "申报单位来函撤回", now="2026-05-06 10:00")
    assert refused.code == 2 and "--yes" in refused.err and "已撤回申报" in refused.err, refused
    assert office.show(ref)["state"] == "qualification_review"
    done = office.run("advance", ref, "撤回申报", "--comment", "申报单位来函撤回", "--yes", now="2026-05-06 10:00")
    assert done.code == 0, done
    assert office.show(ref)["state"] == "withdrawn"


def test_an_unknown_trigger_lists_what_is_available_now_nearest_first(office):
    ref = office.in_review("2026-05-06 09:00")
    result = office.run("advance", ref, "pass_qualificaton", now="2026-05-06 10:00", who="li")
    assert result.code == 2, result
    listed = result.err.split("可用（相近的在前）：")[1]
    assert listed.startswith("资格审查通过（pass_qualification）"), listed
    assert "资格审查不通过（reject_qualification）" in listed


def test_a_step_dated_before_the_last_event_is_refused_unless_backdated(office):
    ref = office.in_review("2026-05-06 09:00")
    wrong = office.run("advance", ref, "pass_qualification", now="2026-01-05 10:00", who="li")
    assert wrong.code == 3 and "历史不能倒流" in wrong.err and "--backdate" in wrong.err, wrong
    no_reason = office.run("advance", ref, "pass_qualification", "--backdate", now="2026-05-05 10:00", who="li")
    assert no_reason.code == 2 and "--reason" in no_reason.err
    late = office.run("advance", ref, "pass_qualification", "--backdate", "--reason", "纸质审查表5日已签，今日补录",
                      now="2026-05-05 08:30", who="li")
    assert late.code == 0, late
    step = [e for e in events(office.history(ref), "transition") if e["trigger"] == "pass_qualification"][-1]
    assert step["detail"]["backdated"] == "纸质审查表5日已签，今日补录"
    assert office.run("verify").code == 0


def test_tick_prints_one_timestamped_line_is_quiet_on_request_and_fails_loudly(office):
    ref = office.in_notice("2026-05-06 10:00")
    other = office.in_notice("2026-05-06 10:00")
    nothing = office.run("tick", now="2026-05-07 09:00", who=None)
    assert nothing.code == 0
    assert nothing.out.splitlines() == ["2026-05-07 09:00（实际 " + nothing.out.split("（实际 ")[1].split("）")[0]
                                        + "） 定时处理：触发 0 个，暂缓 0 个，失败 0 个"]
    assert office.run("tick", "--quiet", now="2026-05-07 09:00", who=None).out == ""
    # a timer whose case cannot be loaded any more fails: the line says so and the exit code is not 0
    execute_sql(office.db, "UPDATE cases SET definition_hash='changed' WHERE ref = :ref", {"ref": other})
    failed = office.run("tick", "--quiet", now="2026-05-20 09:00", who=None)
    assert failed.code == 6, failed
    assert "失败 1 个" in failed.out and "触发 1 个" in failed.out and ref in failed.out


def test_dry_run_and_correction_on_each_backend(any_office):
    office = any_office
    ref = office.in_review("2026-05-06 09:00")
    dry = office.run("advance", ref, "pass_qualification", "--dry-run", now="2026-05-06 10:00", who="li")
    assert dry.code == 0 and "将设定定时" in dry.out, dry
    assert office.show(ref)["state"] == "qualification_review" and office.show(ref)["timers"] == []
    assert office.run("advance", ref, "pass_qualification", now="2026-05-06 10:00", who="li").code == 0
    fixed = office.run("case", "correct", ref, "--to", "qualification_review", "--reason", "误操作",
                       now="2026-05-06 11:00")
    assert fixed.code == 0, fixed
    assert office.show(ref)["state"] == "qualification_review"
    assert office.run("verify").code == 0
