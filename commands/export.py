"""Write what a read command shows as .xlsx or .csv (UTF-8 with BOM, so Excel on Chinese Windows opens it).

Every read command takes the same three options (`output_options`): `--output xlsx|csv`, `-o FILE`
and `--unmask`. While such a command runs, `render.table` hands each table to the active `Sink`
instead of printing it; the sink then writes one sheet per table (xlsx) or the tables one after the
other (csv). Headers are the Chinese column names the table shows, times are already Shanghai
times (`render.shanghai`). Resident ID numbers stay masked unless `--unmask` is given, and the
command records that request (`office_audit`, kind `unmasked`) before it writes the file.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["Sheet", "Sink", "active", "output_options", "unmasked_codes", "write_csv", "write_xlsx"]

F = TypeVar("F", bound=Callable[..., Any])

_ACTIVE: list[Sink] = []


@dataclass(frozen=True, kw_only=True, slots=True)
class Sheet:
    """One table: its title, Chinese headers and rows of plain values."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(kw_only=True)
class Sink:
    """Where a command's tables go instead of the terminal."""

    fmt: str
    path: Path
    unmask: bool = False
    sheets: list[Sheet] = field(default_factory=list)

    def add(self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.sheets.append(Sheet(title=title or f"表{len(self.sheets) + 1}", columns=tuple(columns),
                                 rows=tuple(tuple(r) for r in rows)))

    def write(self) -> int:
        """Write the file; the number of data rows written."""
        if not self.sheets:
            self.add("（空）", ["说明"], [])
        if self.fmt == "xlsx":
            write_xlsx(self.path, self.sheets)
        else:
            write_csv(self.path, self.sheets)
        return sum(len(s.rows) for s in self.sheets)


def active() -> Sink | None:
    """The sink of the command now running, if it writes a file."""
    return _ACTIVE[-1] if _ACTIVE else None


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, date, datetime)) and not isinstance(value, bool):
        return value
    return str(value)


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    """One worksheet per table: bold Chinese headers, frozen header row, dates as Excel dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    used: set[str] = set()
    for sheet in sheets:
        name = _sheet_name(sheet.title, used)
        ws = wb.create_sheet(name)
        ws.append(list(sheet.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_plain(v) for v in row])
        for row_cells in ws.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, date) and not isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd"
        for i, title in enumerate(sheet.columns, start=1):
            width = max([len(str(title)) * 2] + [len(str(_plain(r[i - 1]))) * 2 for r in sheet.rows[:200]
                                                 if i - 1 < len(r)])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, max(8, width + 2))
        ws.freeze_panes = "A2"
    _save(path, wb.save)


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "表"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]}({n})"
        n += 1
    used.add(name)
    return name


def write_csv(path: Path, sheets: Sequence[Sheet]) -> None:
    """UTF-8 with BOM and CRLF, as Excel writes 'CSV UTF-8'; several tables follow one another under their title."""
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for i, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if i:
                writer.writerow([])
            writer.writerow([sheet.title])
        writer.writerow(sheet.columns)
        for row in sheet.rows:
            writer.writerow([_cell(v) for v in row])
    _save(path, lambda target: Path(target).write_text(buffer.getvalue(), encoding="utf-8-sig", newline=""))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _save(path: Path, save: Callable[[Any], Any]) -> None:
    from award.workflow.errors import InvalidInput
    from award.workflow.userfiles import check_output

    check_output(path, "输出文件")
    try:
        save(path)
    except OSError as exc:
        raise InvalidInput(f"无法写入 {path}：{exc.strerror}") from None


def output_options(fn: F) -> F:
    """`--output xlsx|csv -o FILE [--unmask]` on a read command: its tables go to the file."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fmt = kwargs.pop("output_format")
        target = kwargs.pop("output_file")
        unmask = kwargs.pop("unmask")
        if fmt is None and target is None:
            if unmask:
                raise click.UsageError("--unmask 只用于导出文件（--output xlsx|csv -o 文件）")
            return fn(*args, **kwargs)
        if target is None:
            raise click.UsageError("导出需要 -o 文件名，例如 --output xlsx -o 名单.xlsx")
        path = Path(target)
        if fmt is None:
            fmt = path.suffix.lower().lstrip(".")
            if fmt not in ("xlsx", "csv"):
                raise click.UsageError(f"无法从文件名 {path.name} 看出格式：请加 --output xlsx 或 --output csv")
        if kwargs.get("as_json"):
            raise click.UsageError("--json 与 --output 不能同时使用")
        sink = Sink(fmt=fmt, path=path, unmask=unmask)
        _ACTIVE.append(sink)
        try:
            result = fn(*args, **kwargs)
        finally:
            _ACTIVE.remove(sink)
        n = sink.write()
        click.echo(f"已导出 {n} 行到 {path}" + ("（含完整身份证号，已记录）" if unmask else ""))
        return result

    wrapper = click.option("--unmask", is_flag=True,
                           help="Write full resident ID numbers (the office's explicit request; recorded).")(wrapper)
    wrapper = click.option("-o", "--file", "output_file", type=click.Path(dir_okay=False),
                           help="The file to write (.xlsx or .csv).")(wrapper)
    wrapper = click.option("--output", "output_format", type=click.Choice(["xlsx", "csv"]),
                           help="Write the list to a file instead of printing it.")(wrapper)
    return wrapper  # type: ignore[return-value]


def unmasked_codes(settings: Any, party_ids: Sequence[int], what: str) -> dict[int, str]:
    """Full ID numbers for an export the office asked for with `--unmask` (recorded); {} otherwise."""
    sink = active()
    if sink is None or not sink.unmask:
        return {}
    from award.workflow.registers.parties import reveal_codes

    engine = settings.engine()
    return reveal_codes(engine.office, party_ids, actor=settings.actor(), wall_clock=engine.wall_clock,
                        purpose=f"导出 {what} 到 {sink.path.name}")
