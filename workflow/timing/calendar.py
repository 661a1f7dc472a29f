"""The official working-day calendar: which days are working days in China, and why.

Each year the General Office of the State Council publishes a notice (国务院办公厅关于 Y 年部分节假日安排的
通知) that makes some weekdays holidays and some weekend days make-up working days (调休上班). Nothing can
be derived from weekdays alone, so `OfficialCalendar` answers only from official data:

1. the office's own calendar years in the office data folder (`<AWARD_HOME>/calendars/<year>.yaml`),
   written by `award calendar import` from the notice text; they survive a reinstall, and an office
   year replaces the bundled file of the same year;
2. the bundled, read-only files in `definitions/calendars/<year>.yaml` (format:
   `definitions/calendars/README.md`); a file replaces the package for its notice's year, and a day a
   file names always wins (the 2006 file fixes 2005-12-31, which the package has wrong);
3. the `chinesecalendar` package, imported on first use so that the CLI starts light.

A year none covers is an error (`CalendarYearUnknown`) naming `award calendar import` and the office
folder; it is never guessed.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from ..abc import Calendar
from ..errors import CalendarYearUnknown, Problem
from ..logs import logger
from ..values import DayInfo

__all__ = ["IMPORT_COMMAND", "OFFICE_LABEL", "PROVISIONAL_FROM", "OfficialCalendar", "scan_working_days"]

_LOGGER = logger(__name__)

PROVISIONAL_FROM = (12, 20)
"""(month, day) from which a day is provisional while next year's notice is unknown.

Next year's notice may move New-Year days into late December: the earliest so far is 12-29 (2007 and
2018), and a notice has come out as late as December 16 (the 2006 one). December 20 leaves over a week of
margin before the earliest day ever moved, without flagging most of December for nothing.
"""

_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_NEW_YEAR = "元旦"
_FILE_KEYS = ("year", "notice", "published", "url", "imported_by", "imported_at", "holidays")
IMPORT_COMMAND = "award calendar import 通知文本文件"
OFFICE_LABEL = "办公数据"
"""The prefix of an office year's source (`办公数据/calendars/2027.yaml`), shown in bases and `calendar day`."""
_HOLIDAY_KEYS = ("name", "off", "makeup")
_LONGEST_HOLIDAY = 15
_WEEKDAYS = "一二三四五六日"
_Report = Callable[[int | None, str], None]


@functools.cache
def _chinese_calendar() -> ModuleType:
    """Import `chinese_calendar` on first use: it loads every year's table (the CLI must start fast)."""
    import chinese_calendar

    return cast(ModuleType, chinese_calendar)


def _bundled_dir() -> Path:
    """The calendar files shipped in the `definitions` package."""
    return Path(str(importlib.resources.files("award.definitions") / "calendars"))


@dataclass(frozen=True, kw_only=True, slots=True)
class _Entry:
    """One day a calendar file names: `holiday` (off) or `makeup` (working), with its holiday and line."""

    kind: str
    name: str
    source: str
    line: int


