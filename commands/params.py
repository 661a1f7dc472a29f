"""Click parameter types of our own: the values every command checks the same way, before any work.

Usage errors here exit 2 with click's usual "Invalid value for ..." line followed by our reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["DAY", "INTERVAL", "RECORD_ID", "REPORT_YEAR", "ROUND_YEAR", "Day", "RecordId", "page_note", "page_options"]


class RecordId(click.ParamType[int]):
    """A row id (timer, outbox row, objection): ASCII digits, 1 to 2**31-1 (`MAX_ROW_ID`).

    `int` would take Unicode digits like `٣` and 20-digit numbers that overflow the
    database; both fail here instead, as a usage error naming the range.
    """

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from award.workflow.inputs import MAX_ROW_ID, row_id

        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID:
            return value
        number = row_id(str(value))
        if number is None:
            self.fail(f"编号须为 1 到 {MAX_ROW_ID} 之间的整数（只用 0-9 数字），收到 {str(value)[:40]!r}", param, ctx)
        return number


RECORD_ID = RecordId()


class Day(click.ParamType[date]):
    """A calendar date `YYYY-MM-DD` inside the range the engine computes with (1900..2999)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        from award.workflow.timing.clock import check_day

        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if not text.isascii() or len(text) != 10:
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError:
            self.fail(f"须为日期 YYYY-MM-DD（如 2026-05-01），收到 {text[:40]!r}", param, ctx)
        try:
            return check_day(day)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DAY = Day()

ROUND_YEAR = click.IntRange(min=1900, max=2999)
"""A round's year."""

REPORT_YEAR = click.IntRange(min=1, max=100)
"""Which year after the award a duty is for (1, 2, 3, ...)."""

INTERVAL = click.IntRange(min=1, max=24 * 3600)
"""Seconds between scheduler wake-ups: at least 1 (0 would spin), at most a day."""


def page_options(default: int, unit: str) -> Callable[[F], F]:
    """`--limit` and `--offset` for a list command: one page of `default` rows unless asked otherwise.

    A list's cost then follows the page, not the office's data (issue 11); `page_note` says on stderr
    how to ask for the next page.
    """
    def decorate(f: F) -> F:
        f = click.option("--offset", type=click.IntRange(0, 10**9), default=0, show_default=True,
                         help=f"先跳过的{unit}数（下一页：--offset {default}）。")(f)
        return click.option("--limit", type=click.IntRange(1, 100_000), default=default, show_default=True,
                            help=f"最多列出的{unit}数（一页）。")(f)
    return decorate


def page_note(offset: int, limit: int, more: bool, unit: str) -> None:
    """On stderr, when the page is not the last: which rows are shown and how to see the next page."""
    if more:
        click.echo(f"只显示第 {offset + 1}–{offset + limit} {unit}；下一页：--offset {offset + limit}", err=True)
