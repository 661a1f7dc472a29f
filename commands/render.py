"""The one render layer: every read command hands its view to `emit`, which prints it for people
(rich tables and lines, Shanghai times) or, with `--json`, for scripts.

JSON keeps ids and machine names; every time in it is ISO 8601 with the +08:00 offset, as the
office reads its clock (`2026-10-14T00:00:00+08:00`); dates stay `YYYY-MM-DD`.

Names, comments and reasons come from users: a `[/]` in a party's name is rich markup, an ESC
is a terminal command. Table cells and titles are therefore rich `Text` (never parsed as
markup) with control characters shown as `\\x1b`; `emit`'s text lines go through `plain()`, and
values put into a marked-up line through `safe()`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import click

__all__ = ["Table", "console", "emit", "jsonable", "plain", "print_json", "safe", "shanghai", "table"]


@dataclass(frozen=True)
class Table:
    """A table for people: a title, column headings and rows (None prints as empty)."""

    title: str | None
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]

    def print(self) -> None:
        table(self.title, self.columns, self.rows)


def emit(view: Any, *, as_json: bool, text: str | Callable[[], str] | None = None,
         table: Table | Callable[[], Table] | None = None, show: Callable[[], None] | None = None) -> None:
    """Print one command's result: `view` as JSON with `--json`, else for people.

    For people: `text` (a line), then `table`, then `show` (for views made of several parts);
    a callable is only called when people read, so JSON never pays for the table.
    """
    if as_json:
        print_json(view)
        return
    if text is not None:
        click.echo(plain(text() if callable(text) else text))
    if table is not None:
        (table() if callable(table) else table).print()
    if show is not None:
        show()


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


_KEEP = frozenset("\n\t")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # reorder what follows: spoofing


def plain(value: Any, *, keep_breaks: bool = True) -> str:
    """`value` as text a terminal shows and does not obey: control characters become `\\x1b`."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if (ch in _KEEP and keep_breaks) or ch.isprintable() or (ch == " "):
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _KEEP or ch in _BIDI:
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def safe(value: Any) -> str:
    """`value` for a line printed with rich markup: markup escaped, control characters shown."""
    from rich.markup import escape

    return escape(plain(value, keep_breaks=False))


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a table; every cell and the title are literal text, whatever they contain."""
    from .export import active

    sink = active()
    if sink is not None:  # `--output xlsx|csv -o FILE`: the table goes to the file (commands/export.py)
        sink.add(title, columns, rows)
        return
    from rich.table import Table as RichTable
    from rich.text import Text

    out = RichTable(title=Text(plain(title, keep_breaks=False)) if title else None, show_lines=False,
                    title_justify="left")
    for c in columns:
        out.add_column(Text(plain(c)), overflow="fold")
    for r in rows:
        out.add_row(*[Text(plain(v)) for v in r])
    console().print(out)


def jsonable(value: Any) -> Any:
    """Views, rows and reports -> JSON-ready data; aware times in Asia/Shanghai (+08:00)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        from award.workflow.timing.clock import SHANGHAI

        return value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


def shanghai(moment: Any) -> str:
    from award.workflow.timing.clock import SHANGHAI

    if moment is None:
        return ""
    return str(moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))
