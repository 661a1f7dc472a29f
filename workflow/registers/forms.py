"""A case form from a file, for `award advance CASE TRIGGER --from FILE`: what `--set` would say, many at once.

Accepted: .xlsx or .csv in two layouts, field names (ids or the Chinese labels of the definition) in
the first column with values in the second, or in the first row with values in the second row; or
.yaml / .json holding one mapping {field: value}. Dates may be written as 2021-12-20, 2021/12/20,
2021年12月20日 or be Excel date cells; yes/no as 是/否. The result is a list of `field=value` items that
the engine checks like `--set` (every bad value reported at once, nothing written).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..specs.model import ProcessSpec
from .tabular import _check_file, _norm, cell_text, parse_cn_date, read_rows

__all__ = ["read_form"]

MAX_FORM_BYTES = 5 * 1024 * 1024


def _mapping_file(path: Path) -> dict[str, Any]:
    size = _check_file(path)
    if size > MAX_FORM_BYTES:
        raise InvalidInput(f"{path.name} 超过 {MAX_FORM_BYTES // (1024 * 1024)} MiB，不像是一份申报表")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} 不是 UTF-8 文本") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            from ruamel.yaml import YAML
            from ruamel.yaml.error import YAMLError

            from ..errors import DefinitionError
            from ..specs.loader import refuse_alias_bombs

            try:
                if "*" in text:
                    refuse_alias_bombs(text, path)
                data = YAML(typ="safe", pure=True).load(text)
            except DefinitionError as exc:
                raise InvalidInput(f"{path.name}：{exc.problem.reason}") from None
            except YAMLError as exc:
                raise InvalidInput(f"{path.name} 不是有效的 YAML：{exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path.name} 不是有效的 JSON：第 {exc.lineno} 行 {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path.name} 须为“字段: 值”的映射")
    return {str(k): v for k, v in data.items()}


def _pairs_from_rows(rows: list[list[Any]], known: dict[str, str]) -> list[tuple[str, Any]]:
    rows = [r for r in rows if any(c is not None and str(c).strip() for c in r)]
    if not rows:
        return []
    first = [c for c in rows[0] if c is not None and str(c).strip()]
    hits = sum(1 for c in first if _norm(str(c)) in known)
    if len(rows) >= 2 and hits >= 2 and hits >= len(first) // 2:  # field names across the first row
        return [(str(h), rows[1][i] if i < len(rows[1]) else None) for i, h in enumerate(rows[0])
                if h is not None and str(h).strip()]
    out = []
    for r in rows:  # field names down the first column; a header such as 字段/内容 is skipped
        if not r or r[0] is None or not str(r[0]).strip():
            continue
        if _norm(str(r[0])) in ("字段", "项目", "field", "名称") and _norm(str(r[0])) not in known:
            continue
        out.append((str(r[0]), r[1] if len(r) > 1 else None))
    return out


def read_form(path: Path, spec: ProcessSpec, *, encoding: str | None = None) -> list[str]:
    """`field=value` items from a form file (field ids or labels); unknown names are an error listing them all.

    Raises:
        InvalidInput: the file cannot be read, or names fields the definition does not have.
    """
    known: dict[str, str] = {}
    for name, fs in spec.fields.items():
        known[_norm(name)] = name
        known.setdefault(_norm(fs.label), name)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        pairs = list(_mapping_file(path).items())
    else:
        pairs = _pairs_from_rows(read_rows(path, encoding=encoding), known)
    items: list[str] = []
    problems: list[str] = []
    for raw_name, value in pairs:
        found = known.get(_norm(raw_name))
        if found is None:
            problems.append(f"“{raw_name}”不是流程 {spec.id} 的字段")
            continue
        name = found
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        fs = spec.fields[name]
        if fs.type == "date":
            try:
                text = parse_cn_date(value).isoformat()
            except ValueError:
                text = cell_text(value).strip()  # the engine reports it with every other bad value
        elif isinstance(value, bool):
            text = "是" if value else "否"
        elif isinstance(value, (date, datetime)):
            text = value.isoformat()
        elif isinstance(value, list):
            text = ",".join(str(v) for v in value)
        else:
            text = cell_text(value).strip()
        items.append(f"{name}={text}")
    if problems:
        raise InvalidInput(f"{path.name} 有 {len(problems)} 处错误，未作任何修改：\n" + "\n".join(f"  {p}" for p in problems))
    return items
