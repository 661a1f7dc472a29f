"""The one clock: business time in UTC, shown and reasoned in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from .abc import Clock

__all__ = ["SHANGHAI", "fixed_clock", "local_date", "parse_moment", "start_of_day", "system_clock"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def system_clock() -> datetime:
    """The real time, aware, in UTC. The only call to `datetime.now` in the code."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock stopped at `moment` (used for `--now` and in tests)."""
    frozen = moment.astimezone(UTC)
    return lambda: frozen


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
