"""Pydantic's validation errors in the office's language: what is wrong, the value found, the range allowed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["reason_of"]

_BOUNDS = {"gt": "须大于 {}", "ge": "须不小于 {}", "lt": "须小于 {}", "le": "须不大于 {}"}
_TYPES = {
    "int_type": "须为整数", "int_parsing": "须为整数", "int_from_float": "须为整数",
    "float_type": "须为数字", "float_parsing": "须为数字", "finite_number": "须为有限的数字",
    "bool_type": "须为 true 或 false", "bool_parsing": "须为 true 或 false",
    "string_type": "须为文字", "list_type": "须为列表（[...] 或 - 项）", "dict_type": "须为映射（键: 值）",
    "model_type": "须为映射（键: 值）", "literal_error": "须为以下之一：{expected}",
    "date_type": "须为日期（如 2026-03-02）", "date_parsing": "须为日期（如 2026-03-02）",
    "date_from_datetime_parsing": "须为日期（如 2026-03-02）",
    "string_pattern_mismatch": "格式不符（{pattern}）",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def reason_of(err: Mapping[str, Any]) -> str:
    """One pydantic error as a Chinese reason, with the value received (shortened) and the bound."""
    kind, ctx = str(err.get("type", "")), dict(err.get("ctx") or {})
    received = f"（收到 {_shown(err['input'])}）" if "input" in err and kind not in ("missing",) else ""
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        key = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}[kind]
        return _BOUNDS[key].format(ctx.get(key)) + received
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项，此处有 {ctx.get('actual_length', 0)} 项"
    if kind == "too_long":
        return (f"最多 {ctx.get('max_length')} 项，此处有 {ctx.get('actual_length')} 项"
                "（一个流程用不了这么多：请检查是否误复制）")
    if kind in _TYPES:
        return _TYPES[kind].format(**{k: ctx.get(k, "") for k in ("expected", "pattern")}) + received
    if kind == "value_error":
        return str(ctx.get("error") or err.get("msg", ""))
    return f"{err.get('msg', '')}{received}"
