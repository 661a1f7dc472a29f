"""Periods that definitions declare (`after: 5 working days`) and the due times they give.

Four kinds exist side by side in the award procedures: working days (a public notice of at least 5
working days), natural days (SQI's 7-day publicity), absolute deadlines with a time (applications
close 2024-08-23 15:00) and yearly anniversaries (a winner reports once a year for 3 years).
All days are Asia/Shanghai dates; every due time is an aware UTC datetime, like the clock's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from ..abc import Calendar
from ..errors import InvalidInput
from ..logs import logger
from ..values import Due
from .calendar import scan_working_days
from .clock import SHANGHAI, check_day, local_date, start_of_day

__all__ = [
    "PERIOD_KINDS", "Period", "add_years", "anniversaries", "before", "describe", "due", "parse_offset",
    "parse_period",
]


_LOGGER = logger(__name__)

PERIOD_KINDS = ("working_days", "natural_days", "deadline", "yearly")

MAX_DAYS = 3660
"""The longest day-based period (ten years): a longer one is a typo, and would run past any calendar."""

MAX_YEARS = 100
"""The most anniversaries of a yearly duty."""

_FORMS = (
    "可用的写法：5 working days / 5 工作日 / 5个工作日；7 natural days / 7 days / 7 自然日 / 7天；"
    "截止时间 2024-08-23 15:00 或 2024-08-23（上海时间，只写日期表示当日 24:00 截止）；"
    "yearly for 3 years / 每年 3 年"
)
_OFFSET_FORMS = "可用的写法：30 days before / 30天前 / 5 working days before / 5个工作日前"
_WORKING = re.compile(r"(\d+)\s*(?:个\s*)?(?:working\s+days?|工作日)", re.IGNORECASE | re.ASCII)
_NATURAL = re.compile(r"(\d+)\s*(?:个\s*)?(?:natural\s+days?|days?|自然日|天)", re.IGNORECASE | re.ASCII)
_DEADLINE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2}))?", re.ASCII)
_YEARLY = re.compile(r"(?:yearly\s+for\s+(\d+)\s+years?|每年\s*[，,]?\s*(?:共\s*)?(\d+)\s*年)", re.IGNORECASE | re.ASCII)
_BEFORE = re.compile(r"(?:提前\s*)?(.*?)\s*(?:before|前)", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True, kw_only=True, slots=True)
class Period:
    """One period as a definition declares it.

    Attributes:
        kind: `working_days`, `natural_days`, `deadline` or `yearly`.
        count: how many days (or years, for yearly); 0 for a deadline.
        at: the deadline itself (aware, UTC) for `deadline`, else None.
        text: the text it was parsed from, kept for messages and the timer's basis.
    """

    kind: str
    count: int
    at: datetime | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}; expected one of {PERIOD_KINDS}")
        if (self.kind == "deadline") != (self.at is not None):
            raise ValueError("a deadline needs `at`, and only a deadline has one")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("a deadline must be an aware datetime")


def parse_period(text: str) -> Period:
    """Parse a period as definitions write it.

    Accepted: `5 working days`, `5 工作日`, `5个工作日`; `7 natural days`, `7 days`, `7 自然日`, `7天`;
    a deadline `2024-08-23 15:00` or `2024-08-23` in Asia/Shanghai; `yearly for 3 years`, `每年 3 年`.
    A bare date means the end of that day (24:00, i.e. 00:00 of the next day), because "by 23 August"
    in a notice includes the whole of 23 August.

    Raises:
        InvalidInput: (a ValueError) naming the accepted forms when the text is none of them.
    """
    clean = " ".join(str(text).split())
    if match := _WORKING.fullmatch(clean):
        return Period(kind="working_days", count=_positive(match.group(1), text, MAX_DAYS), text=text)
    if match := _NATURAL.fullmatch(clean):
        return Period(kind="natural_days", count=_positive(match.group(1), text, MAX_DAYS), text=text)
    if match := _YEARLY.fullmatch(clean):
        return Period(kind="yearly", count=_positive(match.group(1) or match.group(2), text, MAX_YEARS), text=text)
    if match := _DEADLINE.fullmatch(clean):
        return Period(kind="deadline", count=0, at=_deadline(match, text), text=text)
    raise InvalidInput(f"无法识别的期限 {text!r}。{_FORMS}")


def parse_offset(text: str) -> Period:
    """Parse a reminder offset: a working- or natural-day period followed by `before` (or `前`).

    Raises:
        InvalidInput: when the text is not such an offset.
    """
    match = _BEFORE.fullmatch(" ".join(str(text).split()))
    if match is None:
        raise InvalidInput(f"无法识别的提醒时间 {text!r}。{_OFFSET_FORMS}")
    try:
        period = parse_period(match.group(1))
    except InvalidInput:
        raise InvalidInput(f"无法识别的提醒时间 {text!r}。{_OFFSET_FORMS}") from None
    if period.kind not in ("working_days", "natural_days"):
        raise InvalidInput(f"提醒时间只能按工作日或自然日往前推：{text!r}。{_OFFSET_FORMS}")
    return Period(kind=period.kind, count=period.count, text=text)


def due(period: Period, start: datetime, calendar: Calendar, *, start_day_counts: bool) -> Due:
    """When a period that starts at `start` ends.

    Day-based periods end with their last counted day: `at` is 00:00 Asia/Shanghai of the day after,
    the first moment the case may move on. The start day is the Shanghai date of `start`; when
    `start_day_counts` it is day 1 (for working days: if it is a working day), else counting begins
    with the next day (next working day). A deadline is due at itself; a yearly period at its first
    anniversary (see `anniversaries`).

    Args:
        period: the parsed period.
        start: the aware moment the period starts (a state was entered, a notice published).
        calendar: the working-day calendar, consulted for working days only.
        start_day_counts: whether the start day counts, as the definition says.

    Raises:
        CalendarYearUnknown: when a working day needed lies in a year without official data.
    """
    start_day = local_date(start)
    counted = "start day counted" if start_day_counts else "start day not counted"
    if period.kind == "working_days":
        days = scan_working_days(calendar, start_day, period.count, count_start=start_day_counts)
        sources = ", ".join(dict.fromkeys(info.source for info in days))
        last = days[-1].day
        return Due(at=start_of_day(last + timedelta(days=1)), last_day=last,
                   basis=f"{period.count} working days, {counted}; {sources}",
                   provisional=any(info.provisional for info in days))
    if period.kind == "natural_days":
        last = start_day + timedelta(days=period.count - (1 if start_day_counts else 0))
        return Due(at=start_of_day(last + timedelta(days=1)), last_day=last,
                   basis=f"{period.count} natural days, {counted}")
    if period.kind == "deadline":
        assert period.at is not None  # guaranteed by Period.__post_init__
        shown = period.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        return Due(at=period.at.astimezone(UTC), last_day=local_date(period.at - timedelta(microseconds=1)),
                   basis=f"deadline {shown} Asia/Shanghai")
    return anniversaries(period, start, calendar)[0]


def anniversaries(period: Period, start: datetime, calendar: Calendar) -> list[Due]:
    """Every anniversary of a yearly period: the start date plus 1, 2, ... `count` years.

    An anniversary is a calendar date, never moved to a working day, so the calendar is not consulted
    (it is taken so that every period function has the same shape). 29 February falls on 28 February
    in common years, so the anniversary never slips into March. `at` is 00:00 Asia/Shanghai of the
    anniversary and `last_day` the anniversary itself.

    Raises:
        ValueError: when the period is not yearly.
    """
    if period.kind != "yearly":
        raise ValueError(f"anniversaries() needs a yearly period, not {period.kind!r}")
    start_day = local_date(start)
    result = []
    for k in range(1, period.count + 1):
        day = add_years(start_day, k)
        moved = day.day != start_day.day
        note = "; 29 Feb falls on 28 Feb" if moved else ""
        result.append(Due(at=start_of_day(day), last_day=day,
                          basis=f"yearly for {period.count} years from {start_day}: anniversary {k}{note}"))
    return result


def before(due_at: datetime, offset: Period, calendar: Calendar) -> datetime:
    """The moment to remind: `offset` days before the Shanghai date of `due_at`, at 00:00 of that day.

    The date of `due_at` itself is not counted: "1 day before" a due time of 2026-10-11 00:00 is
    2026-10-10 00:00, and "1 working day before" is the last working day before 2026-10-11.

    Raises:
        CalendarYearUnknown: when a working day needed lies in a year without official data.
        ValueError: when the offset is neither working nor natural days.
    """
    due_day = local_date(due_at)
    if offset.kind == "natural_days":
        return start_of_day(due_day - timedelta(days=offset.count))
    if offset.kind == "working_days":
        days = scan_working_days(calendar, due_day, offset.count, count_start=False, backward=True)
        return start_of_day(days[-1].day)
    raise ValueError(f"a reminder offset must be working or natural days, not {offset.kind!r}")


def describe(period: Period, start_day_counts: bool, *, start_label: str = "公示当日") -> str:
    """A Chinese phrase for messages, e.g. `5个工作日（公示当日不计）`.

    Args:
        period: the period.
        start_day_counts: whether the start day counts (shown for day-based periods).
        start_label: what the start day is called in the message.
    """
    counted = f"{start_label}{'计入' if start_day_counts else '不计'}"
    if period.kind == "working_days":
        return f"{period.count}个工作日（{counted}）"
    if period.kind == "natural_days":
        return f"{period.count}个自然日（{counted}）"
    if period.kind == "yearly":
        return f"每年一次，共{period.count}年（逢周年日）"
    assert period.at is not None
    local = period.at.astimezone(SHANGHAI)
    if (local.hour, local.minute) == (0, 0):
        return f"截止时间 {(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return f"截止时间 {local:%Y-%m-%d %H:%M}"


def _positive(digits: str, text: str, most: int) -> int:
    count = int(digits) if len(digits) <= 9 else most + 1
    if count < 1:
        raise InvalidInput(f"期限至少为 1：{text!r}。{_FORMS}")
    if count > most:
        raise InvalidInput(f"期限过长：{text[:60]!r}；可处理的期限为 1 至 {most}（天数或年数）")
    return count


def _deadline(match: re.Match[str], text: str) -> datetime:
    """The aware UTC moment of a deadline; a bare date (or 24:00) means the end of that day."""
    year, month, day, hour, minute = match.groups()
    try:
        when = check_day(date(int(year), int(month), int(day)), "截止日期")
        if hour is None or (int(hour), int(minute)) == (24, 0):
            return start_of_day(when + timedelta(days=1))
        moment = datetime(when.year, when.month, when.day, int(hour), int(minute), tzinfo=SHANGHAI)
    except ValueError as exc:
        why = str(exc) if "超出" in str(exc) else "截止时间不是有效的日期或时间"
        raise InvalidInput(f"{why}：{text[:60]!r}。{_FORMS}") from None
    return moment.astimezone(UTC)


D = TypeVar("D", bound=date)


def add_years(day: D, years: int) -> D:
    """The same calendar day (and time) `years` later; 29 February becomes 28 February in a common year.

    The one place this rule lives: anniversaries of duties, award bars, derived round dates.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
