"""Deadlines follow the data: importing 2027 recomputes provisional due times and re-arms blocked timers.

The bundled data end with 2026, so a 5-working-day notice published on 2026-12-24 is due after
12-25, 12-28, 12-29, 12-30 and 12-31: provisional, since the 2027 notice may move late-December days.
The 2027 arrangement below is MADE-UP TEST DATA, not the official one (not yet published when this was
written): it makes Thursday 2026-12-31 a New Year holiday so that the due time moves. The office
imports the real notice with `award calendar import` when the State Council publishes it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from award.cli import Settings, build_engine

from tests.conftest import make_runner
from tests.fixtures_sha import (  # noqa: F401
    STAFF,
    Office,
    any_office_fixture,
    events,
    moment,
    office_fixture,
    sha_definitions,
    shanghai,
)

MADE_UP_2027 = """国务院办公厅关于2027年部分节假日安排的通知（测试用虚构文本，非官方）
　　一、元旦：2026年12月31日（周四）至2027年1月3日（周日）放假调休，共4天。1月9日（周六）上班。
"""
ELAPSED = "qualification_notice_elapsed"


def instant(text: str) -> datetime:
    """An ISO time as an aware datetime, whatever offset it was written with."""
    return datetime.fromisoformat(text)


@pytest.fixture
def notice_2027(tmp_path: Path) -> Path:
    path = tmp_path / "2027年节假日安排.txt"
    path.write_text(MADE_UP_2027, encoding="utf-8")
    return path


def test_a_provisional_due_time_is_recomputed_when_2027_is_imported(any_office, notice_2027):
    office = any_office
    ref = office.in_review("2026-12-24 10:00")
    assert office.run("advance", ref, "pass_qualification", now="2026-12-24 10:00", who="li").code == 0
    timer = office.timer(ref, ELAPSED)
    assert (timer["last_day"], shanghai(timer["due_at"]), timer["provisional"]) == ("2026-12-31", "2027-01-01 00:00", True)
    waiting = office.run("timers", "list", "--provisional", "--json").json
    assert [t["id"] for t in waiting] == [timer["id"]]

    imported = office.run("calendar", "import", str(notice_2027), "--yes", now="2026-12-26 15:00")
    assert imported.code == 0, imported
    assert ref in imported.out and "已重算" in imported.out

    # 12-25 1, 12-28 2, 12-29 3, 12-30 4; 12-31..01-03 off (made up); 01-04 5
    after = office.timer(ref, ELAPSED)
    assert after["id"] == timer["id"]
    assert (after["last_day"], shanghai(after["due_at"]), after["provisional"]) == ("2027-01-04", "2027-01-05 00:00", False)
    [changed] = events(office.history(ref), "timer_recomputed")
    assert changed["actor"] == "wang"
    assert changed["detail"]["timer"] == timer["id"]
    # History details keep UTC; `show --json` prints +08:00 (the render layer): the same instants.
    assert instant(changed["detail"]["old_due_at"]) == instant(timer["due_at"])
    assert instant(changed["detail"]["due_at"]) == instant(after["due_at"])
    assert "导入2027年节假日安排" in changed["detail"]["reason"] and "暂定" in changed["detail"]["reason"]
    assert shanghai(changed["business_time"]) == "2026-12-26 15:00"
    shown = office.run("history", ref)
    assert "原到期：2027-01-01 00:00" in shown.out and "到期：2027-01-05 00:00" in shown.out
    assert office.run("verify", ref).code == 0
    assert office.run("timers", "list", "--provisional", "--json").json == []

    # idempotent: the same data again changes nothing and records nothing
    again = office.run("calendar", "recompute", now="2026-12-27 09:00")
    assert again.code == 0 and "没有定时需要重算" in again.out
    assert len(events(office.history(ref), "timer_recomputed")) == 1

    assert office.run("tick", "--json", now="2027-01-04 23:59").json["fired"] == []
    fired = office.run("tick", "--json", now="2027-01-05 00:00").json["fired"]
    assert [f[1] for f in fired] == [ref]


def test_a_case_refused_for_an_unknown_year_can_retry_after_the_import(office, notice_2027):
    ref = office.in_review("2026-12-28 10:00")
    refused = office.run("advance", ref, "pass_qualification", now="2026-12-28 10:00", who="li")
    assert refused.code == 6, refused
    assert "award calendar import" in refused.err and "导入后重试" in refused.err
    assert office.show(ref)["state"] == "qualification_review"

    assert office.run("calendar", "import", str(notice_2027), "--yes", now="2026-12-28 11:00").code == 0
    retried = office.run("advance", ref, "pass_qualification", now="2026-12-28 11:30", who="li")
    assert retried.code == 0, retried
    # 12-29 1, 12-30 2; 12-31..01-03 off (made up); 01-04 3, 01-05 4, 01-06 5
    timer = office.timer(ref, ELAPSED)
    assert (timer["last_day"], timer["provisional"]) == ("2027-01-06", False)


def test_only_staff_on_the_roster_may_import_once_there_is_a_database(office, notice_2027):
    refused = office.run("calendar", "import", str(notice_2027), "--yes", who="nobody")
    assert refused.code == 3 and "[AWD-1]" in refused.err, refused  # a login on no roster changes nothing
    assert not (Path(os.environ["AWARD_HOME"]) / "calendars" / "2027.yaml").exists()


# --- a timer blocked at tick for an unknown year -------------------------------------------------


@pytest.fixture
def chained(db_url, tmp_path: Path) -> Iterator[Office]:
    """SHA with a 5-working-day timer on `ready`, so that a timer's step itself needs working days."""
    definitions = sha_definitions(tmp_path / "definitions")
    sha = definitions / "sha.yaml"
    text = sha.read_text(encoding="utf-8")
    plain = "  - {name: ready, label: 内部公示期满，待提交申报}\n"
    assert plain in text
    sha.write_text(text.replace(plain, "  - name: ready\n    label: 内部公示期满，待提交申报\n    timers:\n"
                                "      - {after: 5 working days, mark: submission_due, rule: SHA-20, label: 测试用：提交期限}\n"),
                   encoding="utf-8")
    deployment = tmp_path / "deployment.yaml"
    deployment.write_text("office:\n  email: [office@example.gov.cn]\nnotifiers:\n  email: {kind: spool, folder: mail, "
                          "sender: office@example.gov.cn}\n", encoding="utf-8")
    db = db_url
    settings = Settings(db=db, definitions=str(definitions), now=None, as_name=None, deployment=str(deployment),
                        deliver=False)
    engine = build_engine(settings, require_schema=False)
    engine.db.init(moment("2024-01-01 08:00"))
    for name, role in STAFF.items():
        engine.office.staff_add(name, [role])
    base = make_runner(db, tmp_path, deployment, deliver=False)

    def run(*args: str, **kwargs: object) -> object:
        kwargs.setdefault("definitions", str(definitions))
        return base(*args, **kwargs)  # type: ignore[arg-type]

    o = Office(db=db, workdir=tmp_path, deployment=deployment, engine=engine, run=run)  # type: ignore[arg-type]
    yield o
    engine.db.dispose()


