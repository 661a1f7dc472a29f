"""`award today`, `award objection list` and the `cases` filters: finding things by what people remember."""

from __future__ import annotations

from tests.fixtures_sha import office_fixture  # noqa: F401 - fixtures


def test_today_lists_deadlines_held_timers_objections_failures_and_waiting_cases(office):
    noticed = office.in_notice("2026-05-06 10:00")
    waiting = office.in_review("2026-05-06 09:00")
    office.at("2026-05-07 09:00")
    filed = office.run("objection", "file", noticed, "--by", "张三", "--contact", "13800000000", "--reason", "材料不实",
                       now="2026-05-07 09:00")
    assert filed.code == 0, filed
    shown = office.run("today", "--days", "10", now="2026-05-08 09:00")
    assert shown.code == 0, shown
    out = shown.out
    assert "近期届满的期限" in out and "资格审查公示期满" in out
    assert "未处理的异议" in out and "张三" in out
    assert "等待您办理的案件" in out and waiting in out
    for english in ("pending", "held", "open", "qualification", "office"):
        assert english not in out, english
    as_json = office.run("today", "--json", now="2026-05-08 09:00").json
    assert [o["case"] for o in as_json["objections"]] == [noticed]
    assert waiting in [w["case"] for w in as_json["waiting"]]
    # the reviewer sees the case waiting for review, not the office's objections
    reviewer = office.run("today", "--json", now="2026-05-08 09:00", who="li").json
    assert reviewer["objections"] == [] and waiting in [w["case"] for w in reviewer["waiting"]]
    # after the notice's end the timer is held by the open objection, and today says why
    office.tick("2026-05-20 09:00")
    later = office.run("today", "--json", now="2026-05-20 10:00").json
    assert [h["case"] for h in later["held"]] == [noticed] and later["held"][0]["note"]


def test_objection_list_filters_by_status_and_round(office):
    a = office.in_notice("2026-05-06 10:00")
    office.at("2026-05-07 09:00")
    assert office.run("objection", "file", a, "--by", "张三", "--contact", "1", "--reason", "材料不实",
                      now="2026-05-07 09:00").code == 0
    listed = office.run("objection", "list", "--status", "open", "--round", "sha-2026", "--json").json
    assert [(o["ref"], o["status"], o["filed_by"]) for o in listed] == [(a, "open", "张三")]
    assert office.run("objection", "list", "--status", "dismissed", "--json").json == []
    table = office.run("objection", "list")
    assert table.code == 0 and "张三" in table.out


def test_cases_filters_and_did_you_mean(office):
    first = office.in_review("2026-05-06 09:00")
    second = office.in_notice("2026-05-06 10:00")

    def refs(*argv):
        result = office.run("cases", *argv, "--json")
        assert result.code == 0, result
        return [r["ref"] for r in result.json]

    assert refs("--state", "资格审查中") == [first]
    assert refs("--state", "qualification_notice") == [second]
    assert refs("--state", "资格审查结果") == [second]  # part of a label
    several = office.run("cases", "--state", "公示")  # part of several labels: which one?
    assert several.code == 4 and "资格审查结果公示中（qualification_notice）" in several.err
    assert refs("--name", "第1质量") == [first]
    assert refs("--track", "上海市质量金奖·先进质量管理模式") == [first, second]
    assert refs("--due-within", "10") == [second]
    assert refs("--entered-after", "2026-05-06") == [second]
    assert refs("--entered-before", "2026-05-06") == [first]
    party = office.show(first)["party"]["code"]
    assert refs("--party", party) == [first]
    typo = office.run("cases", "--round", "sha-2062")
    assert typo.code == 4 and "您是否要找：sha-2026" in typo.err
    state = office.run("cases", "--state", "资格审核中")
    assert state.code == 4 and "资格审查中" in state.err
    procedure = office.run("cases", "--procedure", "shaa")
    assert procedure.code == 4 and "sha" in procedure.err


def test_tables_fit_an_80_column_terminal_and_never_fold_a_case_number(office, monkeypatch):
    ref = office.in_review("2026-05-06 09:00")
    monkeypatch.setenv("COLUMNS", "80")
    narrow = office.run("cases")
    assert narrow.code == 0
    assert max(len(line) for line in narrow.out.splitlines()) <= 80
    assert ref in narrow.out
    monkeypatch.setenv("COLUMNS", "200")
    wide = office.run("history", ref)
    assert wide.code == 0 and max(len(line) for line in wide.out.splitlines()) > 80


def test_a_typo_in_a_round_to_advance_says_what_was_meant(office):
    office.in_review("2026-05-06 09:00")
    result = office.run("advance", "--round", "sha-2062", "--state", "资格审查中", "pass_qualification",
                        now="2026-05-07 09:00", who="li")
    assert result.code == 4 and "您是否要找：sha-2026" in result.err, result


def test_today_at_the_end_of_a_year_without_next_years_calendar_still_answers(office):
    ref = office.in_review("2026-12-21 09:00")
    result = office.run("today", now="2026-12-28 09:00")
    assert result.code == 0, result
    assert "暂按 7 个自然日估算" in result.out and "2027" in result.out and ref in result.out
