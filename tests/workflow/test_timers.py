"""Durable timers through the CLI: due times by the official calendar, ticks, downtime, races, holds.

Every expected last day below is counted by hand from the State Council's arrangement of the year
(国务院办公厅关于 Y 年部分节假日安排的通知). The qualification notice is "5 working days, the publication
day not counted" (SHA-22, sha.yaml `start_day_counts: false`); the timer is due at 00:00 Asia/Shanghai of
the day after the last counted day.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from award.workflow.store import EventRow
from sqlmodel import select

from tests.fixtures_sha import (  # noqa: F401 - fixtures
    any_office_fixture,
    events,
    iso,
    moment,
    office_fixture,
    sha_definitions,
    shanghai,
)

ELAPSED = "qualification_notice_elapsed"


def tick_json(o, now: str) -> dict:
    result = o.run("tick", "--json", now=now)
    assert result.code == 0, result
    return result.json


HOLIDAYS = [
    pytest.param(
        "2024-02-07 10:00", "2024-02-20",
        # 02-08 Thu 1, 02-09 Fri 2; 02-10..02-17 off (Spring Festival); Sun 02-18 make-up day 3; 02-19 4; 02-20 5
        id="spring_festival_2024_makeup_sunday_after",
    ),
    pytest.param(
        "2024-09-27 16:00", "2024-10-10",
        # Sat 09-28 off; Sun 09-29 make-up day 1; 09-30 2; 10-01..10-07 off (National Day); 10-08 3, 10-09 4, 10-10 5
        id="national_day_2024_makeup_sunday_before",
    ),
    pytest.param(
        "2025-01-27 10:00", "2025-02-10",
        # 01-28..02-04 off (Spring Festival); 02-05 1, 02-06 2, 02-07 3; Sat 02-08 make-up day 4; Sun 02-09 off; 02-10 5
        id="spring_festival_2025_makeup_saturday_after",
    ),
    pytest.param(
        "2025-09-30 17:30", "2025-10-14",
        # 10-01..10-08 off (National Day + Mid-autumn); 10-09 1, 10-10 2; Sat 10-11 make-up day 3; 10-13 4, 10-14 5
        id="national_day_2025_makeup_saturday_after",
    ),
    pytest.param(
        "2026-02-13 10:00", "2026-02-27",
        # Sat 02-14 make-up day 1; 02-15..02-23 off (Spring Festival); 02-24 2, 02-25 3, 02-26 4, 02-27 5
        id="spring_festival_2026_makeup_saturday_before",
    ),
    pytest.param(
        "2026-09-30 09:00", "2026-10-13",
        # 10-01..10-07 off (National Day); 10-08 1, 10-09 2; Sat 10-10 make-up day 3; Sun 10-11 off; 10-12 4, 10-13 5
        id="national_day_2026_makeup_saturday_after",
    ),
]


@pytest.mark.parametrize("published,last_day", HOLIDAYS)
def test_notice_across_a_holiday_is_due_after_five_official_working_days(office, published, last_day):
    ref = office.in_review(published)
    result = office.run("advance", ref, "pass_qualification", now=published, who="li")
    assert result.code == 0, result

    timer = office.timer(ref, ELAPSED)
    due = datetime.fromisoformat(last_day).replace(tzinfo=None) + timedelta(days=1)
    assert timer["last_day"] == last_day
    assert timer["due_at"] == iso(due.strftime("%Y-%m-%d 00:00"))
    assert shanghai(timer["due_at"]) == due.strftime("%Y-%m-%d 00:00")
    assert timer["status"] == "pending" and timer["provisional"] is False

    one_minute_early = shanghai(datetime.fromisoformat(timer["due_at"]) - timedelta(minutes=1))
    assert tick_json(office, one_minute_early) == {"fired": [], "held": [], "failed": []}
    assert office.show(ref)["state"] == "qualification_notice"

    report = tick_json(office, shanghai(timer["due_at"]))
    assert [(f[0], f[1]) for f in report["fired"]] == [(timer["id"], ref)]
    assert report["held"] == [] and report["failed"] == []
    assert office.show(ref)["state"] == "material_review"
    [elapsed] = [e for e in events(office.history(ref), "transition") if e["trigger"] == ELAPSED]
    assert elapsed["business_time"] == timer["due_at"]
    assert elapsed["actor"] == "system" and elapsed["detail"]["timer"] == timer["id"]


# --- a period that runs into a year without official data -------------------------------------------

MADE_UP_2027 = """\
# MADE-UP TEST DATA, NOT THE OFFICIAL 2027 ARRANGEMENT (the State Council had not published it).
# New Year's Day deliberately runs Friday to Monday so that the result differs from any weekday guess.
year: 2027
notice: 测试用虚构数据（非官方）
holidays:
  - {name: 元旦, off: [2027-01-01, 2027-01-04], makeup: [2027-01-09]}