def test_a_timer_blocked_for_an_unknown_year_is_rearmed_by_the_import(chained, notice_2027):
    o = chained
    ref = o.new_case(at="2026-12-18 10:00")
    o.advance(ref, "start_internal_notice", at="2026-12-18 10:00")
    # 12-21 1 ... 12-25 5: due 12-26 00:00; entering `ready` then needs 5 working days from 12-26: 2027
    report = o.run("tick", "--json", now="2026-12-26 00:00").json
    assert report["fired"] == [] and [h[1] for h in report["held"]] == [ref]
    assert "2027" in report["held"][0][3]
    [blocked] = [t for t in o.run("timers", "list", "--case", ref, "--json").json if t["status"] == "blocked"]
    assert "award calendar import" in blocked["note"]
    assert [t["id"] for t in o.run("timers", "list", "--provisional", "--json").json] == [blocked["id"]]
    assert o.show(ref)["state"] == "internal_notice"
    assert o.run("tick", "--json", now="2026-12-26 00:05").json == {"fired": [], "held": [], "failed": []}

    imported = o.run("calendar", "import", str(notice_2027), "--yes", now="2026-12-27 09:00")
    assert imported.code == 0, imported
    assert "已重新排队" in imported.out
    [rearmed] = events(o.history(ref), "timer_rearmed")
    assert rearmed["detail"]["timer"] == blocked["id"] and "缺少节假日安排" in rearmed["detail"]["reason"]
    assert shanghai(rearmed["business_time"]) == "2026-12-26 00:00"  # when it was due, not when imported

    fired = o.run("tick", "--json", now="2026-12-27 09:05").json["fired"]
    assert [f[1] for f in fired] == [ref]
    shown = o.show(ref)
    assert shown["state"] == "ready"
    [mark] = [t for t in shown["timers"] if t["duty"] == "submission_due"]
    # counted from 12-26 (when the notice elapsed): 12-28 1, 12-29 2, 12-30 3; 12-31..01-03 off; 01-04 4, 01-05 5
    assert (mark["last_day"], mark["provisional"]) == ("2027-01-05", False)
    assert o.run("timers", "list", "--provisional", "--json").json == []


