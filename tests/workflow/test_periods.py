"""Periods and due times, counted by hand against the State Council arrangements of 2024-2026."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from award.workflow.errors import CalendarYearUnknown, InvalidInput
from award.workflow.timing.calendar import OfficialCalendar
from award.workflow.timing.clock import SHANGHAI, start_of_day
from award.workflow.timing.periods import (
    Period,
    anniversaries,
    before,
    describe,
    due,
    parse_offset,
    parse_period,
)

BUNDLED = Path(__file__).resolve().parents[2] / "definitions" / "calendars"


@pytest.fixture(scope="module")
def calendar() -> OfficialCalendar:
    return OfficialCalendar()


def sh(*args: int) -> datetime:
    """An aware moment given in Asia/Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


# Official arrangements used below:
#   2024 春节 02-10..02-17 off, 02-04 (Sun) and 02-18 (Sun) working; 国庆 10-01..10-07 off, 09-29 (Sun), 10-12 (Sat) working.
#   2025 春节 01-28..02-04 off, 01-26 (Sun) and 02-08 (Sat) working; 国庆中秋 10-01..10-08 off, 09-28 (Sun), 10-11 (Sat) working.
#   2026 春节 02-15..02-23 off, 02-14 (Sat) and 02-28 (Sat) working; 中秋 09-25..09-27 off; 国庆 10-01..10-07 off,
#        09-20 (Sun) and 10-10 (Sat) working.
@pytest.mark.parametrize(
    ("start", "counts", "last_day"),
    [
        # Fri 09-27 published; 09-28 Sat off, 09-29 Sun make-up =1, 09-30 =2, 10-01..07 off, 10-08 =3, 10-09 =4, 10-10 =5
        pytest.param(sh(2024, 9, 27, 10), False, date(2024, 10, 10), id="national_day_2024_start_not_counted"),
        # 09-27 =1, 09-29 =2, 09-30 =3, 10-08 =4, 10-09 =5
        pytest.param(sh(2024, 9, 27, 10), True, date(2024, 10, 9), id="national_day_2024_start_counted"),
        # Thu 02-08 published; 02-09 (除夕, a working day) =1, 02-10..17 off, 02-18 Sun make-up =2, 02-19 =3, 02-20 =4, 02-21 =5
        pytest.param(sh(2024, 2, 8, 9), False, date(2024, 2, 21), id="spring_festival_2024_start_not_counted"),
        # 02-08 =1, 02-09 =2, 02-18 =3, 02-19 =4, 02-20 =5
        pytest.param(sh(2024, 2, 8, 9), True, date(2024, 2, 20), id="spring_festival_2024_start_counted"),
        # Fri 01-24 published; 01-25 Sat off, 01-26 Sun make-up =1, 01-27 =2, 01-28..02-04 off, 02-05 =3, 02-06 =4, 02-07 =5
        pytest.param(sh(2025, 1, 24, 16), False, date(2025, 2, 7), id="spring_festival_2025_start_not_counted"),
        # Thu 09-25 published; 09-26 =1, 09-27 Sat off, 09-28 Sun make-up =2, 09-29 =3, 09-30 =4, 10-01..08 off, 10-09 =5
        pytest.param(sh(2025, 9, 25, 9), False, date(2025, 10, 9), id="national_day_2025_start_not_counted"),
        # 09-25 =1, 09-26 =2, 09-28 =3, 09-29 =4, 09-30 =5
        pytest.param(sh(2025, 9, 25, 9), True, date(2025, 9, 30), id="national_day_2025_start_counted"),
        # Thu 02-12 published; 02-13 =1, 02-14 Sat make-up =2, 02-15..23 off, 02-24 =3, 02-25 =4, 02-26 =5
        pytest.param(sh(2026, 2, 12, 9), False, date(2026, 2, 26), id="spring_festival_2026_start_not_counted"),
        # Mon 09-28 published; 09-29 =1, 09-30 =2, 10-01..07 off, 10-08 =3, 10-09 =4, 10-10 Sat make-up =5
        pytest.param(sh(2026, 9, 28, 9), False, date(2026, 10, 10), id="national_day_2026_start_not_counted"),
        # 09-28 =1, 09-29 =2, 09-30 =3, 10-08 =4, 10-09 =5
        pytest.param(sh(2026, 9, 28, 9), True, date(2026, 10, 9), id="national_day_2026_start_counted"),
        # 23:00 Sunday 09-27 (中秋 off) in Shanghai is the start day even though it is 15:00 UTC; counted but not working:
        # 09-28 =1, 09-29 =2, 09-30 =3, 10-08 =4, 10-09 =5
        pytest.param(datetime(2026, 9, 27, 15, tzinfo=UTC), True, date(2026, 10, 9), id="start_day_is_a_holiday"),
        # 01:00 Monday 09-28 in Shanghai, still Sunday in UTC: the Shanghai date is the start day
        pytest.param(datetime(2026, 9, 27, 17, tzinfo=UTC), False, date(2026, 10, 10), id="start_day_is_the_shanghai_date"),
    ],
)
def test_five_working_days_around_holidays(calendar, start, counts, last_day):
    result = due(parse_period("5 working days"), start, calendar, start_day_counts=counts)
    assert result.last_day == last_day
    assert result.at == start_of_day(date.fromordinal(last_day.toordinal() + 1))
    assert result.at.tzinfo is not None and result.provisional is False


