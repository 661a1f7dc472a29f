"""An office calendar year as a file: written from a parsed notice, previewed, compared, saved.

`award calendar import` turns the notice text into a `Notice` (notice_text.py), writes it here as a
calendar file in the format of `definitions/calendars/README.md` (plus who imported it and when),
checks the result with the very loader the engine uses, shows what changes, and only then saves it into
the office data folder (`<AWARD_HOME>/calendars/`), atomically, so that a half-written year is never read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ..errors import CalendarYearUnknown, ConfigError, Problem
from ..values import DayInfo
from .calendar import OfficialCalendar
from .notice_text import Notice

__all__ = ["DayChange", "Preview", "diff_year", "notice_yaml", "preview", "save_year", "year_days"]

_PLAIN = re.compile(r"[\w、·]+")


@dataclass(frozen=True, kw_only=True, slots=True)
class DayChange:
    """One day whose status differs between the current data and the imported year."""

    day: date
    before: str | None
    after: str
    working_before: bool | None
    working_after: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class Preview:
    """The imported year as the engine would see it, before it is saved."""

    year: int
    text: str
    calendar: OfficialCalendar
    problems: tuple[Problem, ...]
    replaces: Path | None


def notice_yaml(notice: Notice, *, imported_by: str, imported_at: datetime) -> str:
    """The calendar file for a notice, each holiday preceded by the sentence it comes from."""
    lines = [
        f"# {notice.year} 年节假日安排：由 award calendar import 从国务院办公厅通知原文导入。",
        "# 格式见 definitions/calendars/README.md；要更正，请重新导入通知原文（或改本文件后运行 award calendar show 核对）。",
        f"year: {notice.year}",
        f"notice: {_scalar(notice.title)}",
    ]
    if notice.published is not None:
        lines.append(f"published: {notice.published.isoformat()}")
    lines += [f"imported_by: {json.dumps(imported_by, ensure_ascii=False)}",
              f"imported_at: {json.dumps(imported_at.isoformat(timespec='seconds'))}",
              "holidays:"]
    for holiday in notice.holidays:
        lines.append(f"  # {' '.join(holiday.sentence.split())}")
        for index, (first, last) in enumerate(holiday.off):
            off = f"[{first.isoformat()}]" if first == last else f"[{first.isoformat()}, {last.isoformat()}]"
            entry = f"  - {{name: {_scalar(holiday.name)}, off: {off}"
            if index == 0 and holiday.makeup:
                entry += ", makeup: [" + ", ".join(d.isoformat() for d in holiday.makeup) + "]"
            lines.append(entry + "}")
    return "\n".join(lines) + "\n"


def preview(*, current: OfficialCalendar, files_dir: Path | None, office_dir: Path, year: int, text: str,
            use_package: bool = True) -> Preview:
    """The calendar as it would be with `text` saved as `<year>.yaml` in the office folder (nothing saved).

    The office folder is copied into a temporary one with the new file, and read by `OfficialCalendar`
    exactly as the engine will read it, so a file that would be refused is refused now: `problems` are
    those the new file brings (in itself, or a day another year's file already names), not old ones.
    """
    with tempfile.TemporaryDirectory(prefix="award-calendar-") as scratch:
        folder = Path(scratch) / office_dir.name
        folder.mkdir()
        if office_dir.is_dir():
            for path in office_dir.glob("*.yaml"):
                shutil.copy2(path, folder / path.name)
        (folder / f"{year}.yaml").write_text(text, encoding="utf-8")
        calendar = OfficialCalendar(files_dir=files_dir, office_dir=folder, use_package=use_package)
        known = {str(p) for p in current.problems()}
        problems = tuple(p for p in calendar.problems() if str(p) not in known)
        for day in _notice_range(year):  # load and answer now, while the scratch folder exists
            try:
                calendar.day(day)
            except CalendarYearUnknown:
                pass
    existing = office_dir / f"{year}.yaml"
    return Preview(year=year, text=text, calendar=calendar, problems=problems,
                   replaces=existing if existing.is_file() else None)


def save_year(office_dir: Path, year: int, text: str, *, notice_text: str | None = None) -> Path:
    """Write `<year>.yaml` into the office folder atomically (a reader sees the old file or the new one).

    `notice_text`, the text it was imported from, is kept beside it as `<year>.notice.txt`, so that the
    office can always show what the State Council's notice said and import it again.
    """
    target = office_dir / f"{year}.yaml"
    try:
        office_dir.mkdir(parents=True, exist_ok=True)
        if notice_text is not None:
            _write_atomically(office_dir / f"{year}.notice.txt", notice_text)
        _write_atomically(target, text)
    except OSError as exc:
        raise ConfigError(f"无法写入办公数据目录 {office_dir}：{exc.strerror}；"
                          "用 --home 或 AWARD_HOME 指定一个可写的目录") from None
    return target


def _write_atomically(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def year_days(calendar: OfficialCalendar, year: int) -> list[DayInfo]:
    """Every day of a year by the calendar.

    Raises:
        CalendarYearUnknown: when the year (or, for late December, nothing else) is unknown.
    """
    first = date(year, 1, 1)
    return [calendar.day(first + timedelta(days=i)) for i in range((date(year, 12, 31) - first).days + 1)]


def diff_year(old: OfficialCalendar, new: OfficialCalendar, year: int) -> list[DayChange]:
    """The days a notice governs (December of the year before through its year) that change."""
    out = []
    for day in _notice_range(year):
        try:
            after = new.day(day)
        except CalendarYearUnknown:  # December of a year before that is not known either, nor named here
            continue
        try:
            before: DayInfo | None = old.day(day)
        except CalendarYearUnknown:
            before = None
        if before is not None and (before.working, before.kind, before.holiday) == (
                after.working, after.kind, after.holiday):
            continue
        if before is None and after.kind in ("workday", "weekend"):
            continue  # an ordinary day of a year that was unknown: nothing worth listing
        out.append(DayChange(day=day, before=before.reason if before else None, after=after.reason,
                             working_before=before.working if before else None, working_after=after.working))
    return out


def _notice_range(year: int) -> Iterator[date]:
    day = date(year - 1, 12, 1)
    while day.year <= year:
        yield day
        day += timedelta(days=1)


def _scalar(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)