def test_a_corrected_year_moves_the_due_times_that_depended_on_the_changed_days(office, notice_2027, tmp_path):
    ref = office.in_review("2026-12-24 10:00")
    assert office.run("advance", ref, "pass_qualification", now="2026-12-24 10:00", who="li").code == 0
    assert office.run("calendar", "import", str(notice_2027), "--yes", now="2026-12-25 09:00").code == 0
    assert office.timer(ref, ELAPSED)["last_day"] == "2027-01-04"

    # the (made-up) correction: 2026-12-31 is an ordinary working day after all
    corrected = tmp_path / "2027更正.txt"
    corrected.write_text("国务院办公厅关于2027年部分节假日安排的通知（测试用虚构文本，非官方）\n"
                         "　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n", encoding="utf-8")
    result = office.run("calendar", "import", str(corrected), "--yes", now="2026-12-25 10:00")
    assert result.code == 0, result
    assert "2026年12月31日" in result.out and "将替换" in result.out
    timer = office.timer(ref, ELAPSED)
    # 12-25 1, 12-28 2, 12-29 3, 12-30 4, 12-31 5
    assert (timer["last_day"], shanghai(timer["due_at"]), timer["provisional"]) == ("2026-12-31", "2027-01-01 00:00", False)
    first, second = events(office.history(ref), "timer_recomputed")
    assert instant(second["detail"]["old_due_at"]) == instant(first["detail"]["due_at"])
    assert instant(second["detail"]["due_at"]) == instant(timer["due_at"])
    assert "所依据日期的节假日安排有变" in second["detail"]["reason"]


def test_recompute_leaves_anniversaries_reminders_and_natural_days_as_they_are(office):
    """An awarded case has yearly duties, their reminders and a 10-year mark: none moves, none is recorded."""
    ref = office.in_commendation("2026-05-06 10:00")
    assert office.run("advance", ref, "commend", "--set", "award_document=沪府〔2026〕88号", now="2026-10-20 09:00").code == 0
    before, history = office.show(ref)["timers"], office.history(ref)
    assert {t["kind"] for t in before} == {"duty", "reminder"}
    assert office.show(ref)["retention"]["until"] == "2036-10-20"  # the 10-year mark is the case's (SHA-39)
    result = office.run("calendar", "recompute", now="2026-12-20 09:00")
    assert result.code == 0, result
    assert "没有定时需要重算" in result.out
    assert office.show(ref)["timers"] == before and office.history(ref) == history
    # and it is not silent for lack of trying: counting each row again gives exactly what plan() gave
    from award.workflow.store import CaseRow, TimerRow
    from award.workflow.timing.recompute import _count_again
    from sqlmodel import select

    engine = office.engine
    with engine.db.session() as s:
        case = s.exec(select(CaseRow).where(CaseRow.ref == ref)).one()
        spec = engine.spec_of(case)
        rows = s.exec(select(TimerRow).where(TimerRow.case_id == case.id, TimerRow.status == "pending")).all()
        counted = {row.kind: _count_again(engine, s, spec, row) for row in rows}
        for row in rows:
            again = _count_again(engine, s, spec, row)
            if row.kind in ("duty", "retention"):
                assert again is None  # anniversaries and whole years never consult the calendar
            else:
                assert again is not None and again[0].isoformat() == datetime_iso(row.due_at), row
    assert set(counted) == {"duty", "reminder", "retention"}


def datetime_iso(value: object) -> str:
    from award.workflow.store import utc

    return utc(value).isoformat()  # type: ignore[arg-type]


def test_a_long_running_engine_sees_a_year_imported_by_another_process_at_its_next_tick(office, notice_2027):
    """The scheduler keeps one engine for days: its next tick reads the calendar files again if they changed."""
    from award.workflow.errors import CalendarYearUnknown

    ref = office.in_review("2026-12-28 10:00")
    with pytest.raises(CalendarYearUnknown):
        office.advance(ref, "pass_qualification", at="2026-12-28 10:00", who="li")
    loaded = office.engine.calendar
    office.tick("2026-12-28 10:01")
    assert office.engine.calendar is loaded  # nothing changed on disk: nothing is read again

    assert office.run("calendar", "import", str(notice_2027), "--yes", now="2026-12-28 10:30").code == 0
    office.tick("2026-12-28 10:31")
    assert office.engine.calendar is not loaded
    office.advance(ref, "pass_qualification", at="2026-12-28 10:40", who="li")
    assert office.timer(ref, ELAPSED)["last_day"] == "2027-01-06"
