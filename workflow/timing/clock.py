"""The one clock: business time in UTC, shown and reasoned in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import wraps
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ..abc import Clock

__all__ = [
    "EARLIEST", "LATEST", "SHANGHAI", "check_day", "cn_date", "cn_datetime", "fixed_clock", "local_date", "parse_moment",
    "sqlite_datetime", "start_of_day", "system_clock", "utc",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
"""The business dates `award` accepts: wide for any award office, narrow enough that a period of
ten years from the last one still fits in a `datetime` (year 9999 would overflow)."""

RANGE_TEXT = f"{EARLIEST.isoformat()} 至 {LATEST.isoformat()}"


def check_day(day: date, what: str = "日期") -> date:
    """`day` when it lies in the accepted range (EARLIEST..LATEST).

    Raises:
        ValueError: naming the accepted range.
    """
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{what} {day.isoformat()} 超出可处理的范围（{RANGE_TEXT}）")
    return day


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


def _remembered(write: Callable[[datetime], str]) -> Callable[[datetime], str]:
    """`write`, remembering the text of the last few moments by identity.

    A step hands the same moment to several writers (its business time is the event's time, the case's
    `updated_at` and `entered_at`, and three seal fields; the wall time is two more), and formatting one
    costs ~10 k instructions, looking it up here ~1 k. A `datetime` never changes, and the cache holds
    the object itself, so an id is never reused while its text is kept.
    """
    recent: dict[int, tuple[datetime, str]] = {}

    @wraps(write)
    def remembered(moment: datetime) -> str:
        held = recent.get(id(moment))
        if held is not None and held[0] is moment:
            return held[1]
        text = write(moment)
        if len(recent) >= 64:
            recent.clear()
        recent[id(moment)] = (moment, text)
        return text

    return remembered


@_remembered
def utc_text(moment: datetime) -> str:
    """A moment as hashes and seals write it: `utc(moment).isoformat(timespec="microseconds")`, e.g.
    `2026-03-02T01:00:00.000000+00:00`. Every step writes eight (its event's two, and three in each of the
    seal's two payloads: the case as read and as written), so a naive moment (read back from SQLite, where
    the zone is lost) is written without first being made aware, which costs more than the formatting; a
    test checks that the text is the same."""
    if moment.tzinfo is None:
        return moment.isoformat("T", "microseconds") + "+00:00"
    return moment.astimezone(UTC).isoformat("T", "microseconds")


@_remembered
def sqlite_datetime(moment: datetime) -> str:
    """A moment as a SQLite file stores it: SQLAlchemy's default DateTime text, `YYYY-MM-DD HH:MM:SS.ffffff`,
    the wall-clock fields with the zone dropped (the engine writes UTC). The hot path writes with it
    (`store.Prepared`) and the plain read path binds moments with it; a test compares it with SQLAlchemy's."""
    return moment.isoformat(" ", "microseconds")[:26]


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
        if not text.isascii():
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"不是有效的日期或时间：{text[:60]!r}（格式如 2026-05-01 或 2026-05-01 09:30）") from None
    check_day(moment.date(), "日期")
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