class OfficialCalendar(Calendar):
    """Working days by the State Council's arrangement, from calendar files and `chinesecalendar`.

    A file with any problem is not used at all, and `day()` raises `CalendarYearUnknown` for its year
    (with the problem in the message) rather than fall back to the package: the office wrote the file
    because it wants it to count, so answering from other data would hide the mistake. Other years
    still answer. `problems()` lists everything wrong, for `award definitions check`.

    Answers are cached per date (the package costs ~18 us per call); the instance is immutable once built.
    """

    def __init__(self, *, files_dir: Path | None = None, office_dir: Path | None = None,
                 use_package: bool = True) -> None:
        """Load and check every `*.yaml` file in `files_dir`, then in `office_dir` over them.

        Args:
            files_dir: the folder of read-only calendar files; the bundled `definitions/calendars/` by default.
            office_dir: the office's own calendar years (`home.path("calendars")`); a year there replaces
                the same year in `files_dir`. None: files_dir only (e.g. `award definitions check`).
            use_package: also answer from the `chinesecalendar` package (False: files only).
        """
        self._bundled = files_dir is None
        self._files_dir = _bundled_dir() if files_dir is None else Path(files_dir)
        self._office_dir = Path(office_dir) if office_dir is not None else None
        self._use_package = use_package
        self._entries: dict[date, _Entry] = {}
        self._file_years: dict[int, str] = {}
        self._broken: dict[int, list[Problem]] = {}
        self._problems: list[Problem] = []
        self._cache: dict[date, DayInfo] = {}
        self._loaded = False
        self._stamp: tuple[tuple[str, int, int], ...] = ()

    def _ensure_loaded(self) -> None:
        """Read the files on first use: most commands never ask about a day, so they do not pay for it."""
        if not self._loaded:
            self._loaded = True
            self._stamp = self._files_stamp()
            self._load()

    def refreshed(self) -> OfficialCalendar:
        """This calendar, or a new one when a calendar file was added, changed or removed since it was read.

        A long-running process (the scheduler) calls it before each tick, so that a year another process
        imported counts at once instead of after a restart; a few `stat` calls, nothing is re-read otherwise.
        """
        if not self._loaded or self._files_stamp() == self._stamp:
            return self
        _LOGGER.info("calendar files changed; reading them again")
        return OfficialCalendar(files_dir=None if self._bundled else self._files_dir, office_dir=self._office_dir,
                                use_package=self._use_package)

    def _files_stamp(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for folder in (self._files_dir, self._office_dir):
            if folder is not None and folder.is_dir():
                for path in sorted(folder.glob("*.yaml")):
                    try:
                        info = path.stat()
                    except OSError:
                        continue
                    out.append((str(path), info.st_mtime_ns, info.st_size))
        return tuple(out)

    @property
    def files_dir(self) -> Path:
        """The read-only calendar files (the bundled `definitions/calendars/` unless told otherwise)."""
        return self._files_dir

    @property
    def office_dir(self) -> Path | None:
        """Where the office's own calendar years live (None when this calendar has no office folder)."""
        return self._office_dir

    def year_source(self, year: int) -> str | None:
        """The file a year's arrangement comes from, the package's name, or None when the year is unknown."""
        self._ensure_loaded()
        if year in self._broken:
            return None
        if year in self._file_years:
            return self._file_years[year]
        return self._package_label() if year in self._package_years() else None

    def problems(self) -> list[Problem]:
        """Every problem found in the calendar files (empty when all are valid)."""
        self._ensure_loaded()
        return list(self._problems)

    def covered_years(self) -> tuple[int, ...]:
        """The years whose official arrangement is known, from valid files or the package.

        A year whose file has problems is not covered, even when the package knows it.
        """
        self._ensure_loaded()
        return tuple(sorted((set(self._file_years) | set(self._package_years())) - set(self._broken)))

    def day(self, day: date) -> DayInfo:
        """Tell whether a day is a working day, and why (cached per date).

        Raises:
            CalendarYearUnknown: when no valid file and not the package covers the day's year.
            TypeError: for a datetime (turn a moment into its Shanghai date with `clock.local_date`).
        """
        if isinstance(day, datetime):
            raise TypeError("day() takes a date; use workflow.clock.local_date(moment) for a moment")
        info = self._cache.get(day)
        if info is None:
            self._ensure_loaded()
            info = self._resolve(day)
            self._cache[day] = info
        return info

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`.

        Raises:
            CalendarYearUnknown: when a day it needs belongs to an unknown year.
        """
        return scan_working_days(self, day, 1, count_start=False)[-1].day

    def working_days_after(self, start: date, n: int, *, count_start: bool) -> date:
        """The nth counted working day from `start`.

        Args:
            start: the day counting starts from.
            n: how many working days to count (at least 1).
            count_start: whether `start` itself counts as day 1 when it is a working day.

        Raises:
            CalendarYearUnknown: when a day it needs belongs to an unknown year.
        """
        return scan_working_days(self, start, n, count_start=count_start)[-1].day

    def count_working_days(self, first: date, last: date) -> int:
        """How many working days lie in `first`..`last`, both included (0 when last < first).

        Raises:
            CalendarYearUnknown: when a day in the range belongs to an unknown year.
        """
        return sum(self.day(first + timedelta(days=i)).working for i in range((last - first).days + 1))

    # -- answering ------------------------------------------------------------------------------------

    def _resolve(self, day: date) -> DayInfo:
        provisional = (day.month, day.day) >= PROVISIONAL_FROM and not self._covers(day.year + 1)
        entry = self._entries.get(day)
        if entry is not None:
            return _info(day, entry.kind, entry.name, entry.source, provisional)
        if day.year in self._broken:
            raise self._unknown(day.year)
        answer = self._package_answer(day)
        notice_year = day.year
        if answer is not None:
            kind, name = answer
            if name == _NEW_YEAR and day.month == 12:
                notice_year = day.year + 1  # next year's New Year arrangement reaching into December
            if notice_year not in self._file_years:
                return _info(day, kind, name, self._package_label(), provisional)
        elif day.year not in self._file_years:
            raise self._unknown(day.year)
        # A file replaces the package for its notice year: a day it does not name is an ordinary day.
        source = self._file_years.get(notice_year) or self._file_years.get(day.year) or self._package_label()
        kind = "weekend" if day.weekday() >= 5 else "workday"
        return _info(day, kind, None, source, provisional)

    def _package_answer(self, day: date) -> tuple[str, str | None] | None:
        """(kind, Chinese holiday name) by the package, or None when it has no data for the year."""
        if not self._use_package:
            return None
        try:
            is_off, english = _chinese_calendar().get_holiday_detail(day)
        except NotImplementedError:
            return None
        if english is None:
            return ("weekend" if is_off else "workday"), None
        name = _PACKAGE_NAMES.get(english)
        if name is None:
            _LOGGER.warning("chinesecalendar names an unknown holiday %r on %s", english, day)
            name = str(english)
        return ("holiday" if is_off else "makeup"), name

    def _package_years(self) -> range:
        if not self._use_package:
            return range(0)
        known = _chinese_calendar().holidays
        return range(min(known).year, max(known).year + 1)

    def _package_label(self) -> str:
        return f"chinesecalendar {_chinese_calendar().__version__}"

    def _covers(self, year: int) -> bool:
        if year in self._broken:
            return False
        return year in self._file_years or year in self._package_years()

    def _unknown(self, year: int) -> CalendarYearUnknown:
        if year in self._broken:
            found = "；".join(str(p) for p in self._broken[year][:3])
            hint = (f"该年的日历文件有误，未采用：{found}。请修正该文件（或用 {IMPORT_COMMAND} 重新导入），"
                    "再重试本操作")
        else:
            notice = f"请在国务院办公厅公布《关于{year}年部分节假日安排的通知》后，把通知全文存为文本文件，用 {IMPORT_COMMAND} 导入"
            if self._office_dir is not None:
                hint = f"{notice}（保存在办公数据目录 {self._office_dir}，重装软件不会丢失）"
            else:
                where = f"definitions/calendars/{year}.yaml" if self._bundled else str(self._files_dir / f"{year}.yaml")
                hint = f"{notice}，或在 {where} 中添加（格式见 definitions/calendars/README.md）"
            hint += "。本次操作未生效，导入后重试即可"
        return CalendarYearUnknown(year, hint)

    # -- loading --------------------------------------------------------------------------------------

    def _load(self) -> None:
        if not self._files_dir.is_dir():
            self._problems.append(Problem(file=str(self._files_dir), line=None, reason="日历文件目录不存在"))
        years = self._read_dir(self._files_dir, f"{self._files_dir.name}/") if self._files_dir.is_dir() else {}
        if self._office_dir is not None and self._office_dir.is_dir():
            # an office year replaces the bundled file of the same year, December days and all
            years |= self._read_dir(self._office_dir, f"{OFFICE_LABEL}/{self._office_dir.name}/")
        for year, (label, entries, problems) in sorted(years.items()):
            for day, entry in (entries or {}).items():
                if (other := self._entries.get(day)) is not None:
                    problems.append(Problem(file=label, line=entry.line, reason=f"{day} 已在 {other.source} 中列出"))
            self._problems += sorted(problems, key=lambda problem: problem.line or 0)
            if problems or entries is None:
                self._broken[year] = problems
            else:
                self._entries.update(entries)
                self._file_years[year] = label
                _LOGGER.debug("calendar file %s: %d days", label, len(entries))

    def _read_dir(self, folder: Path, prefix: str) -> dict[int, tuple[str, dict[date, _Entry] | None, list[Problem]]]:
        """Every calendar file of one folder by year; a file whose year cannot be told is only a problem."""
        out: dict[int, tuple[str, dict[date, _Entry] | None, list[Problem]]] = {}
        for path in sorted(folder.glob("*.yaml")):
            label = f"{prefix}{path.name}"
            year, entries, problems = _read_file(path, label)
            if year is None:
                self._problems += problems
            else:
                out[year] = (label, entries, problems)
        return out


def scan_working_days(calendar: Calendar, start: date, n: int, *, count_start: bool,
                      backward: bool = False) -> list[DayInfo]:
    """Walk day by day from `start` to the nth counted working day, returning every day consulted.

    Periods need the consulted days, not only the result: any provisional one makes the due time
    provisional, and their sources go into the timer's basis.

    Args:
        calendar: the working-day calendar.
        start: the day counting starts from.
        n: how many working days to count (at least 1).
        count_start: whether `start` itself is day 1 when it is a working day; else counting begins
            with the next working day.
        backward: walk towards the past (for reminders before a due time).

    Returns:
        The consulted days in walking order; the last one is the nth counted working day.

    Raises:
        CalendarYearUnknown: when a day it needs belongs to an unknown year.
        ValueError: when n < 1.
    """
    if n < 1:
        raise ValueError(f"至少要数 1 个工作日，而不是 {n}")
    step = timedelta(days=-1 if backward else 1)
    day = start if count_start else start + step
    consulted: list[DayInfo] = []
    while True:
        info = calendar.day(day)
        consulted.append(info)
        if info.working:
            n -= 1
            if n == 0:
                return consulted
        day += step


def _info(day: date, kind: str, name: str | None, source: str, provisional: bool) -> DayInfo:
    reasons = {"workday": "工作日", "weekend": "周末", "holiday": f"{name}放假", "makeup": f"调休上班（{name}）"}
    return DayInfo(day=day, working=kind in ("workday", "makeup"), kind=kind, reason=reasons[kind],
                   holiday=name, source=source, provisional=provisional)


# -- calendar files -----------------------------------------------------------------------------------


def _read_file(path: Path, label: str) -> tuple[int | None, dict[date, _Entry] | None, list[Problem]]:
    """Parse and check one calendar file strictly.

    Returns:
        Its year as far as known, the days it names (None when unreadable), and every problem found.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    problems: list[Problem] = []

    def bad(line: int | None, reason: str) -> None:
        problems.append(Problem(file=label, line=line, reason=reason))

    year = int(path.stem) if re.fullmatch(r"\d{4}", path.stem) else None
    if year is None:
        bad(None, f"文件名应为 <年份>.yaml（如 2027.yaml），而不是 {path.name}")
    from ..errors import DefinitionError
    from ..specs.limits import read_utf8

    try:
        _raw, text = read_utf8(path, "日历文件")
        data = YAML(typ="rt").load(text)
    except DefinitionError as exc:
        bad(exc.problem.line, exc.problem.reason)
        return year, None, problems
    except RecursionError:
        bad(None, "嵌套过深：日历文件只有 year、notice、published、holidays 几层")
        return year, None, problems
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        bad(mark.line + 1 if mark is not None else None, f"YAML 格式错误：{exc.problem}")
        return year, None, problems
    except (YAMLError, UnicodeError, OSError) as exc:
        bad(None, f"无法读取：{exc}")
        return year, None, problems
    except ValueError as exc:  # ruamel builds dates itself: 2026-02-30 fails with a bare ValueError
        line, word = _bad_date(text)
        bad(line, f"日期无效：{word or exc}")
        return year, None, problems
    if not isinstance(data, dict):
        bad(1, "文件内容应为映射，含 year、notice、published、holidays")
        return year, None, problems
    for key in data:
        if key not in _FILE_KEYS:
            bad(_key_line(data, key), f"未知的键 {key!r}；可用的键：{', '.join(_FILE_KEYS)}")
    declared = data.get("year")
    if not isinstance(declared, int) or isinstance(declared, bool):
        bad(_key_line(data, "year") or 1, "缺少 year，或 year 不是年份整数")
    elif year is not None and declared != year:
        bad(_key_line(data, "year"), f"year: {declared} 与文件名 {path.name} 不一致")
    else:
        year = declared
    for key, kind in (("notice", str), ("url", str), ("published", date), ("imported_by", str),
                      ("imported_at", str)):
        value = data.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, datetime) or value == ""):
            bad(_key_line(data, key), f"{key} 应为{'日期（如 2025-11-04）' if kind is date else '文字'}")
    holidays = data.get("holidays")
    if not isinstance(holidays, list):
        bad(_key_line(data, "holidays") or 1, "缺少 holidays，或它不是列表")
        holidays = []
    if year is None:
        return None, None, problems
    entries: dict[date, _Entry] = {}
    for index, item in enumerate(holidays):
        _read_holiday(item, _item_line(holidays, index), year, label, entries, bad)
    return year, entries, problems


def _read_holiday(item: Any, line: int, year: int, label: str, entries: dict[date, _Entry],
                  bad: _Report) -> None:
    """Check one entry of `holidays` and add its days to `entries`."""
    if not isinstance(item, dict):
        bad(line, "holidays 的每一项应为映射：{name: …, off: [首日, 末日], makeup: [调休上班日, …]}")
        return
    for key in item:
        if key not in _HOLIDAY_KEYS:
            bad(_key_line(item, key) or line, f"未知的键 {key!r}；可用的键：{', '.join(_HOLIDAY_KEYS)}")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        bad(line, "缺少节日名称 name（如 国庆节）")
        return
    off = item.get("off")
    if not isinstance(off, list) or len(off) not in (1, 2):
        bad(_key_line(item, "off") or line, f"{name}：off 应为 [首日, 末日]（一天的假写 [日期]）")
        off = []
    makeup = item.get("makeup", [])
    if not isinstance(makeup, list):
        bad(_key_line(item, "makeup") or line, f"{name}：makeup 应为日期列表")
        makeup = []
    off_days = list(_dates(off, year, name, bad))
    if off and len(off_days) == len(off):
        (first, first_line), last = off_days[0], off_days[-1][0]
        if first > last:
            bad(first_line, f"{name}：放假首日 {first} 晚于末日 {last}")
        elif (last - first).days >= _LONGEST_HOLIDAY:
            bad(first_line, f"{name}：放假区间超过 {_LONGEST_HOLIDAY} 天，请核对日期")
        else:
            for offset in range((last - first).days + 1):
                _add(entries, first + timedelta(days=offset), first_line, "holiday", name, label, bad)
    for day, day_line in _dates(makeup, year, name, bad):
        if day.weekday() < 5:
            bad(day_line, f"{name}：调休上班日 {day} 是星期{_WEEKDAYS[day.weekday()]}，不是周末")
            continue
        _add(entries, day, day_line, "makeup", name, label, bad)


def _add(entries: dict[date, _Entry], day: date, line: int, kind: str, name: str, label: str,
         bad: _Report) -> None:
    other = entries.get(day)
    if other is not None:
        what = {"holiday": "放假日", "makeup": "调休上班日"}
        bad(line, f"{day} 已是{other.name}的{what[other.kind]}，不能又是{name}的{what[kind]}")
        return
    entries[day] = _Entry(kind=kind, name=name, source=label, line=line)


def _dates(seq: list[Any], year: int, name: str, bad: _Report) -> Iterator[tuple[date, int]]:
    """The valid dates of a YAML list with their lines; report the others."""
    for index, value in enumerate(seq):
        line = _item_line(seq, index)
        if not isinstance(value, date) or isinstance(value, datetime):
            bad(line, f"{name}：{value!r} 不是日期（应写作 {year}-01-01，不加引号）")
        elif not date(year - 1, 12, 1) <= value <= date(year, 12, 31):
            bad(line, f"{name}：{value} 不属于 {year} 年的通知（应在 {year - 1}-12-01 至 {year}-12-31 之间）")
        else:
            yield value, line


def _key_line(mapping: Any, key: str) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _item_line(seq: Any, index: int) -> int:
    return int(seq.lc.item(index)[0]) + 1


def _bad_date(text: str) -> tuple[int | None, str | None]:
    """The line and text of the first date-looking word that is not a real date (ruamel gives neither)."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", line):
            try:
                date(*(int(part) for part in match.groups()))
            except ValueError:
                return number, match.group(0)
    return None, None
