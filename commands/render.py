"""Printing for people (rich tables, Shanghai times) and for scripts (JSON).

Names, comments and reasons come from users: a `[/]` in a party's name is rich markup, an ESC
is a terminal command. Table cells and titles are therefore rich `Text` (never parsed as
markup) with control characters shown as `\\x1b`; values put into a marked-up line go through
`safe()`, and plain lines through `plain()`.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import click


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
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(plain(title, keep_breaks=False)) if title else None, show_lines=False,
                  title_justify="left")
    for c in columns:
        table.add_column(Text(plain(c)), overflow="fold")
    for r in rows:
        table.add_row(*[Text(plain(v)) for v in r])
    console().print(table)


def print_json(value: Any) -> None:
    from award.workflow.views import to_json

    click.echo(json.dumps(to_json(value), ensure_ascii=False, indent=2))


def shanghai(moment: Any) -> str:
    from award.workflow.timing.clock import SHANGHAI

    if moment is None:
        return ""
    return str(moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))

