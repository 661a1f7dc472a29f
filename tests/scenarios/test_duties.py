"""Duties after an award and records the seeds ask for (issue 14, points 23 and 26), through the CLI.

SHA-38: the district bureau follows each winner for 5 years (a yearly duty it records itself, reminders
to the bureau, overdue notices to the 市审定办). Every test here failed before its change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AwardRunner
from tests.scenarios import test_sha_tracks as tracks
from tests.scenarios.test_sha_refusals import OPENED, ok, refused
from tests.scenarios.test_sqi import mails

AWARDED = "2026-10-20 09:00"


@pytest.fixture
def winner(award: AwardRunner) -> str:
    """A gold-model winner in 浦东新区, commended on 2026-10-20; qian is the 浦东 bureau's officer."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    walk = tracks.to_awarded(award, tracks.ORG_A, "gold_model", commended=AWARDED)
    ok(award("staff", "add", "qian", "--login", "qian", "--role", "district@shanghai", who="admin"))
    return walk.ref


def _file(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 " + name.encode())
    return str(path)


def _letters(award: AwardRunner, ref: str, template: str) -> list[dict]:
    return [r for r in award("outbox", "list", "--case", ref, "--json").json if r["template"] == template]


def test_sha38_the_award_plans_five_yearly_follow_ups_for_the_district(
        award: AwardRunner, winner: str, tmp_path: Path) -> None:
    timers = award("show", winner, "--json").json["timers"]
    follow = [t for t in timers if t["kind"] == "duty" and t["duty"] == "follow_up"]
    assert [(t["index"], t["last_day"], t["rule"]) for t in follow] == [
        (k, f"{2026 + k}-10-20", "SHA-38") for k in range(1, 6)]
    # the district bureau is told of the duty when the award is made, with its dates
    assert [r["recipient"] for r in _letters(award, winner, "district_awarded")] == ["pudong@example.gov.cn"]
    [body] = [b for to, _, b in mails(tmp_path) if to == "pudong@example.gov.cn"]
    assert "第三十八条" in body and "第5次：2031年10月20日前" in body and "--duty 跟踪管理" in body


def test_sha38_only_the_district_bureau_records_a_follow_up_with_its_finding(
        award: AwardRunner, winner: str, tmp_path: Path) -> None:
    record = _file(tmp_path, "跟踪管理记录2027.pdf")
    # the 市审定办 does not record the district's follow-up
    r = award("report", "submit", winner, "--duty", "跟踪管理", "--year", "1", "--file", record,
              "--finding", "持续改进质量管理", now="2027-09-01 09:00")
    refused(r, 3, "SHA-38", "区市场监管部门")
    # the district must say what it found
    r = award("report", "submit", winner, "--year", "1", "--file", record, now="2027-09-01 09:00", who="qian")
    assert r.code == 2 and "--finding" in r.err and "持续改进质量管理" in r.err, r
    r = award("report", "submit", winner, "--year", "1", "--file", record, "--finding", "很好",
              now="2027-09-01 09:00", who="qian")
    assert r.code == 2 and "很好" in r.err, r
    # without --duty, the district's only duty is the follow-up
    r = award("report", "submit", winner, "--year", "1", "--file", record, "--finding", "持续改进质量管理",
              "--comment", "走访座谈，质量管理持续改进", now="2027-09-01 09:00", who="qian")
    ok(r)
    assert "已登记第1次跟踪管理" in r.out and "follow_up" not in r.out, r
    # the district cannot record the winner's own quality report (SHA-33 is the office's to record)
    r = award("report", "submit", winner, "--duty", "质量绩效报告", "--year", "1",
              "--file", _file(tmp_path, "质量绩效报告.pdf"), now="2027-09-01 09:00", who="qian")
    refused(r, 3, "SHA-33")
    # the office still records the quality report without naming the duty (its only one)
    ok(award("report", "submit", winner, "--year", "1", "--file", _file(tmp_path, "质量绩效报告.pdf"),
             now="2027-09-01 09:00"))
    history = award("history", winner, "--json").json["events"]
    recorded = [e for e in history if e["kind"] == "report_submitted"]
    follow = next(e for e in recorded if e["detail"]["duty"] == "follow_up")
    assert (follow["actor"], follow["detail"]["finding"], follow["detail"]["rule"]) == ("qian", "improving", "SHA-38")
    assert follow["comment"] == "走访座谈，质量管理持续改进"
    # the follow-up goes to the 市审定办 (not to the winner); the report to the office and the district
    assert {r["recipient"] for r in _letters(award, winner, "follow_up_recorded")} == {"office@example.gov.cn"}
    assert {r["recipient"] for r in _letters(award, winner, "report_received")} == {
        "office@example.gov.cn", "pudong@example.gov.cn"}


def test_sha38_reminders_go_to_the_district_and_overdue_notices_to_the_office(
        award: AwardRunner, winner: str, tmp_path: Path) -> None:
    ok(award("report", "submit", winner, "--year", "1", "--file", _file(tmp_path, "记录1.pdf"),
             "--finding", "improving", now="2027-09-01 09:00", who="qian"))
    ok(award("tick", now="2027-09-21 00:05", who=None))    # 30 days before the first anniversary: recorded already
    assert _letters(award, winner, "district_follow_up_reminder") == []
    # the first quality report was not sent: its reminder goes to the winner, as before
    assert [r["recipient"] for r in _letters(award, winner, "report_reminder")] == ["applicant@example.com"]
    ok(award("tick", now="2028-09-21 00:05", who=None))    # the second follow-up is not recorded yet
    reminders = _letters(award, winner, "district_follow_up_reminder")
    assert [r["recipient"] for r in reminders] == ["pudong@example.gov.cn"], reminders
    # the district sees its follow-up coming in `award today`; the reviewer does not
    today = award("today", "--days", "30", "--json", now="2028-09-25 09:00", who="qian").json
    assert [(d["case"], d["what"]) for d in today["deadlines"] if d["kind"] == "duty"] == [(winner, "跟踪管理")]
    reviewer = award("today", "--days", "30", "--json", now="2028-09-25 09:00", who="li").json
    assert [d for d in reviewer["deadlines"] if d["kind"] == "duty"] == []
    ok(award("tick", now="2028-10-21 00:05", who=None))    # the second anniversary passed without a record
    overdue = _letters(award, winner, "follow_up_overdue")
    assert [r["recipient"] for r in overdue] == ["office@example.gov.cn"], overdue
    assert [r["recipient"] for r in _letters(award, winner, "district_follow_up_overdue")] == ["pudong@example.gov.cn"]
    today = award("today", "--json", now="2028-10-21 09:00", who="qian").json
    assert [(d["what"], d["rule"]) for d in today["overdue_reports"]] == [("跟踪管理", "SHA-38")]
    # a late record is still taken; it tells the office when the district found grounds for revocation
    r = award("report", "submit", winner, "--year", "2", "--file", _file(tmp_path, "记录2.pdf"), "--finding",
              "发现应撤销奖励的情况，报告市审定办", now="2028-10-25 09:00", who="qian")
    ok(r)
    letters = _letters(award, winner, "follow_up_recorded")
    assert any("应撤销奖励" in r["subject"] for r in letters), letters


def test_sha38_a_revoked_award_ends_the_follow_up(award: AwardRunner, winner: str) -> None:
    ok(award("advance", winner, "revoke_accident", "--yes", "--comment", "2027年发生重大安全事故",
             now="2027-03-01 09:00"))
    timers = award("timers", "list", "--case", winner, "--json").json
    assert {t["status"] for t in timers if t["duty"] == "follow_up"} == {"cancelled"}
