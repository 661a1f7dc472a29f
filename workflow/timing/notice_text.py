"""Read the State Council's holiday notice as gov.cn prints it, and check it against itself.

The General Office of the State Council publishes 《国务院办公厅关于YYYY年部分节假日安排的通知》 every
November or December. An office pastes its text (from the web page) into a file or stdin, and
`parse_notice` turns it into that year's arrangement, in the shape of a calendar file
(`definitions/calendars/README.md`). Nothing here touches the database or the disk.

The notices use a small number of sentence forms, all of which are understood, e.g.:

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    一、元旦：1月1日（周三）放假1天，不调休。
    一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
    三、清明节：4月5日放假，4月6日（星期一）补休。
    四、劳动节：5月1日放假，与周末连休。
    五、端午节：6月10日与周末连休。
    六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。

The text is checked against itself before anything is saved: the weekday in brackets must be the
date's weekday, a lunar date in brackets (农历腊月二十八, 农历除夕) the date's lunar date (checked with
`lunar_python`, imported only here), 共N天 / 放假N天 must be the length of the range, a make-up day must
be a Saturday or Sunday, no day may be both off and on, and every sentence that speaks of 放假 / 补休 / 上班 must be
understood. Any disagreement raises `NoticeError` quoting the sentence, and nothing is returned.

The sentence grammar is written by hand: no library parses these notices (chinesecalendar ships finished
tables, and is the yardstick the tests hold this parser to).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..errors import InvalidInput

__all__ = ["Holiday", "Notice", "NoticeError", "parse_notice"]

_WEEKDAYS = "一二三四五六日"
_WEEKDAY_OF = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_NUMERALS = "一二三四五六七八九十"
_ITEM = re.compile(rf"(?:^|(?<=[\s。；]))[{_NUMERALS}]{{1,3}}[、.．]\s*([^：:。\n]{{1,60}}?)\s*[：:]")
_TITLE = re.compile(r"国务院办公厅关于\s*(\d{4})\s*年部分节假日安排的通知")
_YEAR_HINT = re.compile(r"现将\s*(\d{4})\s*年")
_NUMBER = re.compile(r"国办发明电\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
_SIGNED = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日(?:\s*[（(]([^）)]*)[）)])?")
_WEEKDAY_NOTE = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_LUNAR_NOTE = re.compile(r"农历\s*(?:(?P<eve>除夕)|(?:(?P<month>闰?[正一二三四五六七八九十冬腊]{1,2})月)?"
                         r"(?P<day>初[一二三四五六七八九十]|[二三]?十[一二三四五六七八九]?|廿[一二三四五六七八九十]))")
_LUNAR_MONTHS = {"正": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
                 "十一": 11, "冬": 11, "十二": 12, "腊": 12}
_COUNT = re.compile(r"(?:共|放假)\s*(\d+)\s*天")
_KEYWORDS = ("放假", "补休", "上班", "连休", "调休")
_LONGEST = 15
_FULLWIDTH = str.maketrans("０１２３４５６７８９，；：", "0123456789,;:")


class NoticeError(InvalidInput):
    """The notice text cannot be read, or disagrees with itself (exit 2: the text given is wrong)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Holiday:
    """One item of the notice: a holiday (or combined holidays), its days off and its make-up days."""

    name: str
    off: tuple[tuple[date, date], ...]
    makeup: tuple[date, ...] = ()
    sentence: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Notice:
    """A whole year's arrangement as the notice states it.

    Attributes:
        year: the notice's year (its days may reach into December of the year before).
        title: 《…》 with its document number when the text carries one.
        published: the date the notice is signed, when the text ends with it.
        holidays: the items in the order of the notice.
    """

    year: int
    title: str
    published: date | None
    holidays: tuple[Holiday, ...] = field(default_factory=tuple)

    def days(self) -> dict[date, tuple[str, str]]:
        """Every day the notice names: date -> ("holiday" | "makeup", holiday name)."""
        out: dict[date, tuple[str, str]] = {}
        for holiday in self.holidays:
            for first, last in holiday.off:
                for offset in range((last - first).days + 1):
                    out[first + timedelta(days=offset)] = ("holiday", holiday.name)
            for day in holiday.makeup:
                out[day] = ("makeup", holiday.name)
        return out


