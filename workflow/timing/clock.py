"""The one clock: business time in UTC, shown and reasoned in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ..abc import Clock

__all__ = [
    "SHANGHAI", "cn_date", "cn_datetime", "fixed_clock", "local_date", "parse_moment", "start_of_day", "system_clock",
    "utc",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def system_clock() -> datetime:
    """The real time, aware, in UTC. The only call to `datetime.now` in the code."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock stopped at `moment` (used for `--now` and in tests)."""
    frozen = moment.astimezone(UTC)
    return lambda: frozen


def utc(moment: datetime) -> datetime:
    """Normalise a datetime read back from the database (SQLite loses the zone) to aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware moment."""
    return moment.astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, as an aware UTC datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)


def parse_moment(text: str) -> datetime:
    """Parse `2026-05-01`, `2026-05-01 09:30` or an ISO timestamp; naive means Asia/Shanghai.

    Raises:
        ValueError: when the text is not a date or time.
    """
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"不是有效的日期或时间：{text!r}（格式如 2026-05-01 或 2026-05-01 09:30）") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


# --- how the office writes dates (one place: messages, guards, templates) -----------------------


def _local_day(value: object, filter_name: str) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"{filter_name} 需要带时区的时间，收到无时区的 {value.isoformat()}")
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{filter_name} 需要日期或时间，收到 {type(value).__name__}")


def cn_date(value: date | datetime) -> str:
    """`2026年10月12日`: the form of official Chinese letters (no zero padding).

    An aware datetime is shown as its Asia/Shanghai date; a naive one is refused, since its day is
    ambiguous.

    Raises:
        TypeError: for a naive datetime or a value that is not a date.
    """
    day = _local_day(value, "cn_date")
    return f"{day.year}年{day.month}月{day.day}日"


def cn_datetime(value: datetime) -> str:
    """`2026年10月12日 15:00`, in Asia/Shanghai.

    Raises:
        TypeError: for a naive datetime or a plain date (it has no time to show).
    """
    if not isinstance(value, datetime):
        raise TypeError(f"cn_datetime 需要带时区的时间，收到 {type(value).__name__}")
    day = _local_day(value, "cn_datetime")
    local = value.astimezone(SHANGHAI)
    return f"{day.year}年{day.month}月{day.day}日 {local:%H:%M}"
