"""Printing for people (rich tables, Shanghai times) and for scripts (JSON)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click


def console(stderr: bool = False) -> Any:
    """A rich console as wide as the real terminal.

    rich finds the width itself (also when output is piped to `less`: it asks the terminal behind
    stdin/stderr) and honours `COLUMNS`; only when no terminal can be found at all does it fall back
    to 80 columns. Never a fixed width.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, soft_wrap=False)


_PAGER: list[Any] = []


@contextmanager
def paged() -> Iterator[None]:
    """Send what the block prints through a pager (`$PAGER`, else `less -FRX`) when stdout is a terminal."""
    if not sys.stdout.isatty() or os.environ.get("AWARD_NO_PAGER") or _PAGER:
        yield
        return
    con = console()
    os.environ.setdefault("LESS", "FRX")  # quit at once when it fits, keep colours, leave the screen as is
    with con.pager(styles=True):
        _PAGER.append(con)
        try:
            yield
        finally:
            _PAGER.pop()


def current() -> Any:
    """The console of the pager in use, else a new one."""
    return _PAGER[-1] if _PAGER else console()


#: Column headings whose cells are identifiers: never folded (a case number split in two is misread).
ID_COLUMNS = frozenset({"#", "案件", "轮次", "ID", "编号", "代码", "规则", "触发", "操作", "字段"})


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]],
          ids: Sequence[int] | None = None) -> None:
    """A table for people; identifier columns (`ids`, else by heading) are never folded or cut."""
    from rich.table import Table

    if ids is None:
        ids = [i for i, c in enumerate(columns) if c in ID_COLUMNS]

    table = Table(title=title, show_lines=False, title_justify="left")
    for i, c in enumerate(columns):
        if i in ids:
            table.add_column(c, no_wrap=True, overflow="ignore", min_width=len(c) * 2)
        else:
            table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[("" if v is None else str(v)) for v in r])
    (_PAGER[-1] if _PAGER else console()).print(table)


def print_json(value: Any) -> None:
    from award.workflow.views import to_json

    click.echo(json.dumps(to_json(value), ensure_ascii=False, indent=2))


def shanghai(moment: Any) -> str:
    from award.workflow.timing.clock import SHANGHAI

    if moment is None:
        return ""
    return str(moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))

