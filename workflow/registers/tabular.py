"""Read the office's spreadsheets: .xlsx (openpyxl) and .csv (UTF-8, UTF-8 with BOM, GB18030/GBK, UTF-16).

One small API for every importer (parties, past awards, experts, case forms)::

    table = read_table(path, COLUMNS, encoding=None)
    if table.problems: ...          # every bad cell of the whole file, each with its row and column
    for row in table.rows: row.line, row.values["code"]

A column is matched by its id (`code`), its Chinese label (`统一社会信用代码`) or an alias, ignoring
spaces, line breaks, full-width forms and a trailing required mark (`名称*`, `名称（必填）`). The header
row is the row (among the first ten) that names the most known columns, so a title row or a merged
group header above it does no harm; merged header cells are read as their top-left value.

Values are parsed by the column's type: dates as 2021-12-20, 2021/12/20, 2021.12.20, 2021年12月20日 or an
Excel date cell; choices by id or Chinese label; yes/no as 是/否. Nothing is written here: the caller
decides (all rows or none). Row numbers are those Excel shows (the header's row plus the offset).

Limits keep a wrong file from hanging the office's machine: only regular files (never /dev/zero or
a pipe), at most `MAX_BYTES`, `MAX_ROWS` rows and `MAX_FIELD_CHARS` characters per cell, and an
.xlsx whose unpacked content exceeds `MAX_UNPACKED` is refused as a zip bomb.

Written by hand over `csv` and openpyxl: pandas would bring numpy and guess types (a credit code
like 913100001234567890 would become a float); the header matching and Chinese dates are the office's.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

__all__ = [
    "MAX_BYTES",
    "MAX_FIELD_CHARS",
    "MAX_ROWS",
    "Column",
    "Row",
    "Table",
    "TableProblem",
    "cell_text",
    "parse_cn_date",
    "read_rows",
    "read_table",
    "write_template",
]

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024
MAX_ROWS = 100_000
MAX_FIELD_CHARS = 10_000
_HEADER_SCAN = 10

_TRUE = {"是", "有", "yes", "y", "true", "1", "√", "✓"}
_FALSE = {"否", "无", "没有", "no", "n", "false", "0", "×"}
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_DATETIME_TAIL = re.compile(r"\s+0{1,2}:00(:00)?$")
_REQUIRED_MARK = re.compile(r"(\*|＊|（必填）|\(必填\))$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Column:
    """One column the reader knows.

    Attributes:
        key: the id (also accepted as the header).
        label: the Chinese header as the office writes it.
        aliases: other headers meaning the same (`单位名称`, `企业名称`).
        type: text, date, int, bool, choice, year_or_date.
        required: a row without it is a problem; a file without the column too.
        choices: id -> Chinese label, for `choice`.
        hint: what to write, for the template's second row and the messages.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    type: str = "text"
    required: bool = False
    choices: Mapping[str, str] | None = None
    hint: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class TableProblem:
    """A bad cell, row or file: where (row as Excel numbers it, column header) and what to do."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"第{self.line}行" if self.line else "表头"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.message}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    """A data row: its line (as Excel numbers it) and its parsed values by column key (absent = blank)."""

    line: int
    values: dict[str, Any]
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Table:
    """What a file holds: the rows that parsed, every problem, the headers found and the encoding used."""

    path: Path
    rows: tuple[Row, ...]
    problems: tuple[TableProblem, ...]
    headers: dict[str, str]
    encoding: str | None
    extra_headers: tuple[str, ...] = ()

    def raise_if_problems(self, what: str) -> None:
        """All rows or none: one error listing every problem, nothing written."""
        if self.problems:
            shown = "\n".join(f"  {p}" for p in self.problems[:200])
            more = f"\n  ……另有 {len(self.problems) - 200} 处" if len(self.problems) > 200 else ""
            raise InvalidInput(f"{self.path.name}：{what}有 {len(self.problems)} 处错误，整个文件均未导入：\n"
                               f"{shown}{more}\n改正后重新导入即可（已导入的行不会重复）")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip()
    text = re.sub(r"\s+", "", text)
    return _REQUIRED_MARK.sub("", text).lower()


_NOTE = re.compile(r"[(（][^()（）]*[)）]$")


def _find(lookup: Mapping[str, Column], header: str) -> Column | None:
    """A header's column: as written, else without a trailing note in brackets (登记注册日期（年月日）)."""
    key = _norm(header)
    if key in lookup:
        return lookup[key]
    bare = _NOTE.sub("", key)
    return lookup.get(bare) if bare else None


