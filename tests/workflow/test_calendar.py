"""The official calendar against the State Council notices, holidays.China and chinesecalendar."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from award.workflow.errors import CalendarYearUnknown
from award.workflow.timing.calendar import OfficialCalendar

BUNDLED = Path(__file__).resolve().parents[2] / "definitions" / "calendars"

# Days on which our calendar and holidays.China (0.109) disagree about working or not, 2004-2026.
# holidays.China agrees with the 2006 notice on 2005-12-31, so there is none today; add any new one
# here with its explanation (the notice and which side is right).
EXPLAINED_VS_HOLIDAYS: dict[date, str] = {}

# Days on which our calendar and the bare chinesecalendar package disagree, 2004-2026.
EXPLAINED_VS_PACKAGE: dict[date, str] = {
    date(2005, 12, 31): "the 2006 notice (国办发明电〔2005〕35号) made Saturday 2005-12-31 a working day; "
    "chinesecalendar 1.11 has it as a weekend, our 2006.yaml fixes it",
}

# A made-up arrangement for 2027, TEST DATA ONLY: the real 2027 notice is not out.
FAKE_2027 = """\
# TEST DATA ONLY - not the official 2027 arrangement.
year: 2027
notice: 测试数据（虚构），非官方安排
holidays:
  - {name: 元旦, off: [2027-01-01, 2027-01-03]}
  - {name: 国庆节, off: [2027-10-01, 2027-10-07], makeup: [2027-09-26, 2027-10-09]}
