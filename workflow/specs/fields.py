"""Form fields: parse what staff type (`--set field=value`) into typed values, and check them.

Values are stored in the case's JSON form as JSON types (dates as ISO
strings) and turned back into Python values for guards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..inputs import free_text, single_line
from ..timing.clock import check_day, cn_date

if TYPE_CHECKING:
    from .model import FieldSpec
    from .readspec import FieldLabels

__all__ = ["count_chars", "display", "parse_assignment", "parse_value", "to_python"]

_TRUE = {"yes", "true", "1", "y", "是", "有", "on"}
_FALSE = {"no", "false", "0", "n", "否", "无", "off"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")


def count_chars(text: str) -> int:
    """Characters as the office counts a report's length: every character except white space.

    This is what a word processor shows as 字符数（不计空格）: each Chinese character,
    letter, digit and punctuation mark counts one; spaces and line breaks do not.
    """
    return sum(1 for ch in text if not ch.isspace())


def parse_assignment(text: str) -> tuple[str, str]:
    """Split `field=value`.

    Raises:
        InvalidInput: when there is no `=`.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InvalidInput(f"--set 需要 字段=值 的形式，收到 {text!r}（例如 --set registered_on=2020-05-01）")
    return name.strip(), value.strip()


def parse_value(name: str, spec: FieldSpec, raw: str) -> Any:
    """Turn typed text into the JSON value stored on the case.

    Raises:
        InvalidInput: naming the field, what is wrong and what is accepted.
    """
    label = f"“{spec.label}”（{name}）"
    if raw == "":
        return None
    if spec.type == "text":
        free_text(raw, label)
        if spec.max_chars is not None and count_chars(raw) > spec.max_chars:
            raise InvalidInput(f"{label}共{count_chars(raw)}字，超过{spec.max_chars}字的上限")
        return raw
    if spec.type == "int":
        try:
            if not raw.strip().lstrip("+-").isascii() or len(raw) > 18:
                raise ValueError(raw)
            value: Any = int(raw)
        except ValueError:
            raise InvalidInput(f"{label}须为整数，收到 {raw!r}") from None
        _bounds(label, spec, value)
        return value
    if spec.type == "decimal":
        try:
            dec = Decimal(raw) if raw.isascii() and len(raw) <= 40 else Decimal("NaN")
        except InvalidOperation:
            dec = Decimal("NaN")
        if not dec.is_finite() or abs(dec.adjusted()) > 15:
            raise InvalidInput(f"{label}须为数字（至多 15 位整数），收到 {raw[:40]!r}") from None
        _bounds(label, spec, float(dec))
        return str(dec)
    if spec.type == "bool":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise InvalidInput(f"{label}须为 是/否（yes/no），收到 {raw!r}")
    if spec.type == "date":
        try:
            if not raw.isascii():
                raise ValueError(raw)
            day = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"{label}须为日期 YYYY-MM-DD，收到 {raw[:40]!r}") from None
        try:
            return check_day(day, label).isoformat()
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    if spec.type in ("choice", "multichoice"):
        assert spec.choices is not None
        by_label = {v: k for k, v in spec.choices.items()}
        items = [s.strip() for s in raw.split(",")] if spec.type == "multichoice" else [raw]
        out = []
        for item in items:
            key = item if item in spec.choices else by_label.get(item)
            if key is None:
                options = "、".join(f"{k}（{v}）" for k, v in spec.choices.items())
                raise InvalidInput(f"{label}没有选项 {item!r}；可选：{options}")
            out.append(key)
        return out if spec.type == "multichoice" else out[0]
    if spec.type == "email":
        if not _EMAIL.match(raw):
            raise InvalidInput(f"{label}不是有效的电子邮件地址：{raw!r}")
        return raw
    if spec.type == "party":  # a registered party: the engine resolves the code (or name) against the register
        return single_line(raw, label, max_chars=100).strip()
    if spec.type == "phone":
        if not _PHONE.match(raw):
            raise InvalidInput(f"{label}不是有效的电话号码：{raw!r}")
        return raw
    if spec.type == "period":
        return _period(label, raw)
    raise InvalidInput(f"{label}的类型 {spec.type} 未知")  # pragma: no cover - spec validation forbids it


def _period(label: str, raw: str) -> str:
    """A time limit the office sets per request: a period (`10 working days`, `10个工作日`, `15天`) or a
    deadline (`2024-09-30`, `2024-09-30 17:00`); stored as typed, counted when the timer is planned."""
    from ..timing.periods import parse_period

    free_text(raw, label)
    try:
        period = parse_period(raw)
    except ValueError as exc:
        raise InvalidInput(f"{label}：{exc}") from None
    if period.kind == "yearly":
        raise InvalidInput(f"{label}须为工作日、自然日或截止日期（如 10个工作日、2024-09-30），收到 {raw[:40]!r}")
    return raw.strip()


def _bounds(label: str, spec: FieldSpec, value: float) -> None:
    if spec.min is not None and value < spec.min:
        raise InvalidInput(f"{label}不能小于 {spec.min:g}，收到 {value:g}")
    if spec.max is not None and value > spec.max:
        raise InvalidInput(f"{label}不能大于 {spec.max:g}，收到 {value:g}")


def to_python(fields: Mapping[str, FieldSpec] | Mapping[str, FieldLabels], data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON form -> Python values (dates become `date`)."""
    out = dict(data)
    for name, spec in fields.items():
        if spec.type == "date" and isinstance(out.get(name), str):
            out[name] = date.fromisoformat(out[name])
    return out


def display(spec: FieldSpec | FieldLabels | None, value: Any, names: Mapping[str, str] | None = None) -> str:
    """A stored value as people read it; `names` gives registered parties' names by code (`party` fields)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec is not None and spec.choices:
        if isinstance(value, list):
            return "、".join(str(spec.choices.get(v, v)) for v in value)
        return spec.choices.get(value, str(value))
    if spec is not None and spec.type == "date" and isinstance(value, str):
        return cn_date(date.fromisoformat(value))
    if spec is not None and spec.type == "party" and names and str(value) in names:
        return f"{names[str(value)]}（{value}）"
    return str(value)