def parse_cn_date(value: Any) -> date:
    """2021-12-20, 2021/12/20, 2021.12.20, 2021年12月20日, an Excel date cell or serial number.

    Raises:
        ValueError: with a Chinese message saying what is accepted.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel

        moment = from_excel(value)
        return moment.date() if isinstance(moment, datetime) else moment
    text = _DATETIME_TAIL.sub("", unicodedata.normalize("NFKC", str(value)).strip())
    match = _DATE.match(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise ValueError(f"{text} 不是存在的日期") from None
    raise ValueError(f"{text!r} 不是日期；可写 2021-12-20、2021/12/20 或 2021年12月20日")


def _parse(column: Column, value: Any) -> Any:
    """A cell's value for its column, or ValueError with a Chinese message."""
    if column.type in ("date", "year_or_date"):
        if column.type == "year_or_date":
            text = unicodedata.normalize("NFKC", str(value)).strip().removesuffix("年")
            if isinstance(value, int) or (text.isdigit() and len(text) == 4):
                year = int(text)
                if not 1949 <= year <= 2200:
                    raise ValueError(f"年份 {year} 不合理")
                return year
        return parse_cn_date(value)
    text = value if isinstance(value, str) else _cell_text(value)
    text = unicodedata.normalize("NFKC", text).strip() if column.type != "text" else text.strip()
    if column.type == "text":
        return text
    if column.type == "int":
        try:
            return int(float(text)) if re.fullmatch(r"-?\d+(\.0+)?", text) else int(text)
        except ValueError:
            raise ValueError(f"须为整数，收到 {text!r}") from None
    if column.type == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"须为 是 或 否，收到 {text!r}")
    if column.type == "choice":
        assert column.choices is not None
        if text in column.choices:
            return text
        by_label = {_norm(v): k for k, v in column.choices.items()} | {_norm(k): k for k in column.choices}
        if _norm(text) in by_label:
            return by_label[_norm(text)]
        options = "、".join(column.choices.values())
        raise ValueError(f"没有选项 {text!r}；可选：{options}")
    raise ValueError(f"列类型 {column.type} 未知")  # pragma: no cover - columns are code


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _check_file(path: Path) -> int:
    """A regular, readable file of bounded size; its size."""
    try:
        st = path.stat()
    except OSError as exc:
        raise InvalidInput(f"无法读取 {path}：{exc.strerror}") from None
    import stat

    if not stat.S_ISREG(st.st_mode):
        raise InvalidInput(f"{path} 不是普通文件（设备、管道或目录不能导入）")
    if st.st_size > MAX_BYTES:
        raise InvalidInput(f"{path.name} 有 {st.st_size // (1024 * 1024)} MiB，超过 {MAX_BYTES // (1024 * 1024)} MiB "
                           "的上限；请拆成几个文件分别导入")
    return st.st_size


def _decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding used: BOMs first, then UTF-8, then GB18030 (a superset of GBK/GB2312)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(f"--encoding {encoding!r} 不是已知的编码；常用：utf-8、gbk、gb18030、utf-16") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path.name} 不是 {encoding} 编码（第 {exc.start} 字节处无法解码）；"
                               "去掉 --encoding 让程序自动识别，或换一种编码") from None
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise InvalidInput(f"{path.name} 含有二进制内容，不是 CSV 文本文件；Excel 文件请存为 .xlsx")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} 既不是 UTF-8 也不是 GBK/GB18030 编码（可能是 Latin-1 等西文编码）；"
                           "请在 Excel 中“另存为 CSV UTF-8”，或用 --encoding 指定编码") from None
    if not _looks_chinese(text):
        raise InvalidInput(f"{path.name} 不是 UTF-8 编码，按 GBK 读出的又不像中文（可能是 Latin-1 等西文编码）；"
                           "请在 Excel 中“另存为 CSV UTF-8”，或用 --encoding 指定编码")
    return text, "gb18030"


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes almost any byte pair: a Latin-1 file read so yields rare characters, not common ones."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    common = sum(1 for ch in non_ascii if "\u4e00" <= ch <= "\u9fa5" or "\u3000" <= ch <= "\u303f"
                 or "\uff00" <= ch <= "\uffef")
    return common / len(non_ascii) > 0.9


