"""Every growing list is read a page at a time (`--limit`, `--offset`): the page, not the office, sets the cost."""

from __future__ import annotations

import json

from award.workflow.registers.identity import uscc_check_character

from tests.conftest import AwardRunner

CODES = [f"91310000MA1FL1G{i:02d}" + uscc_check_character(f"91310000MA1FL1G{i:02d}") for i in range(3)]


def _office(award: AwardRunner) -> None:
    assert award("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    for i, code in enumerate(CODES):
        r = award("party", "add", "--kind", "organization", "--name", f"上海第{i}质量有限公司", "--code", code,
                  "--registered-on", "2015-06-01", now="2026-03-02 09:00")
        assert r.code == 0, r
    for n, code in enumerate(CODES[:2], start=1):
        r = award("case", "new", "--party", code, "--round", "sha-2026", "--track", "gold_model",
                  now="2026-03-02 09:00")
        assert r.code == 0, r
        r = award("advance", f"SHA-2026-00{n}", "start_internal_notice", now="2026-03-02 09:10")
        assert r.code == 0, r


def test_party_list_pages(award: AwardRunner) -> None:
    _office(award)
    first = award("party", "list", "--limit", "2", "--json")
    assert first.code == 0 and len(json.loads(first.out)) == 2
    assert "只显示第 1–2 个；下一页：--offset 2" in first.err
    rest = award("party", "list", "--limit", "2", "--offset", "2", "--json")
    assert [p["code"] for p in json.loads(rest.out)] == [CODES[2]] and rest.err == ""


def test_history_and_timers_pages(award: AwardRunner) -> None:
    _office(award)
    ref = "SHA-2026-001"
    whole = json.loads(award("history", ref, "--json").out)["events"]
    assert [e["seq"] for e in whole] == [1, 2]
    first = award("history", ref, "--json", "--limit", "1")
    assert [e["seq"] for e in json.loads(first.out)["events"]] == [1]
    assert "只显示第 1–1 条；下一页：--offset 1" in first.err
    last = award("history", ref, "--json", "--limit", "1", "--offset", "1")
    assert [e["seq"] for e in json.loads(last.out)["events"]] == [2] and last.err == ""
    timers = json.loads(award("timers", "list", "--json").out)
    assert len(timers) >= 2
    one = award("timers", "list", "--json", "--limit", "1")
    assert json.loads(one.out) == timers[:1]
    assert "下一页：--offset 1" in one.err


def test_a_page_size_out_of_range_is_a_usage_error(award: AwardRunner) -> None:
    for args in (("party", "list", "--limit", "0"), ("history", "SHA-2026-001", "--offset", "-1"),
                 ("outbox", "list", "--limit", "x"), ("objection", "list", "--limit", "100001")):
        r = award(*args)
        assert r.code == 2 and ("--limit" in r.err or "--offset" in r.err), r
