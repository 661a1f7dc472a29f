"""Printing for people (rich tables, Shanghai times) and for scripts (JSON)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import click


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from .export import active

    sink = active()
    if sink is not None:  # `--output xlsx|csv -o FILE`: the table goes to the file (commands/export.py)
        sink.add(title, columns, rows)
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False, title_justify="left")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[("" if v is None else str(v)) for v in r])
    console().print(table)


def print_json(value: Any) -> None:
    from award.workflow.views import to_json

    click.echo(json.dumps(to_json(value), ensure_ascii=False, indent=2))


def shanghai(moment: Any) -> str:
    from award.workflow.timing.clock import SHANGHAI

    if moment is None:
        return ""
    return str(moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))

