"""The notice parser against the real notices of 2015-2026, and against notices that disagree with themselves.

tests/data/notices/YYYY.txt are the State Council's notices written the way gov.cn prints them (title,
document number, preamble, numbered items, closing paragraph, signature), typed from the official
arrangements. Three years carry a later official change, written into the item it changed, because
`chinesecalendar` (the yardstick) holds the changed arrangement:

- 2015: the 70th anniversary of the victory of the War of Resistance (国务院 notice of May 2015:
  9月3日至5日放假调休, 9月6日上班) is added as item 八;
- 2019: 劳动节 as changed in March 2019 (5月1日至4日, 4月28日、5月5日上班);
- 2020: 春节 as extended in January 2020 to 2月2日 (the 2月1日 make-up day dropped).

The day-by-day comparison with chinesecalendar, for every day of 2015-2026, is what proves both the
texts and the parser right: neither was derived from the package.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from award.workflow.timing.calendar import _PACKAGE_NAMES, OfficialCalendar
from award.workflow.timing.calendar_years import notice_yaml
from award.workflow.timing.clock import parse_moment
from award.workflow.timing.notice_text import NoticeError, parse_notice

NOTICES = Path(__file__).resolve().parent.parent / "data" / "notices"
YEARS = range(2015, 2027)


def notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def compare_with_package(calendar: OfficialCalendar, first: date, last: date) -> list[str]:
    """Every day on which the calendar and chinesecalendar disagree (working or not; the holiday's name)."""
    wrong = []
    day = first
    while day <= last:
        ours = calendar.day(day)
        is_off, english = chinese_calendar.get_holiday_detail(day)
        if ours.working == is_off:
            wrong.append(f"{day}: ours {ours.reason}, package {'off' if is_off else 'working'} {english}")
        elif english is not None and ours.kind in ("holiday", "makeup") and _PACKAGE_NAMES[english] not in (
                ours.holiday or ""):
            wrong.append(f"{day}: ours {ours.holiday}, package {english}")
        elif english is not None and day.weekday() < 5 and is_off and ours.kind != "holiday":
            wrong.append(f"{day}: package says {english}, ours {ours.reason}")
        day += timedelta(days=1)
    return wrong


def test_every_day_of_2015_to_2026_matches_chinesecalendar(tmp_path):
    office = tmp_path / "calendars"
    office.mkdir()
    for year in YEARS:
        parsed = parse_notice(notice(year))
        assert parsed.year == year
        assert parsed.title.startswith(f"国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year - 1}〕")
        assert parsed.published is not None and parsed.published.year == year - 1
        text = notice_yaml(parsed, imported_by="wang", imported_at=parse_moment("2026-12-01 09:00"))
        (office / f"{year}.yaml").write_text(text, encoding="utf-8")
    # files only: a day the files do not name must not be answered by the package being compared against
    calendar = OfficialCalendar(files_dir=tmp_path / "no-bundled-files", office_dir=office, use_package=False)
    assert [p for p in calendar.problems() if "no-bundled-files" not in p.file] == []
    assert compare_with_package(calendar, date(2015, 1, 1), date(2026, 12, 31)) == []
    assert calendar.day(date(2018, 12, 29)).source == "办公数据/calendars/2019.yaml"  # the 2019 notice's


@pytest.mark.parametrize("year", YEARS)
def test_each_notice_alone_matches_chinesecalendar_for_the_days_it_governs(year, tmp_path):
    parsed = parse_notice(notice(year))
    for day, (kind, _name) in parsed.days().items():
        assert chinese_calendar.is_workday(day) == (kind == "makeup"), (year, day, kind)
    office = tmp_path / "calendars"
    office.mkdir()
    (office / f"{year}.yaml").write_text(notice_yaml(parsed, imported_by="wang",
                                                      imported_at=parse_moment("2026-12-01 09:00")), encoding="utf-8")
    calendar = OfficialCalendar(files_dir=tmp_path / "none", office_dir=office, use_package=False)
    # up to the days next year's notice may claim (2018's last three belong to the 2019 notice)
    assert compare_with_package(calendar, date(year, 1, 1), date(year, 12, 28)) == []


# --- the forms the notices use --------------------------------------------------------------------


def days_of(item: str, year: int = 2026) -> dict[date, str]:
    parsed = parse_notice(f"国务院办公厅关于{year}年部分节假日安排的通知\n　　一、{item}\n")
    return {day: kind for day, (kind, _name) in parsed.days().items()}


def d(text: str) -> date:
    return date.fromisoformat(text)


def span(first: str, last: str) -> list[date]:
    return [d(first) + timedelta(days=i) for i in range((d(last) - d(first)).days + 1)]


def test_range_with_make_up_day_and_weekday_brackets():
    got = days_of("元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。")
    assert got == {**dict.fromkeys(span("2026-01-01", "2026-01-03"), "holiday"), d("2026-01-04"): "makeup"}


def test_one_day_without_make_up():
    assert days_of("元旦：1月1日（周三）放假1天，不调休。", 2025) == {d("2025-01-01"): "holiday"}


def test_lunar_annotations_and_two_make_up_days():
    got = days_of("春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。"
                  "2月14日（周六）、2月28日（周六）上班。")
    assert [k for k, v in got.items() if v == "holiday"] == span("2026-02-15", "2026-02-23")
    assert sorted(k for k, v in got.items() if v == "makeup") == [d("2026-02-14"), d("2026-02-28")]


def test_range_across_the_year_boundary():
    got = days_of("元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。", 2019)
    assert got == {d("2018-12-30"): "holiday", d("2018-12-31"): "holiday", d("2019-01-01"): "holiday",
                   d("2018-12-29"): "makeup"}


def test_with_the_weekend_takes_in_the_adjacent_saturday_and_sunday():
    assert days_of("劳动节：5月1日放假，与周末连休。", 2015) == dict.fromkeys(span("2015-05-01", "2015-05-03"), "holiday")
    assert days_of("端午节：6月10日与周末连休。", 2024) == dict.fromkeys(span("2024-06-08", "2024-06-10"), "holiday")


def test_combined_holidays_keep_both_names():
    parsed = parse_notice("国务院办公厅关于2025年部分节假日安排的通知\n六、国庆节、中秋节：10月1日（周三）至8日（周三）"
                          "放假调休，共8天。9月28日（周日）、10月11日（周六）上班。")
    [holiday] = parsed.holidays
    assert holiday.name == "国庆节、中秋节"
    assert holiday.off == ((d("2025-10-01"), d("2025-10-08")),)
    assert holiday.makeup == (d("2025-09-28"), d("2025-10-11"))


def test_substitute_day_off_and_a_weekend_between():
    assert days_of("端午节：6月20日放假，6月22日（星期一）补休。", 2015) == dict.fromkeys(
        span("2015-06-20", "2015-06-22"), "holiday")


def test_saturday_written_as_xingqiliu_or_zhouliu_alike():
    a = days_of("国庆节：10月1日至7日放假调休，共7天。10月10日（星期六）上班。")
    b = days_of("国庆节：10月1日至7日放假调休，共7天。10月10日（周六）上班。")
    assert a == b and a[d("2026-10-10")] == "makeup"


def test_advice_without_an_arrangement_is_not_a_holiday():
    got = days_of("春节：2月10日至17日放假调休，共8天。2月4日（周日）、2月18日（周日）上班。"
                  "鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息。", 2024)
    assert d("2024-02-09") not in got


def test_text_pasted_on_one_line_with_full_width_digits():
    parsed = parse_notice("国务院办公厅关于２０２６年部分节假日安排的通知 一、元旦：１月１日（周四）至３日（周六）放假调休，共３天。"
                          "１月４日（周日）上班。 二、清明节：4月4日（周六）至6日（周一）放假，共3天。 节假日期间，各地区要安排好值班。")
    assert [h.name for h in parsed.holidays] == ["元旦", "清明节"]


# --- texts that disagree with themselves ----------------------------------------------------------

BAD = [
    pytest.param("一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。", "1月1日（周五）至3日（周六）放假调休",
                 "是星期四", id="wrong_weekday"),
    pytest.param("一、国庆节：10月1日（周四）至7日（周三）放假调休，共8天。", "共8天", "共 7 天", id="wrong_day_count"),
    pytest.param("一、元旦：1月1日（周四）放假2天。", "放假2天", "共 1 天", id="wrong_count_in_fang_jia"),
    pytest.param("一、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。10月14日（周三）上班。", "10月14日（周三）上班",
                 "星期三", id="make_up_day_on_a_wednesday"),
    pytest.param("一、国庆节：10月1日至7日放假调休，共7天。10月4日（周日）上班。", "10月4日（周日）上班", "既是放假日又是调休上班日",
                 id="day_both_off_and_on"),
    pytest.param("一、春节：2月15日至23日放假调休，共9天。\n二、元宵节：2月23日放假。", "元宵节", "已是春节的放假日",
                 id="two_holidays_on_one_day"),
    pytest.param("一、春节：2月30日放假。", "2月30日", "不是有效的日期", id="no_such_date"),
    pytest.param("二、春节：2月15日（农历腊月二十七、周日）至23日（农历正月初七、周一）放假调休，共9天。", "农历腊月二十七",
                 "是农历腊月廿八", id="wrong_lunar_date"),
    pytest.param("二、春节：2月15日（农历除夕、周日）至23日（农历正月初七、周一）放假调休，共9天。", "2月15日（农历除夕、周日）",
                 "不是除夕", id="wrong_new_year_eve"),
    pytest.param("一、元旦：1月3日至1日放假。", "1月3日至1日", "晚于末日", id="range_backwards"),
    pytest.param("一、元旦：1月1日至3日放假调休，共3天，另1月5日调整。", "另1月5日调整", "无法理解", id="unknown_clause"),
]


@pytest.mark.parametrize("items,sentence,reason", BAD)
def test_a_notice_that_disagrees_with_itself_is_refused_with_the_sentence(items, sentence, reason):
    with pytest.raises(NoticeError) as caught:
        parse_notice("国务院办公厅关于2026年部分节假日安排的通知\n" + items)
    assert sentence in str(caught.value)
    assert reason in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_text_without_its_year_or_items_is_refused():
    with pytest.raises(NoticeError, match="找不到通知的年份"):
        parse_notice("一、元旦：1月1日放假。")
    assert parse_notice("一、元旦：1月1日（周五）放假。", year=2027).year == 2027
    with pytest.raises(NoticeError, match="找不到任何假期安排"):
        parse_notice("国务院办公厅关于2027年部分节假日安排的通知\n经国务院批准，现将安排通知如下。")
    with pytest.raises(NoticeError, match="不一致"):
        parse_notice(notice(2026), year=2027)


def test_the_whole_gov_cn_page_pasted_with_its_index_header_and_footer():
    page = ("索 引 号：000014349/2025-00099　主题分类：综合政务\\其他\n发文机关：国务院办公厅　成文日期：2025年11月04日\n"
            "标　　题：国务院办公厅关于2026年部分节假日安排的通知\n发文字号：国办发明电〔2025〕7号　发布日期：2025年11月04日\n\n"
            + notice(2026) + "\n【我要纠错】 责任编辑：某某\n扫一扫在手机打开当前页\n")
    parsed = parse_notice(page)
    assert parsed.year == 2026 and parsed.title.endswith("（国办发明电〔2025〕7号）")
    assert parsed.days() == parse_notice(notice(2026)).days()