def parse_notice(text: str, *, year: int | None = None) -> Notice:
    """Turn the text of one year's notice into its arrangement, or refuse with the offending sentence.

    Args:
        text: the notice as published (title, items, signature; surrounding page text is ignored).
        year: the year, when the text lacks its title (else it must agree with the title).

    Raises:
        NoticeError: the year cannot be found, no item is found, or a sentence is not understood or
            disagrees with itself.
    """
    text = _normalise(text)
    title_match = _TITLE.search(text)
    found = int(title_match.group(1)) if title_match else None
    if found is None and (hint := _YEAR_HINT.search(text)):
        found = int(hint.group(1))
    if year is not None and found is not None and year != found:
        raise NoticeError(f"指定的年份 {year} 与通知中的年份 {found} 不一致；请核对所粘贴的是哪一年的通知")
    year = year or found
    if year is None:
        raise NoticeError("找不到通知的年份：文本中应有标题《国务院办公厅关于YYYY年部分节假日安排的通知》"
                          "（或用 --year 指定年份）")
    if not 2000 <= year <= 2200:
        raise NoticeError(f"年份 {year} 不合理；请核对通知标题")
    number = _NUMBER.search(text)
    title = f"国务院办公厅关于{year}年部分节假日安排的通知"
    if number:
        title += "（" + re.sub(r"\s+", "", number.group(0)) + "）"
    holidays = tuple(_items(text, year))
    if not holidays:
        raise NoticeError("通知中找不到任何假期安排：应有“一、元旦：1月1日放假……”这样的条目，"
                          "请把通知正文完整粘贴进来")
    _check_overlaps(holidays)
    return Notice(year=year, title=title, published=_signed(text, year), holidays=holidays)


# -- items and sentences ------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")
    return text.translate(_FULLWIDTH).replace(",", "，").replace(";", "；").replace(":", "：")