"""


@pytest.fixture(scope="module")
def calendar() -> OfficialCalendar:
    return OfficialCalendar()


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_bundled_files_have_no_problems(calendar):
    assert calendar.problems() == []
    assert calendar.covered_years() == tuple(range(2004, 2027))


def test_every_day_2004_2026_matches_holidays_china(calendar):
    holidays = pytest.importorskip("holidays")
    china = holidays.China(years=range(2004, 2027))
    differ = {d for d in _days(date(2004, 1, 1), date(2026, 12, 31))
              if calendar.is_working_day(d) != china.is_working_day(d)}
    assert differ == set(EXPLAINED_VS_HOLIDAYS), "unexplained difference with holidays.China"


def test_every_day_2004_2026_matches_chinesecalendar_except_explained(calendar):
    import chinese_calendar

    differ = {d for d in _days(date(2004, 1, 1), date(2026, 12, 31))
              if calendar.is_working_day(d) != chinese_calendar.is_workday(d)}
    assert differ == set(EXPLAINED_VS_PACKAGE)


@pytest.mark.parametrize("year", [2006, 2026])
def test_files_agree_with_package_on_kind_and_name(calendar, year):
    package_only = OfficialCalendar(files_dir=BUNDLED / "missing", use_package=True)
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        ours, theirs = calendar.day(day), package_only.day(day)
        assert (ours.kind, ours.holiday) == (theirs.kind, theirs.holiday), day
        if (day.month, ours.holiday) != (12, "元旦"):  # late-December New Year days belong to next year's notice
            assert ours.source == f"calendars/{year}.yaml", day


@pytest.mark.parametrize(
    ("day", "working", "kind", "reason", "holiday"),
    [
        pytest.param(date(2024, 9, 29), True, "makeup", "调休上班（国庆节）", "国庆节", id="national_day_2024_makeup_sunday"),
        pytest.param(date(2024, 10, 12), True, "makeup", "调休上班（国庆节）", "国庆节", id="national_day_2024_makeup_saturday"),
        pytest.param(date(2024, 10, 1), False, "holiday", "国庆节放假", "国庆节", id="national_day_2024_first_day"),
        pytest.param(date(2024, 10, 7), False, "holiday", "国庆节放假", "国庆节", id="national_day_2024_weekday_off"),
        pytest.param(date(2024, 2, 9), True, "workday", "工作日", None, id="spring_festival_2024_eve_working"),
        pytest.param(date(2024, 2, 18), True, "makeup", "调休上班（春节）", "春节", id="spring_festival_2024_makeup_sunday"),
        pytest.param(date(2025, 1, 26), True, "makeup", "调休上班（春节）", "春节", id="spring_festival_2025_makeup_sunday"),
        pytest.param(date(2025, 2, 4), False, "holiday", "春节放假", "春节", id="spring_festival_2025_last_day"),
        pytest.param(date(2025, 2, 8), True, "makeup", "调休上班（春节）", "春节", id="spring_festival_2025_makeup_saturday"),
        pytest.param(date(2025, 10, 6), False, "holiday", "中秋节放假", "中秋节", id="mid_autumn_2025_inside_national_day"),
        pytest.param(date(2026, 2, 14), True, "makeup", "调休上班（春节）", "春节", id="spring_festival_2026_makeup_saturday"),
        pytest.param(date(2026, 2, 23), False, "holiday", "春节放假", "春节", id="spring_festival_2026_ninth_day"),
        pytest.param(date(2026, 4, 6), False, "holiday", "清明节放假", "清明节", id="qingming_2026_monday"),
        pytest.param(date(2026, 5, 5), False, "holiday", "劳动节放假", "劳动节", id="labour_day_2026_fifth_day"),
        pytest.param(date(2026, 6, 19), False, "holiday", "端午节放假", "端午节", id="dragon_boat_2026_friday"),
        pytest.param(date(2026, 9, 20), True, "makeup", "调休上班（国庆节）", "国庆节", id="national_day_2026_makeup_sunday"),
        pytest.param(date(2026, 10, 10), True, "makeup", "调休上班（国庆节）", "国庆节", id="national_day_2026_makeup_saturday"),
        pytest.param(date(2026, 1, 1), False, "holiday", "元旦放假", "元旦", id="new_year_2026"),
        pytest.param(date(2005, 12, 31), True, "makeup", "调休上班（元旦）", "元旦", id="new_year_2006_makeup_in_2005"),
        pytest.param(date(2006, 12, 30), True, "makeup", "调休上班（元旦）", "元旦", id="new_year_2007_makeup_in_2006"),
        pytest.param(date(2015, 9, 3), False, "holiday", "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日放假",
                     "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日", id="victory_day_2015"),
        pytest.param(date(2024, 11, 16), False, "weekend", "周末", None, id="ordinary_saturday"),
        pytest.param(date(2024, 11, 18), True, "workday", "工作日", None, id="ordinary_monday"),
    ],
)
def test_specific_days(calendar, day, working, kind, reason, holiday):
    info = calendar.day(day)
    assert (info.day, info.working, info.kind, info.reason, info.holiday) == (day, working, kind, reason, holiday)
    assert calendar.is_working_day(day) is working
    assert info.provisional is False


def test_sources(calendar):
    assert calendar.day(date(2026, 10, 10)).source == "calendars/2026.yaml"
    assert calendar.day(date(2026, 3, 3)).source == "calendars/2026.yaml"
    assert calendar.day(date(2005, 12, 31)).source == "calendars/2006.yaml"
    assert calendar.day(date(2024, 10, 1)).source == "chinesecalendar 1.11.0"


def test_2027_is_unknown_and_names_the_file(calendar):
    with pytest.raises(CalendarYearUnknown) as caught:
        calendar.day(date(2027, 1, 4))
    assert caught.value.year == 2027
    assert caught.value.exit_code == 6
    assert "definitions/calendars/2027.yaml" in str(caught.value)
    assert "award calendar import" in str(caught.value)
    assert "《关于2027年部分节假日安排的通知》" in str(caught.value)


def test_2003_is_unknown(calendar):
    with pytest.raises(CalendarYearUnknown, match="2003"):
        calendar.day(date(2003, 6, 2))


def test_provisional_late_december_before_next_notice(calendar):
    assert calendar.day(date(2026, 12, 19)).provisional is False
    assert calendar.day(date(2026, 12, 20)).provisional is True
    assert calendar.day(date(2026, 12, 28)).provisional is True
    assert calendar.day(date(2025, 12, 28)).provisional is False


def test_a_2027_file_makes_2027_known(tmp_path):
    files = tmp_path / "calendars"
    shutil.copytree(BUNDLED, files)
    (files / "2027.yaml").write_text(FAKE_2027, encoding="utf-8")
    calendar = OfficialCalendar(files_dir=files)
    assert calendar.problems() == []
    assert 2027 in calendar.covered_years()
    assert calendar.day(date(2027, 10, 9)).kind == "makeup"
    assert calendar.day(date(2027, 10, 4)).reason == "国庆节放假"
    assert calendar.day(date(2027, 3, 1)).source == "calendars/2027.yaml"
    assert calendar.day(date(2026, 12, 28)).provisional is False
    assert calendar.day(date(2027, 12, 28)).provisional is True
    with pytest.raises(CalendarYearUnknown, match=str(files / "2028.yaml")):
        calendar.day(date(2028, 1, 3))


def test_files_only_calendar(tmp_path):
    files = tmp_path / "calendars"
    shutil.copytree(BUNDLED, files)
    calendar = OfficialCalendar(files_dir=files, use_package=False)
    assert calendar.covered_years() == (2006, 2026)
    assert calendar.day(date(2006, 1, 28)).kind == "makeup"
    assert calendar.day(date(2005, 12, 31)).kind == "makeup"  # named by the 2006 file
    with pytest.raises(CalendarYearUnknown):
        calendar.day(date(2005, 12, 30))
    with pytest.raises(CalendarYearUnknown):
        calendar.day(date(2025, 6, 3))


def test_helpers(calendar):
    assert calendar.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert calendar.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)
    # 09-29, 09-30, then 10-08, 10-09, 10-10 (make-up Saturday)
    assert calendar.working_days_after(date(2026, 9, 28), 5, count_start=False) == date(2026, 10, 10)
    assert calendar.working_days_after(date(2026, 9, 28), 5, count_start=True) == date(2026, 10, 9)
    assert calendar.working_days_after(date(2026, 10, 3), 1, count_start=True) == date(2026, 10, 8)
    assert calendar.count_working_days(date(2026, 9, 28), date(2026, 10, 11)) == 6
    assert calendar.count_working_days(date(2026, 10, 2), date(2026, 10, 1)) == 0
    with pytest.raises(ValueError):
        calendar.working_days_after(date(2026, 9, 28), 0, count_start=False)


def test_helpers_raise_for_unknown_year(calendar):
    with pytest.raises(CalendarYearUnknown):
        calendar.next_working_day(date(2026, 12, 31))
    with pytest.raises(CalendarYearUnknown):
        calendar.working_days_after(date(2026, 12, 21), 10, count_start=False)
    with pytest.raises(CalendarYearUnknown):
        calendar.count_working_days(date(2026, 12, 1), date(2027, 1, 5))


def test_day_refuses_a_datetime(calendar):
    with pytest.raises(TypeError, match="local_date"):
        calendar.day(datetime(2026, 10, 10, 9, 0))


def test_package_is_imported_lazily():
    code = "import sys, award.workflow.timing.calendar; print('chinese_calendar' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"


# -- file validation ----------------------------------------------------------------------------------

GOOD_HEAD = "year: 2027\nnotice: 测试\nholidays:\n"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        pytest.param(GOOD_HEAD + "  - {name: 元旦, off: [2027-01-01, 2027-01-03]}\nsource: x\n", 5, "未知的键 'source'",
                     id="unknown_top_key"),
        pytest.param(GOOD_HEAD + "  - {name: 元旦, of: [2027-01-01, 2027-01-03]}\n", 4, "未知的键 'of'", id="unknown_holiday_key"),
        pytest.param(GOOD_HEAD + "  - name: 元旦\n    off: [2027-01-01, \"2027-01-03\"]\n", 5, "'2027-01-03' 不是日期",
                     id="quoted_date"),
        pytest.param(GOOD_HEAD + "  - name: 元旦\n    off:\n      - 2027-01-01\n      - 2027-01-03 09:00\n", 7, "不是日期",
                     id="date_with_time"),
        pytest.param(GOOD_HEAD + "  - name: 国庆节\n    off: [2027-10-07, 2027-10-01]\n", 5, "首日 2027-10-07 晚于末日",
                     id="range_reversed"),
        pytest.param(GOOD_HEAD + "  - name: 国庆节\n    off: [2027-10-01, 2027-10-07]\n    makeup: [2027-09-27]\n", 6,
                     "2027-09-27 是星期一，不是周末", id="makeup_on_weekday"),
        pytest.param(GOOD_HEAD + "  - {name: 国庆节, off: [2027-10-01, 2027-10-07], makeup: [2027-10-02]}\n", 4,
                     "已是国庆节的放假日", id="off_day_also_makeup"),
        pytest.param(GOOD_HEAD + "  - {name: 中秋节, off: [2027-09-15, 2027-09-17]}\n"
                     "  - {name: 国庆节, off: [2027-09-17, 2027-09-20]}\n", 5, "已是中秋节的放假日", id="overlapping_ranges"),
        pytest.param(GOOD_HEAD + "  - {name: 国庆节, off: [2027-10-01, 2027-12-07]}\n", 4, "超过 15 天", id="range_too_long"),
        pytest.param(GOOD_HEAD + "  - {name: 元旦, off: [2026-11-30, 2027-01-01]}\n", 4, "不属于 2027 年的通知",
                     id="date_outside_notice_year"),
        pytest.param("year: 2028\nholidays: []\n", 1, "与文件名 2027.yaml 不一致", id="year_not_file_name"),
        pytest.param("notice: x\nholidays: []\n", 1, "缺少 year", id="missing_year"),
        pytest.param("year: 2027\nholidays: []\nyear: 2027\n", 3, "duplicate key", id="duplicate_key"),
        pytest.param(GOOD_HEAD + "  - {name: 元旦, off: [2027-01-01, 2027-02-30]}\n", 4, "日期无效", id="impossible_date"),
        pytest.param(GOOD_HEAD + "  - {name: 元旦, off: [2027-01-01\n", 5, "YAML 格式错误", id="broken_yaml"),
        pytest.param("year: 2027\npublished: 2026-11-0x\nholidays: []\n", 2, "published 应为日期", id="published_not_date"),
    ],
)
def test_file_problems_have_lines(tmp_path, text, line, reason):
    files = tmp_path / "calendars"
    files.mkdir()
    (files / "2027.yaml").write_text(text, encoding="utf-8")
    calendar = OfficialCalendar(files_dir=files)
    problems = calendar.problems()
    assert problems, "expected a problem"
    assert any(p.line == line and reason in p.reason for p in problems), [str(p) for p in problems]
    assert all(p.file == "calendars/2027.yaml" for p in problems)


def test_broken_file_year_raises_with_the_problem_and_others_still_answer(tmp_path):
    files = tmp_path / "calendars"
    shutil.copytree(BUNDLED, files)
    text = (BUNDLED / "2026.yaml").read_text(encoding="utf-8").replace("makeup: [2026-05-09]", "makeup: [2026-05-08]")
    (files / "2026.yaml").write_text(text, encoding="utf-8")
    calendar = OfficialCalendar(files_dir=files)
    [problem] = calendar.problems()
    assert problem.line is not None and "2026-05-08 是星期五" in problem.reason
    assert str(problem).startswith(f"calendars/2026.yaml:{problem.line}: ")
    with pytest.raises(CalendarYearUnknown, match="2026-05-08"):
        calendar.day(date(2026, 3, 3))  # never falls back to the package for a year the office overrides
    assert calendar.day(date(2025, 10, 8)).kind == "holiday"
    assert calendar.day(date(2025, 12, 22)).provisional is True
    assert 2026 not in calendar.covered_years()


def test_two_files_naming_the_same_day(tmp_path):
    files = tmp_path / "calendars"
    files.mkdir()
    (files / "2005.yaml").write_text("year: 2005\nholidays:\n  - {name: 元旦, off: [2005-01-01, 2005-01-03]}\n"
                                     "  - {name: 测试, off: [2005-12-31]}\n", encoding="utf-8")
    shutil.copy(BUNDLED / "2006.yaml", files / "2006.yaml")
    problems = OfficialCalendar(files_dir=files).problems()
    assert [p.file for p in problems] == ["calendars/2006.yaml"]
    assert "2005-12-31 已在 calendars/2005.yaml 中列出" in problems[0].reason


def test_bad_file_name(tmp_path):
    files = tmp_path / "calendars"
    files.mkdir()
    (files / "holidays.yaml").write_text("year: 2027\nholidays: []\n", encoding="utf-8")
    problems = OfficialCalendar(files_dir=files).problems()
    assert any("文件名应为 <年份>.yaml" in p.reason for p in problems)