def _csv_rows(path: Path, encoding: str | None) -> tuple[list[list[Any]], str]:
    size = _check_file(path)
    with path.open("rb") as fh:
        data = fh.read(min(size, MAX_BYTES) + 1)
    text, used = _decode(data, path, encoding)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    csv.field_size_limit(MAX_FIELD_CHARS * 4 + 16)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Any]] = []
    try:
        for record in reader:
            rows.append(list(record))
            if len(rows) > MAX_ROWS + _HEADER_SCAN:
                raise InvalidInput(f"{path.name} 超过 {MAX_ROWS} 行；请拆成几个文件分别导入")
    except csv.Error as exc:
        raise InvalidInput(f"{path.name} 第 {reader.line_num} 行不是有效的 CSV：{exc}") from None
    return rows, used


def _xlsx_rows(path: Path) -> list[list[Any]]:
    import zipfile

    _check_file(path)
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(f"{path.name} 不是有效的 .xlsx 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）") from None
    if unpacked > MAX_UNPACKED:
        raise InvalidInput(f"{path.name} 解压后超过 {MAX_UNPACKED // (1024 * 1024)} MiB，不像是办公表格，拒绝读取")
    import warnings

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            wb = load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise InvalidInput(f"{path.name} 无法作为 .xlsx 读取（{type(exc).__name__}）；请在 Excel 中重新保存") from None
    ws = wb.worksheets[0]
    if ws.max_row > MAX_ROWS + _HEADER_SCAN:
        raise InvalidInput(f"{path.name} 超过 {MAX_ROWS} 行；请拆成几个文件分别导入")
    merged: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        top = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                merged[(r, c)] = top
    rows: list[list[Any]] = []
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        rows.append([merged.get((r, c), v) for c, v in enumerate(values, start=1)])
    wb.close()
    return rows


def read_rows(path: Path, *, encoding: str | None = None) -> list[list[Any]]:
    """The raw cells of a .xlsx (first sheet, merged cells filled) or .csv, with the same limits as `read_table`."""
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv_rows(path, encoding)[0]
    raise InvalidInput(f"{path.name}：只能读取 .xlsx 或 .csv 文件")


def cell_text(value: Any) -> str:
    """A cell as text (integers without `.0`, dates as ISO, booleans as 是/否)."""
    return _cell_text(value)


def _header_row(rows: Sequence[Sequence[Any]], lookup: Mapping[str, Column]) -> int:
    best, best_hits = 0, 0
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        hits = len({found.key for c in row if c is not None and (found := _find(lookup, str(c))) is not None})
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits else -1


