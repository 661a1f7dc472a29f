"""Scoring tables (versioned data files `scoring/<id>.yaml` beside the definitions) and score checks.

A table has categories, each with items and points; every entry names the edition and
clause it comes from. A score gives points for every item, within the item's range.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import DataError, InvalidInput, Problem

__all__ = ["ScoringCategory", "ScoringItem", "ScoringTable", "check_table_file", "load_table", "parse_points"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoringItem(_Frozen):
    """One scored item (GB/T 19580-2012 4.1.2 高层领导的作用, 50 points)."""

    clause: str
    label: str
    points: int = Field(gt=0)
    edition: str
    verified: bool


class ScoringCategory(_Frozen):
    """A category and its items; the items' points add up to the category's."""

    clause: str
    label: str
    points: int = Field(gt=0)
    edition: str
    verified: bool
    items: list[ScoringItem] = Field(min_length=1)


class ScoringTable(_Frozen):
    """A versioned scoring table.

    Attributes:
        id: the file's name without `.yaml`; stages name it.
        total: the categories' points add up to it.
    """

    id: str
    title: str
    edition: str
    version: str
    total: int = Field(gt=0)
    categories: list[ScoringCategory] = Field(min_length=1)

    def items(self) -> dict[str, ScoringItem]:
        """Item clause -> item, in table order."""
        return {i.clause: i for c in self.categories for i in c.items}

    def category_of(self, clause: str) -> ScoringCategory:
        for c in self.categories:
            if any(i.clause == clause for i in c.items):
                return c
        raise KeyError(clause)

    def check_points(self, raw: Mapping[str, str]) -> dict[str, float]:
        """Every item scored once, within 0..its points; refuses unknown and missing items.

        Raises:
            InvalidInput: naming each bad item and the allowed range.
        """
        items = self.items()
        problems: list[str] = []
        out: dict[str, float] = {}
        for clause, text in raw.items():
            item = items.get(clause)
            if item is None:
                problems.append(f"没有条款 {clause}（评分表 {self.title} 的条款：{'、'.join(items)}）")
                continue
            value = parse_points(text)
            if value is None or not 0 <= value <= item.points:
                problems.append(f"{clause} {item.label} 的得分须为 0 到 {item.points} 之间的数（最多一位小数），"
                                f"收到 {text!r}")
                continue
            out[clause] = float(value)
        missing = [f"{c} {i.label}" for c, i in items.items() if c not in raw]
        if missing:
            problems.append("尚未评分的条款：" + "、".join(missing) + "（每个条款用 --item 条款=分数 给出）")
        if problems:
            raise InvalidInput("评分不符合评分表：" + "；".join(problems))
        return out

    def category_totals(self, points: Mapping[str, float]) -> dict[str, float]:
        return {c.clause: sum(points.get(i.clause, 0.0) for i in c.items) for c in self.categories}


def parse_points(text: str) -> Decimal | None:
    """A non-negative number with at most one decimal, or None."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value.as_tuple().exponent < -1:  # type: ignore[operator]
        return None
    return value


def _table_path(definitions_folder: Path, table_id: str) -> Path:
    return definitions_folder / "scoring" / f"{table_id}.yaml"


def check_table_file(definitions_folder: Path, table_id: str) -> list[Problem]:
    """Every problem with one scoring table file: missing, unparsable, sums that do not add up."""
    from ..specs.loader import _describe, _loc_to_path, read_yaml

    path = _table_path(definitions_folder, table_id)
    if not path.is_file():
        return [Problem(file=str(path), line=None, reason=f"评分表文件不存在：scoring/{table_id}.yaml")]
    from ..errors import DefinitionError

    try:
        data, lines = read_yaml(path)
    except DefinitionError as exc:
        return [exc.problem]
    try:
        table = ScoringTable.model_validate(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            where = _loc_to_path(tuple(err["loc"]), data)
            out.append(Problem(file=str(path), line=lines.get(where), reason=_describe(err)))
        return out
    out = []
    if table.id != table_id:
        out.append(Problem(file=str(path), line=lines.get(("id",)), reason=f"评分表 id {table.id!r} 须与文件名 {table_id!r} 相同"))
    seen: set[str] = set()
    for i, c in enumerate(table.categories):
        if sum(item.points for item in c.items) != c.points:
            out.append(Problem(file=str(path), line=lines.get(("categories", i, "points")),
                               reason=f"类目 {c.clause} {c.label} 的分值 {c.points} 不等于其条款分值之和 "
                                      f"{sum(item.points for item in c.items)}"))
        for j, item in enumerate(c.items):
            if item.clause in seen:
                out.append(Problem(file=str(path), line=lines.get(("categories", i, "items", j, "clause")),
                                   reason=f"条款 {item.clause} 重复"))
            seen.add(item.clause)
    if sum(c.points for c in table.categories) != table.total:
        out.append(Problem(file=str(path), line=lines.get(("total",)),
                           reason=f"总分 {table.total} 不等于各类目分值之和 {sum(c.points for c in table.categories)}"))
    return out


_TABLES: dict[tuple[Path, bytes], ScoringTable] = {}


def load_table(definitions_folder: Path, table_id: str) -> ScoringTable:
    """The scoring table `table_id`; `award definitions check` has vetted it.

    Raises:
        DataError: the file is missing or wrong (exit 6).
    """
    import hashlib

    path = _table_path(definitions_folder, table_id)
    try:
        key = (path, hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        key = (path, b"")
    if key not in _TABLES:
        problems = check_table_file(definitions_folder, table_id)
        if problems:
            raise DataError(f"评分表 {table_id} 有误：" + "；".join(f"{p.file}:{p.line or ''} {p.reason}" for p in problems))
        from ..specs.loader import read_yaml

        data, _ = read_yaml(path)
        _TABLES[key] = ScoringTable.model_validate(data)
    return _TABLES[key]