"""


def test_notice_into_an_unknown_year_is_refused_until_the_calendar_file_exists(office, tmp_path):
    ref = office.in_review("2026-12-28 10:00")
    before, history = office.show(ref), office.history(ref)

    refused = office.run("advance", ref, "pass_qualification", now="2026-12-28 10:00", who="li")
    assert refused.code == 6, refused
    assert "2027" in refused.err and "award calendar import" in refused.err and "本次操作未生效" in refused.err
    after = office.show(ref)
    assert (after["state"], after["version"], after["timers"]) == ("qualification_review", before["version"], [])
    assert office.history(ref) == history

    definitions = sha_definitions(tmp_path / "definitions")
    (definitions / "calendars" / "2027.yaml").write_text(MADE_UP_2027, encoding="utf-8")
    check = office.run("definitions", "check", str(definitions), who=None)
    assert check.code == 0, check

    passed = office.run("advance", ref, "pass_qualification", now="2026-12-28 10:00", who="li",
                        definitions=str(definitions))
    assert passed.code == 0, passed
    # 12-29 Tue 1, 12-30 2, 12-31 3; 2027-01-01..01-04 off (made up); 01-05 4, 01-06 5
    shown = office.run("show", ref, "--json", definitions=str(definitions)).json
    [timer] = [t for t in shown["timers"] if t["trigger"] == ELAPSED]
    assert timer["last_day"] == "2027-01-06"
    assert shanghai(timer["due_at"]) == "2027-01-07 00:00"
    assert timer["provisional"] is False


# --- downtime ---------------------------------------------------------------------------------------


def test_tick_after_a_week_of_downtime_fires_everything_due_in_due_order(office):
    # Created in the order a, b, c, so that timer ids run against due times.
    a = office.in_review("2026-03-04 10:00")
    b = office.in_review("2026-03-03 10:00")
    c = office.in_review("2026-03-02 10:00")
    later = office.in_review("2026-03-16 10:00")
    assert office.run("advance", a, "pass_qualification", now="2026-03-04 10:00", who="li").code == 0
    assert office.run("advance", b, "pass_qualification", now="2026-03-03 10:00", who="li").code == 0
    assert office.run("advance", c, "pass_qualification", now="2026-03-02 10:00", who="li").code == 0
    assert office.run("advance", later, "pass_qualification", now="2026-03-16 10:00", who="li").code == 0
    timers = {ref: office.timer(ref, ELAPSED) for ref in (a, b, c, later)}
    assert [shanghai(timers[r]["due_at"]) for r in (c, b, a, later)] == [
        "2026-03-10 00:00", "2026-03-11 00:00", "2026-03-12 00:00", "2026-03-24 00:00"]

    report = tick_json(office, "2026-03-19 08:00")  # the scheduler was down from 03-09 to 03-19

    assert [(f[0], f[1]) for f in report["fired"]] == [(timers[r]["id"], r) for r in (c, b, a)]
    for ref in (c, b, a):
        [elapsed] = [e for e in events(office.history(ref), "transition") if e["trigger"] == ELAPSED]
        assert elapsed["business_time"] == timers[ref]["due_at"]
        assert elapsed["wall_time"] != elapsed["business_time"]
    assert office.show(later)["state"] == "qualification_notice"
    assert tick_json(office, "2026-03-19 08:05")["fired"] == []


# --- two ticks at once ------------------------------------------------------------------------------

N_CONCURRENT = 8


def test_two_concurrent_ticks_fire_each_timer_exactly_once(any_office):
    o = any_office
    refs = [o.in_notice("2026-04-01 10:00") for _ in range(N_CONCURRENT)]
    [timer] = [t for t in o.show(refs[0])["timers"] if t["trigger"] == ELAPSED]
    # 04-02 Thu 1, 04-03 Fri 2; 04-04..04-06 off (Qingming); 04-07 3, 04-08 4, 04-09 5
    assert timer["last_day"] == "2026-04-09"

    runs = o.spawn_together(["--now", "2026-04-10 00:00", "tick", "--json"],
                            ["--now", "2026-04-10 00:00", "tick", "--json"])

    for code, out, err in runs:
        assert code == 0, (out, err)
    reports = [json.loads(out) for _, out, _ in runs]
    fired = [f[1] for r in reports for f in r["fired"]]
    assert sorted(fired) == refs, reports
    assert all(r["failed"] == [] and r["held"] == [] for r in reports), reports
    with o.engine.db.session() as s:
        elapsed = s.exec(select(EventRow).where(EventRow.trigger == ELAPSED)).all()
    assert sorted(o.engine.show(e.case_id).ref for e in elapsed) == refs
    assert all(e.kind == "transition" and e.actor == "system" for e in elapsed)
    assert {c["state"] for c in o.engine.cases(round_id="sha-2026")} == {"material_review"}


# --- a due timer whose guard refuses ----------------------------------------------------------------


def test_due_timer_held_by_an_open_objection_fires_after_dismissal(office):
    ref = office.in_notice("2026-05-06 10:00")
    timer = office.timer(ref, ELAPSED)
    assert shanghai(timer["due_at"]) == "2026-05-13 00:00"  # 05-07, 05-08, Sat 05-09 (make-up day), 05-11, 05-12
    filed = office.run("objection", "file", ref, "--by", "张三", "--contact", "13800000000",
                       "--reason", "申报材料中的获奖证书存疑", now="2026-05-11 15:00")
    assert filed.code == 0, filed

    held = tick_json(office, "2026-05-13 08:00")
    assert held["fired"] == [] and [h[0] for h in held["held"]] == [timer["id"]]
    assert "SHA-32" in held["held"][0][3] or "异议" in held["held"][0][3]
    shown = office.show(ref)
    assert shown["state"] == "qualification_notice" and shown["held"] is True
    [kept] = [t for t in shown["timers"] if t["id"] == timer["id"]]
    assert kept["status"] == "held" and kept["due_at"] == timer["due_at"]  # held, not dropped
    assert tick_json(office, "2026-05-13 09:00") == {"fired": [], "held": [], "failed": []}  # not retried blindly

    [objection] = shown["objections"]
    dismissed = office.run("objection", "resolve", str(objection["id"]), "--dismiss",
                           "--reason", "经核查，证书属实", now="2026-05-14 10:00")
    assert dismissed.code == 0, dismissed
    assert office.timer(ref, ELAPSED)["status"] == "pending"

    fired = tick_json(office, "2026-05-14 10:05")
    assert [(f[0], f[1]) for f in fired["fired"]] == [(timer["id"], ref)]
    assert office.show(ref)["state"] == "material_review"
    history = office.history(ref)
    assert [e["kind"] for e in history[-4:]] == ["objection_filed", "timer_held", "objection_resolved", "transition"]
    assert "异议尚未处理完毕" in history[-3]["comment"]  # the held notice says why, for the office chat
    assert history[-1]["trigger"] == ELAPSED
    # The case moved on when the objection was dismissed; the due time stays on record.
    assert history[-1]["business_time"] == history[-2]["business_time"] == iso("2026-05-14 10:00")
    assert history[-1]["detail"]["due_at"] == timer["due_at"]


# --- yearly duties after the award (SHA-33) and the archive mark (SHA-39) ---------------------------


def test_yearly_reports_reminders_overdue_notice_and_archive_mark(office, tmp_path):
    """SHA-33: a report in each of the 3 years after the award, reminded 30 days before; SHA-39: 10 years."""
    ref = office.in_commendation("2026-05-06 10:00")
    commended = office.run("advance", ref, "commend", "--yes", "--set", "award_document=沪府〔2026〕88号",
                           now="2026-10-20 09:00")
    assert commended.code == 0, commended

    timers = office.show(ref)["timers"]
    duties = [t for t in timers if t["kind"] == "duty" and t["duty"] == "quality_report"]
    reminders = [t for t in timers if t["kind"] == "reminder" and t["duty"] == "quality_report"]
    keep = office.show(ref)["retention"]  # the definition's retention (SHA-39), not a timer of the state
    [archive] = keep["marks"]
    mine = {t["id"] for t in (*duties, *reminders)} | {archive["timer"]}  # the district's follow-up (SHA-38) fires beside them

    def fired(report: dict) -> list:
        return [f for f in report["fired"] if f[0] in mine]
    assert [(t["duty"], t["rule"], t["last_day"], shanghai(t["due_at"])) for t in duties] == [
        ("quality_report", "SHA-33", f"{y}-10-20", f"{y}-10-20 00:00") for y in (2027, 2028, 2029)]
    assert [shanghai(t["due_at"]) for t in reminders] == [f"{y}-09-20 00:00" for y in (2027, 2028, 2029)]
    assert all(t["rule"] == "SHA-33" and t["period"] == "30 days before" for t in reminders)
    # ten whole years from the award, its tenth anniversary included
    assert (keep["rule"], keep["until"], archive["state"], archive["status"]) == ("SHA-39", "2036-10-20", "awarded",
                                                                                 "pending")

    # Year 1: reminded, reported in time, met.
    reminded = tick_json(office, "2027-09-20 00:00")
    assert [(f[0], f[2]) for f in fired(reminded)] == [(reminders[0]["id"], "提醒")]
    report = tmp_path / "质量绩效报告2027.pdf"
    report.write_bytes(b"%PDF-1.4 quality performance report 2027")
    submitted = office.run("report", "submit", ref, "--year", "1", "--file", str(report), now="2027-09-25 10:00")
    assert submitted.code == 0, submitted
    assert "第1次" in submitted.out
    again = office.run("report", "submit", ref, "--year", "1", "--file", str(report), now="2027-09-26 10:00")
    assert again.code == 2 and "已登记过" in again.err, again
    fourth = office.run("report", "submit", ref, "--year", "4", "--file", str(report), now="2027-09-26 10:00")
    assert fourth.code == 2, fourth
    met = tick_json(office, "2027-10-20 00:01")
    assert [f[0] for f in fired(met)] == [duties[0]["id"]]

    # Year 2: no report; overdue, and the office and the district are told.
    overdue = tick_json(office, "2028-10-20 08:00")
    assert [f[0] for f in fired(overdue)] == [reminders[1]["id"], duties[1]["id"]]
    assert "逾期" in fired(overdue)[1][2]
    listed = office.run("timers", "list", "--case", ref, "--status", "overdue", "--json", now="2028-10-20 08:00")
    assert {t["id"]: t["status"] for t in listed.json}[duties[1]["id"]] == "overdue", listed  # on record as such

    history = office.history(ref)
    [submitted_event] = events(history, "report_submitted")
    assert submitted_event["detail"]["index"] == 1 and submitted_event["detail"]["file"] == report.name
    [met_event] = [e for e in events(history, "duty_met") if e["detail"]["duty"] == "quality_report"]
    assert (met_event["detail"]["index"], met_event["business_time"]) == (1, duties[0]["due_at"])
    [overdue_event] = [e for e in events(history, "duty_overdue") if e["detail"]["duty"] == "quality_report"]
    assert (overdue_event["detail"]["index"], overdue_event["business_time"]) == (2, duties[1]["due_at"])
    assert overdue_event["detail"]["rule"] == "SHA-33"
    assert [e["detail"]["index"] for e in events(history, "reminder") if e["detail"]["duty"] == "quality_report"] == [1, 2]

    rows = office.run("outbox", "list", "--case", ref, "--json").json
    late = [r for r in rows if r["template"] in ("report_overdue", "district_report_overdue")]
    assert sorted((r["role"], r["template"], r["recipient"]) for r in late) == [
        ("district", "district_report_overdue", "pudong@example.gov.cn"),
        ("office", "report_overdue", "office@example.gov.cn")]
    assert all("质量绩效报告逾期未交" in r["subject"] for r in late)
    assert [r["recipient"] for r in rows if r["template"] == "report_reminder"] == ["applicant@example.com"] * 2

    # Year 3: reported early, so nobody is reminded; ten years on the archive period (SHA-39) is marked.
    early = office.run("report", "submit", ref, "--year", "3", "--file", str(report), now="2029-08-01 10:00")
    assert early.code == 0, early
    final = tick_json(office, "2036-10-21 00:00")
    assert [(f[0], f[2]) for f in fired(final)] == [
        (reminders[2]["id"], "无需提醒（已提交）"), (duties[2]["id"], "第3次质量绩效报告已按时登记"),
        (archive["timer"], "申报评审材料保存期满")]
    quality = [e for e in office.history(ref) if e["detail"].get("duty") == "quality_report"]
    assert [e["detail"]["index"] for e in events(quality, "reminder")] == [1, 2]
    assert [e["detail"]["index"] for e in events(quality, "duty_met")] == [1, 3]
    [marked] = events(office.history(ref), "marked")
    assert marked["detail"] == {"mark": "retention", "rule": "SHA-39", "period": "10年"}
    assert shanghai(marked["business_time"]) == "2036-10-21 00:00"
    assert office.show(ref)["timers"] == []
    assert office.show(ref)["retention"]["marks"][0]["status"] == "fired"
    assert office.show(ref)["state"] == "awarded"