def read_table(path: Path, columns: Sequence[Column], *, encoding: str | None = None,
               progress: Callable[[int, int], None] | None = None) -> Table:
    """Read every row of a .xlsx or .csv file against `columns`; problems are collected, never raised.

    Args:
        path: the file (.xlsx, .xlsm, .csv, .txt or .tsv).
        columns: what the file may hold.
        encoding: a CSV's encoding when detection is not wanted (`gbk`, `utf-8`, ...).
        progress: called with (rows done, rows in all) while parsing long files.

    Raises:
        InvalidInput: the file itself cannot be read (not a file, too big, wrong encoding, not xlsx).
    """
    suffix = path.suffix.lower()
    used: str | None = None
    _check_file(path)
    if suffix in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        raw_rows, used = _csv_rows(path, encoding)
    elif suffix == ".xls":
        raise InvalidInput(f"{path.name} 是旧版 Excel（.xls）文件；请在 Excel 中另存为 .xlsx 再导入")
    else:
        raise InvalidInput(f"{path.name}：只能导入 .xlsx 或 .csv 文件")
    lookup: dict[str, Column] = {}
    for col in columns:
        for name in (col.key, col.label, *col.aliases):
            lookup.setdefault(_norm(name), col)
    header_at = _header_row(raw_rows, lookup)
    if header_at < 0:
        expected = "、".join(c.label for c in columns if c.required)
        return Table(path=path, rows=(), problems=(TableProblem(line=0, column=None, message=(
            f"找不到表头：前 {_HEADER_SCAN} 行中没有认识的列名；至少需要：{expected}"
            "（用 award import template 下载模板）")),), headers={}, encoding=used)
    header = raw_rows[header_at]
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    extra: list[str] = []
    problems: list[TableProblem] = []
    for i, cell in enumerate(header):
        if cell is None or not str(cell).strip():
            continue
        found = _find(lookup, str(cell))
        if found is None:
            extra.append(str(cell).strip())
            continue
        if found.key in index:
            problems.append(TableProblem(line=header_at + 1, column=str(cell).strip(),
                                         message=f"与“{headers[found.key]}”是同一列，只能出现一次"))
            continue
        index[found.key], headers[found.key] = i, str(cell).strip()
    for col in columns:
        if col.required and col.key not in index:
            problems.append(TableProblem(line=header_at + 1, column=col.label, message="缺少这一列（必填）"))
    if problems:
        return Table(path=path, rows=(), problems=tuple(problems), headers=headers, encoding=used,
                     extra_headers=tuple(extra))
    by_key = {c.key: c for c in columns}
    rows: list[Row] = []
    data_rows = raw_rows[header_at + 1:]
    total = len(data_rows)
    for offset, record in enumerate(data_rows):
        line = header_at + 2 + offset
        if progress is not None and (offset % 200 == 0 or offset == total - 1):
            progress(offset + 1, total)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in record):
            continue
        values: dict[str, Any] = {}
        raw: dict[str, str] = {}
        for key, i in index.items():
            col = by_key[key]
            cell = record[i] if i < len(record) else None
            text = _cell_text(cell)
            raw[key] = text
            if len(text) > MAX_FIELD_CHARS:
                problems.append(TableProblem(line=line, column=headers[key],
                                             message=f"超过 {MAX_FIELD_CHARS} 个字符，不像是一个单元格的内容"))
                continue
            if isinstance(cell, (int, float)) and not isinstance(cell, bool) and col.type == "text" \
                    and abs(cell) >= 1e15:
                problems.append(TableProblem(line=line, column=headers[key], message=(
                    f"这个单元格存成了数字（{text}）：超过 15 位的数字在 Excel 中会丢失末尾几位；"
                    "请把这一列设为“文本”格式后重新填写")))
                continue
            if cell is None or not text.strip():
                if col.required:
                    problems.append(TableProblem(line=line, column=headers[key], message="必填，不能为空"))
                continue
            try:
                values[key] = _parse(col, cell)
            except ValueError as exc:
                problems.append(TableProblem(line=line, column=headers[key], message=str(exc)))
        rows.append(Row(line=line, values=values, raw=raw))
    return Table(path=path, rows=tuple(rows), problems=tuple(problems), headers=headers, encoding=used,
                 extra_headers=tuple(extra))


def write_template(path: Path, title: str, columns: Sequence[Column]) -> None:
    """An .xlsx the office fills in: the Chinese headers (required ones marked *), each with a comment saying
    what to write (choices, date forms); the reader accepts the marked headers as they are."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.label + ("*" if col.required else ""))
        cell.font = Font(bold=True)
        hint = col.hint or (("可选：" + "、".join(col.choices.values())) if col.choices else "")
        if col.type == "date" and not hint:
            hint = "日期，如 2021-12-20"
        if hint:
            cell.comment = Comment(hint, "award")
        ws.column_dimensions[cell.column_letter].width = max(12, len(col.label) * 2 + 4)
    from ..userfiles import check_output

    check_output(path, "模板文件")
    try:
        wb.save(path)
    except OSError as exc:
        raise InvalidInput(f"无法写入 {path}：{exc.strerror}") from None