def _items(text: str, year: int) -> Iterator[Holiday]:
    matches = list(_ITEM.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = text[match.end():end]
        if index + 1 == len(matches):  # the last item ends where the closing paragraph begins
            body = re.split(r"\n\s*\n|节假日期间", body)[0]
        name = re.sub(r"\s+", "", match.group(1))
        holiday = _item(name, " ".join(body.split()), year)
        if holiday is not None:
            yield holiday


def _item(name: str, body: str, year: int) -> Holiday | None:
    """One numbered item: its sentences, each with dates and what they say of them."""
    off: set[date] = set()
    makeup: list[date] = []
    quoted = f"{name}：{body}".strip()
    understood = False
    for sentence in _sentences(body):
        if not any(word in sentence for word in _KEYWORDS):
            continue  # e.g. "鼓励各单位……安排职工在除夕（2月9日）休息": advice, no arrangement
        understood = True
        where = f"“{name}：{sentence}”"
        last_month: int | None = None
        sentence_off: list[date] = []
        for clause in _clauses(sentence):
            dates = list(_dates(clause, year, last_month, where))
            if dates:
                last_month = dates[-1][0].month
            days = [d for d, _ in dates]
            if clause.endswith("上班"):
                if not days:
                    raise NoticeError(f"{where}：说“上班”却没有写明日期")
                for day in days:
                    if day.weekday() < 5:
                        raise NoticeError(f"{where}：调休上班日 {_show(day)} 是星期{_WEEKDAYS[day.weekday()]}，"
                                          "调休上班日只能是星期六或星期日；请核对通知原文")
                makeup += days
            elif "连休" in clause and not days:
                if not sentence_off:
                    raise NoticeError(f"{where}：说“与周末连休”却没有写明哪天放假")
                sentence_off = _with_weekends(sentence_off)
            elif "放假" in clause or "补休" in clause or "连休" in clause:
                if not days:
                    raise NoticeError(f"{where}：说“放假”却没有写明日期")
                span = _span(clause, dates, where)
                if "连休" in clause:
                    span = _with_weekends(span)
                sentence_off += span
                _check_count(clause, span, where)
            elif (count := _COUNT.fullmatch(clause)) is not None:
                if len(set(sentence_off)) != int(count.group(1)):
                    raise NoticeError(f"{where}：写的是共{count.group(1)}天，但所列放假日期共 "
                                      f"{len(set(sentence_off))} 天；请核对通知原文")
            elif clause in ("不调休", "调休"):
                continue
            elif days:
                raise NoticeError(f"{where}：无法理解“{clause}”；本程序认识的写法见 award calendar import --help")
        off.update(sentence_off)
    if not understood:
        return None
    if not off:
        raise NoticeError(f"“{quoted}”：没有找到放假日期")
    both = sorted(set(makeup) & off)
    if both:
        raise NoticeError(f"“{quoted}”：{_show(both[0])} 既是放假日又是调休上班日；请核对通知原文")
    return Holiday(name=name, off=_ranges(off), makeup=tuple(sorted(set(makeup))), sentence=quoted)


def _sentences(body: str) -> list[str]:
    return [part.strip(" ，") for part in re.split(r"[。；]", body) if part.strip(" ，")]


def _clauses(sentence: str) -> list[str]:
    """Split at commas that are not inside brackets (`（农历正月初七，星期日）` stays whole)."""
    out, depth, current = [], 0, ""
    for char in sentence:
        depth += char in "（("
        depth -= char in "）)"
        if char == "，" and depth <= 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    out.append(current.strip())
    return [clause for clause in out if clause]


def _dates(clause: str, year: int, month: int | None, where: str) -> Iterator[tuple[date, str]]:
    """The dates of a clause with the text of each; a weekday in brackets must be the date's."""
    current_year = year
    for match in _DATE.finditer(clause):
        y, m, d, note = match.groups()
        if y:
            current_year = int(y)
        if m:
            month = int(m)
        if month is None:
            raise NoticeError(f"{where}：“{match.group(0)}”没有写月份")
        try:
            day = date(current_year, month, int(d))
        except ValueError:
            raise NoticeError(f"{where}：“{match.group(0)}”不是有效的日期") from None
        if not date(year - 1, 12, 1) <= day <= date(year, 12, 31):
            raise NoticeError(f"{where}：{_show(day)} 不属于 {year} 年的节假日安排")
        if note:
            for weekday in _WEEKDAY_NOTE.findall(note):
                if _WEEKDAY_OF[weekday] != day.weekday():
                    raise NoticeError(f"{where}：{_show(day)} 是星期{_WEEKDAYS[day.weekday()]}，"
                                      f"不是括号中写的“{note}”；请核对通知原文")
            _check_lunar(day, note, where)
        yield day, match.group(0)


def _check_lunar(day: date, note: str, where: str) -> None:
    """A lunar date in brackets (农历腊月二十八 / 农历正月初七 / 农历除夕) must be the date's (lunar_python)."""
    match = _LUNAR_NOTE.search(note)
    if match is None:
        return
    from lunar_python import Solar

    solar = Solar.fromYmd(day.year, day.month, day.day)
    lunar = solar.getLunar()
    month, day_of_month = abs(lunar.getMonth()), lunar.getDay()
    actual = f"农历{lunar.getMonthInChinese()}月{lunar.getDayInChinese()}"
    if match.group("eve"):
        following = solar.next(1).getLunar()
        if not (month == 12 and (following.getMonth(), following.getDay()) == (1, 1)):
            raise NoticeError(f"{where}：{_show(day)} 是{actual}，不是除夕；请核对通知原文")
        return
    wanted_month = _LUNAR_MONTHS.get(match.group("month") or "")
    wanted_day = _lunar_day(match.group("day"))
    if wanted_day is None or (match.group("month") and wanted_month is None):
        return  # a form not known here: the weekday check still holds the date
    if wanted_day != day_of_month or (wanted_month is not None and wanted_month != month):
        raise NoticeError(f"{where}：{_show(day)} 是{actual}，不是括号中写的“{match.group(0)}”；请核对通知原文")


def _lunar_day(text: str | None) -> int | None:
    """初一..初十, 十一..十九, 二十/廿十, 廿一../二十一.., 三十 as a number."""
    if not text:
        return None
    digits = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}
    if text.startswith("初") and len(text) == 2:
        return 10 if text[1] == "十" else digits.get(text[1])
    if text == "十":
        return 10
    if text in ("二十", "廿十"):
        return 20
    if text == "三十":
        return 30
    for prefix, tens in (("廿", 20), ("二十", 20), ("十", 10), ("三十", 30)):
        rest = text[len(prefix):]
        if text.startswith(prefix) and len(rest) == 1 and rest in digits:
            return tens + digits[rest]
    return None


