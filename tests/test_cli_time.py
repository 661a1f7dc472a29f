"""`award calendar day|due` and `award tick`: the official calendar and the timers, from the terminal."""

from __future__ import annotations

import os

import pytest

from tests.fixtures_sha import (
    make_runner,
    office_fixture,  # noqa: F401 - fixtures
)


@pytest.fixture
def award_nodb(tmp_path):
    """The CLI with a database path that the calendar commands must never need to open."""
    return make_runner(str(tmp_path / "never-created.db"), tmp_path)


# --- calendar day -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,text,info",
    [
        pytest.param("2026-10-10", "2026-10-10（星期六）：工作日　调休上班（国庆节）　[calendars/2026.yaml]",
                     {"working": True, "kind": "makeup", "holiday": "国庆节", "reason": "调休上班（国庆节）"},
                     id="national_day_2026_makeup_saturday"),
        pytest.param("2026-10-01", "2026-10-01（星期四）：休息日　国庆节放假　[calendars/2026.yaml]",
                     {"working": False, "kind": "holiday", "holiday": "国庆节", "reason": "国庆节放假"},
                     id="national_day_2026_holiday"),
        pytest.param("2026-10-11", "2026-10-11（星期日）：休息日　周末　[calendars/2026.yaml]",
                     {"working": False, "kind": "weekend", "holiday": None, "reason": "周末"},
                     id="sunday_after_makeup_saturday"),
        pytest.param("2024-09-29", "2024-09-29（星期日）：工作日　调休上班（国庆节）　[chinesecalendar",
                     {"working": True, "kind": "makeup", "holiday": "国庆节", "reason": "调休上班（国庆节）"},
                     id="national_day_2024_makeup_sunday_from_package"),
        pytest.param("2005-12-31", "2005-12-31（星期六）：工作日　调休上班（元旦）　[calendars/2006.yaml]",
                     {"working": True, "kind": "makeup", "holiday": "元旦", "reason": "调休上班（元旦）"},
                     id="file_corrects_package_2005_12_31"),
    ],
)
def test_calendar_day(award_nodb, tmp_path, day, text, info):
    shown = award_nodb("calendar", "day", day, who=None)
    assert shown.code == 0, shown
    assert shown.out.startswith(text)
    as_json = award_nodb("calendar", "day", day, "--json", who=None)
    assert as_json.code == 0, as_json
    assert as_json.json == {"day": day, "provisional": False,
                            "source": as_json.json["source"], **info}
    assert not (tmp_path / "never-created.db").exists()


def test_calendar_day_late_december_is_provisional_until_next_year_is_known(award_nodb):
    shown = award_nodb("calendar", "day", "2026-12-21", who=None)
    assert shown.code == 0 and "暂定" in shown.out, shown
    assert award_nodb("calendar", "day", "2026-12-21", "--json", who=None).json["provisional"] is True
    assert award_nodb("calendar", "day", "2026-12-18", "--json", who=None).json["provisional"] is False


def test_calendar_day_in_an_unknown_year_names_the_file_to_add(award_nodb):
    result = award_nodb("calendar", "day", "2027-01-04", who=None)
    assert result.code == 6, result
    assert "没有 2027 年的官方节假日安排数据" in result.err
    # the office data folder (outside the installed package) and the command that adds the year
    assert "award calendar import" in result.err
    assert os.path.join(os.environ["AWARD_HOME"], "calendars") in result.err
    assert "site-packages" not in result.err


def test_calendar_day_refuses_a_bad_date(award_nodb):
    result = award_nodb("calendar", "day", "2026-02-30", who=None)
    assert result.code == 2, result


# --- calendar due -------------------------------------------------------------------------------------


def test_calendar_due_prints_the_last_day_and_the_due_moment(award_nodb):
    result = award_nodb("calendar", "due", "2026-09-30", "5 working days", who=None)
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "自 2026-09-30 00:00 起 5个工作日（起始当日不计）：",
        "  最后一日：2026-10-13",
        "  届满时间：2026-10-14 00:00（上海时间）",
        "  依据：5 working days, start day not counted; calendars/2026.yaml",
    ]
    as_json = award_nodb("calendar", "due", "2026-09-30", "5 working days", "--json", who=None)
    assert as_json.json == {"at": "2026-10-14T00:00:00+08:00", "last_day": "2026-10-13",
                            "basis": "5 working days, start day not counted; calendars/2026.yaml",
                            "provisional": False}


@pytest.mark.parametrize(
    "start,period,extra,last_day,due",
    [
        # 09-30 (Wed) is day 1; 10-08 2, 10-09 3, Sat 10-10 (make-up) 4, 10-12 5
        pytest.param("2026-09-30 09:00", "5 工作日", ["--start-day-counts"], "2026-10-12", "2026-10-13 00:00",
                     id="start_day_counts"),
        pytest.param("2024-09-27 16:00", "5个工作日", [], "2024-10-10", "2024-10-11 00:00",
                     id="national_day_2024_chinese_period"),
        pytest.param("2024-10-28 10:00", "7 natural days", [], "2024-11-04", "2024-11-05 00:00",
                     id="sqi_seven_natural_days"),
        pytest.param("2024-08-01", "2024-08-23 15:00", [], "2024-08-23", "2024-08-23 15:00",
                     id="sqi_deadline_with_time"),
    ],
)
def test_calendar_due_forms(award_nodb, start, period, extra, last_day, due):
    result = award_nodb("calendar", "due", start, period, *extra, who=None)
    assert result.code == 0, result
    assert f"  最后一日：{last_day}" in result.out.splitlines()
    assert f"  届满时间：{due}（上海时间）" in result.out.splitlines()


def test_calendar_due_into_2027_names_the_file_to_add(award_nodb):
    result = award_nodb("calendar", "due", "2026-12-28", "5 working days", who=None)
    assert result.code == 6, result
    assert "2027" in result.err and "award calendar import" in result.err
    assert result.out == ""


@pytest.mark.parametrize("start,period", [("2026-09-30", "5 weeks"), ("30/09/2026", "5 working days")])
def test_calendar_due_refuses_what_it_cannot_read(award_nodb, start, period):
    result = award_nodb("calendar", "due", start, period, who=None)
    assert result.code == 2, result
    assert "错误" in result.err


# --- tick ---------------------------------------------------------------------------------------------


def test_tick_json_on_an_empty_database(office):
    o = office
    result = o.run("tick", "--json", now="2026-10-14 00:00", who=None)
    assert result.code == 0, result
    assert result.json == {"fired": [], "held": [], "failed": []}
    text = o.run("tick", now="2026-10-14 00:00", who=None)
    assert text.out == "触发 0 个，暂缓 0 个，失败 0 个\n"


def test_tick_json_reports_each_fired_timer(office):
    o = office
    ref = o.in_notice("2026-09-30 09:00")
    timer = o.timer(ref, "qualification_notice_elapsed")
    result = o.run("tick", "--json", now="2026-10-14 00:00", who=None)
    assert result.code == 0, result
    assert result.json == {"fired": [[timer["id"], ref, "资格审查公示期满无异议", "资格审查结果公示中 → 资料评审中"]],
                           "held": [], "failed": []}
    text = o.run("tick", now="2026-10-14 00:05", who=None)
    assert text.out == "触发 0 个，暂缓 0 个，失败 0 个\n"


def test_tick_on_a_database_never_initialised(award_nodb):
    result = award_nodb("tick", "--json", now="2026-10-14 00:00", who=None)
    assert result.code == 6, result
    assert "award init" in result.err