def test_the_offices_example_in_full(calendar):
    result = due(parse_period("5 working days"), sh(2026, 9, 28, 10), calendar, start_day_counts=False)
    assert result.last_day == date(2026, 10, 10)
    assert result.at == sh(2026, 10, 11, 0)
    assert result.at == datetime(2026, 10, 10, 16, tzinfo=UTC) and result.at.tzinfo == UTC
    assert result.basis == "5 working days, start day not counted; calendars/2026.yaml"


def test_basis_names_the_package_for_package_years(calendar):
    result = due(parse_period("5个工作日"), sh(2024, 9, 27, 10), calendar, start_day_counts=False)
    assert result.basis == "5 working days, start day not counted; chinesecalendar 1.11.0"


def test_spring_festival_2026_second_makeup_day(calendar):
    # 02-13 =1, 02-14 =2, 02-24 =3, 02-25 =4, 02-26 =5, 02-27 =6, 02-28 Sat make-up =7
    result = due(parse_period("7 工作日"), sh(2026, 2, 12, 9), calendar, start_day_counts=False)
    assert result.last_day == date(2026, 2, 28)


def test_period_running_into_2027_raises(calendar):
    with pytest.raises(CalendarYearUnknown) as caught:
        due(parse_period("10 working days"), sh(2026, 12, 24, 9), calendar, start_day_counts=False)
    assert caught.value.year == 2027
    assert "definitions/calendars/2027.yaml" in str(caught.value)


def test_period_into_2027_with_a_2027_file(tmp_path):
    files = tmp_path / "calendars"
    shutil.copytree(BUNDLED, files)
    (files / "2027.yaml").write_text(
        "# TEST DATA ONLY - not the official 2027 arrangement.\nyear: 2027\nholidays:\n"
        "  - {name: 元旦, off: [2027-01-01, 2027-01-03]}\n", encoding="utf-8")
    calendar = OfficialCalendar(files_dir=files)
    # 12-25 =1, 12-28 =2, 12-29 =3, 12-30 =4, 12-31 =5, 01-01..03 off (test data), 01-04 =6 ... 01-08 =10
    result = due(parse_period("10 working days"), sh(2026, 12, 24, 9), calendar, start_day_counts=False)
    assert result.last_day == date(2027, 1, 8)
    assert result.provisional is False
    assert result.basis.endswith("; calendars/2026.yaml, calendars/2027.yaml")


def test_late_december_period_is_provisional(calendar):
    # Mon 12-14; 12-15 =1 .. 12-18 =4, 12-19/20 weekend (12-20 provisional: 2027 unknown), 12-21 =5
    result = due(parse_period("5 working days"), sh(2026, 12, 14, 9), calendar, start_day_counts=False)
    assert result.last_day == date(2026, 12, 21)
    assert result.provisional is True
    early = due(parse_period("4 working days"), sh(2026, 12, 14, 9), calendar, start_day_counts=False)
    assert (early.last_day, early.provisional) == (date(2026, 12, 18), False)


@pytest.mark.parametrize(
    ("counts", "last_day"),
    [
        pytest.param(False, date(2024, 11, 1), id="start_not_counted"),  # 10-26 =1 .. 11-01 =7
        pytest.param(True, date(2024, 10, 31), id="start_counted"),  # 10-25 =1 .. 10-31 =7
    ],
)
def test_natural_days(calendar, counts, last_day):
    result = due(parse_period("7 natural days"), sh(2024, 10, 25, 18), calendar, start_day_counts=counts)
    assert result.last_day == last_day
    assert result.at == start_of_day(date.fromordinal(last_day.toordinal() + 1))
    assert "7 natural days" in result.basis