def _span(clause: str, dates: list[tuple[date, str]], where: str) -> list[date]:
    """`A至B…` is the range A..B; otherwise every date named is off."""
    days = [d for d, _ in dates]
    if "至" in clause and len(days) == 2 and clause.index("至") < clause.index(dates[1][1]):
        first, last = days
        if last < first:
            raise NoticeError(f"{where}：放假首日 {_show(first)} 晚于末日 {_show(last)}")
        if (last - first).days >= _LONGEST:
            raise NoticeError(f"{where}：放假区间超过 {_LONGEST} 天，请核对日期")
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if "至" in clause:
        raise NoticeError(f"{where}：“{clause}”中的起止日期无法识别（应写作“1月1日至3日放假”）")
    return days


def _check_count(clause: str, span: list[date], where: str) -> None:
    count = _COUNT.search(clause)
    if count is not None and int(count.group(1)) != len(set(span)):
        raise NoticeError(f"{where}：写的是{count.group(0)}，但所列放假日期共 {len(set(span))} 天；请核对通知原文")


def _with_weekends(days: list[date]) -> list[date]:
    """与周末连休: the Saturday and Sunday next to the days off are part of the holiday."""
    first, last = min(days), max(days)
    while (first - timedelta(days=1)).weekday() >= 5:
        first -= timedelta(days=1)
    while (last + timedelta(days=1)).weekday() >= 5:
        last += timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _ranges(days: set[date]) -> tuple[tuple[date, date], ...]:
    """Consecutive days (a weekend in between joins them: 6月20日（周六）放假，22日（周一）补休)."""
    ordered = sorted(days)
    out: list[list[date]] = [[ordered[0], ordered[0]]]
    for day in ordered[1:]:
        gap = [out[-1][1] + timedelta(days=i) for i in range(1, (day - out[-1][1]).days)]
        if all(g.weekday() >= 5 for g in gap):
            out[-1][1] = day
        else:
            out.append([day, day])
    return tuple((first, last) for first, last in out)


def _check_overlaps(holidays: tuple[Holiday, ...]) -> None:
    seen: dict[date, tuple[str, Holiday]] = {}
    for holiday in holidays:
        named = [(d, "放假日") for first, last in holiday.off
                 for d in (first + timedelta(days=i) for i in range((last - first).days + 1))]
        for day, what in [*named, *((d, "调休上班日") for d in holiday.makeup)]:
            if day in seen and seen[day][1] is not holiday:
                other_what, other = seen[day]
                raise NoticeError(f"“{holiday.sentence}”：{_show(day)} 已是{other.name}的{other_what}，"
                                  f"不能又是{holiday.name}的{what}；请核对通知原文")
            seen[day] = (what, holiday)


def _signed(text: str, year: int) -> date | None:
    """The date under the signature (国务院办公厅 / 2025年11月4日), if the text ends with it."""
    for line in reversed([line.strip() for line in text.split("\n") if line.strip()][-4:]):
        match = _SIGNED.search(line)
        if match:
            try:
                signed = date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
            return signed if year - 2 <= signed.year <= year else None
    return None


def _show(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