def test_natural_days_need_no_calendar_data(calendar):
    result = due(parse_period("7天"), sh(2026, 12, 28, 9), calendar, start_day_counts=False)
    assert result.last_day == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("text", "at", "last_day"),
    [
        pytest.param("2024-08-23 15:00", sh(2024, 8, 23, 15), date(2024, 8, 23), id="with_hour"),
        pytest.param("2024-08-23", sh(2024, 8, 24, 0), date(2024, 8, 23), id="bare_date_is_end_of_day"),
        pytest.param("2024-08-23 24:00", sh(2024, 8, 24, 0), date(2024, 8, 23), id="24_00"),
    ],
)
def test_deadline(calendar, text, at, last_day):
    period = parse_period(text)
    assert period.kind == "deadline" and period.at == at and period.at.tzinfo == UTC
    result = due(period, sh(2024, 6, 27, 9), calendar, start_day_counts=False)
    assert (result.at, result.last_day) == (at, last_day)
    assert "Asia/Shanghai" in result.basis


def test_anniversaries_from_29_february(calendar):
    period = parse_period("yearly for 4 years")
    start = datetime(2024, 2, 28, 17, tzinfo=UTC)  # 2024-02-29 01:00 in Shanghai
    result = anniversaries(period, start, calendar)
    assert [d.last_day for d in result] == [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]
    assert [d.at for d in result] == [start_of_day(d.last_day) for d in result]
    assert "29 Feb falls on 28 Feb" in result[0].basis and "29 Feb" not in result[3].basis
    assert due(period, start, calendar, start_day_counts=False) == result[0]


def test_anniversaries_need_a_yearly_period(calendar):
    with pytest.raises(ValueError):
        anniversaries(parse_period("5 working days"), sh(2024, 1, 1), calendar)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        # back from 10-11: 10-10 (Sat make-up) =1, 10-09 =2, 10-08 =3, 10-07..01 off, 09-30 =4, 09-29 =5
        pytest.param("5 working days before", sh(2026, 9, 29, 0), id="working_days_across_national_day"),
        pytest.param("1 working day before", sh(2026, 10, 10, 0), id="one_working_day"),
        pytest.param("30 days before", sh(2026, 9, 11, 0), id="natural_days"),
        pytest.param("3天前", sh(2026, 10, 8, 0), id="natural_days_chinese"),
        pytest.param("提前2个工作日", None, id="needs_before"),
    ],
)
def test_reminders(calendar, offset, expected):
    if expected is None:
        with pytest.raises(InvalidInput):
            parse_offset(offset)
        return
    assert before(sh(2026, 10, 11, 0), parse_offset(offset), calendar) == expected


def test_reminder_into_unknown_year(calendar):
    with pytest.raises(CalendarYearUnknown):
        before(sh(2027, 1, 10, 0), parse_offset("3 working days before"), calendar)


@pytest.mark.parametrize(
    ("text", "kind", "count"),
    [
        ("5 working days", "working_days", 5),
        ("1 working day", "working_days", 1),
        ("5 工作日", "working_days", 5),
        ("5个工作日", "working_days", 5),
        ("7 natural days", "natural_days", 7),
        ("7 days", "natural_days", 7),
        ("7 自然日", "natural_days", 7),
        ("7天", "natural_days", 7),
        ("yearly for 3 years", "yearly", 3),
        ("每年 3 年", "yearly", 3),
        ("2024-08-23 15:00", "deadline", 0),
    ],
)
def test_parse_period_forms(text, kind, count):
    period = parse_period(text)
    assert (period.kind, period.count, period.text) == (kind, count, text)


@pytest.mark.parametrize("text", ["5 working", "five days", "0 days", "2024-02-30", "2024-08-23 25:00", "yearly", "",
                                  "3 weeks"])
def test_parse_period_errors(text):
    with pytest.raises(ValueError, match="可用的写法") as caught:
        parse_period(text)
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize("text", ["2024-08-23 before", "yearly for 3 years before", "5 days after"])
def test_parse_offset_errors(text):
    with pytest.raises(InvalidInput, match="可用的写法"):
        parse_offset(text)


def test_period_values_are_checked():
    with pytest.raises(ValueError):
        Period(kind="weeks", count=2, text="2 weeks")
    with pytest.raises(ValueError):
        Period(kind="deadline", count=0, text="x")


@pytest.mark.parametrize(
    ("text", "counts", "phrase"),
    [
        ("5 working days", False, "5个工作日（公示当日不计）"),
        ("5 working days", True, "5个工作日（公示当日计入）"),
        ("7天", False, "7个自然日（公示当日不计）"),
        ("2024-08-23 15:00", False, "截止时间 2024-08-23 15:00"),
        ("2024-08-23", False, "截止时间 2024-08-23 24:00"),
        ("每年 3 年", False, "每年一次，共3年（逢周年日）"),
    ],
)
def test_describe(text, counts, phrase):
    assert describe(parse_period(text), counts) == phrase
