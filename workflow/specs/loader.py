"""Parse definition files (YAML 1.2) into frozen specs, keeping file and line for every key.

Only parsing lives here: the cross-checks (reachable states, known guards,
rule ids) are in `check.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import DefinitionError, Problem
from ..logs import logger
from .limits import MAX_DEPTH, MAX_NODES, long_number, read_utf8
from .locations import bundled_definitions, cache_dir
from .messages import reason_of
from .model import ProcessSpec

__all__ = ["LoadedFile", "Rule", "bundled_definitions", "iter_definition_files", "load_rules", "parse_file"]

_LOGGER = logger(__name__)

Path_ = tuple[str | int, ...]


@dataclass(kw_only=True, slots=True)
class LoadedFile:
    """A parsed definition file with the line of every key, for messages."""

    path: Path
    spec: ProcessSpec | None
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, *where: str | int) -> int | None:
        """The line of the deepest key of `where` that the file has."""
        key: Path_ = tuple(where)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1

    def problem(self, reason: str, *where: str | int, rule: str | None = None) -> Problem:
        return Problem(file=str(self.path), line=self.line(*where), reason=reason, rule=rule)


class Rule(BaseModel):
    """One rule of the catalogue: id, document, article and a one-line summary."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built when a rules file is first read, not when a cached catalogue is

    doc: str
    article: str
    summary: str


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    return yaml


class _TooLarge(Exception):
    """The parsed tree passed a limit while being copied: `reason`, at the last line seen."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def _plain(node: Any, where: Path_, lines: dict[Path_, int], budget: list[int] | None = None) -> Any:
    """Turn ruamel's round-trip nodes into plain data, recording each key's line (1-based).

    Aliases are expanded here, so the copy counts its nodes against `MAX_NODES` (an alias bomb is
    refused, not expanded for ever) and its depth against `MAX_DEPTH`.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    budget = budget if budget is not None else [MAX_NODES]
    if len(where) > MAX_DEPTH:
        raise _TooLarge(f"嵌套过深：超过 {MAX_DEPTH} 层；流程定义用不了这么多层", _last_line(lines))
    if isinstance(node, CommentedMap | CommentedSeq):
        budget[0] -= len(node)
        if budget[0] < 0:
            raise _TooLarge(f"展开别名（&锚点 与 *别名）后超过 {MAX_NODES:,} 项；请不要用别名层层复制内容",
                            _last_line(lines))
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key in node:
            k = str(key)
            try:
                line, _col = node.lc.key(key)
                lines[(*where, k)] = line + 1
            except (KeyError, TypeError, AttributeError):
                pass
            out[k] = _plain(node[key], (*where, k), lines, budget)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            try:
                line, _col = node.lc.item(i)
                lines[(*where, i)] = line + 1
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_plain(item, (*where, i), lines, budget))
        return items
    if hasattr(node, "value") and type(node).__module__.startswith("ruamel"):
        return node.value if not isinstance(node, str) else str(node)
    if isinstance(node, str):
        return str(node)
    return node


def _last_line(lines: dict[Path_, int]) -> int | None:
    return next(reversed(lines.values()), None) if lines else None


def _deep_line(text: str) -> int | None:
    """The line where flow brackets first nest deeper than `MAX_DEPTH` (quoted text skipped)."""
    depth, line, quote = 0, 1, ""
    for ch in text:
        if ch == "\n":
            line += 1
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


_MEMO: dict[str, tuple[Any, dict[Path_, int]]] = {}
_CACHE_FORMAT = b"award-yaml-cache-1"


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "__date__" in value:
            return date.fromisoformat(value["__date__"])
        if len(value) == 1 and "__datetime__" in value:
            return datetime.fromisoformat(value["__datetime__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _cached(key: str) -> tuple[Any, dict[Path_, int]] | None:
    if key in _MEMO:
        return _MEMO[key]
    folder = cache_dir()
    if folder is None:
        return None
    try:
        raw = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        found = _decode(raw["data"]), {tuple(k): v for k, v in raw["lines"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    _MEMO[key] = found
    return found


def _store(key: str, data: Any, lines: dict[Path_, int]) -> None:
    _MEMO[key] = (data, lines)
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"data": _encode(data), "lines": [[list(k), v] for k, v in lines.items()]},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")
    except OSError:  # a read-only home is fine: the cache only saves time
        _LOGGER.debug("cannot write the definitions cache in %s", folder)


MAX_YAML_NODES = 200_000
"""Nodes a YAML file may expand to through its aliases (`*a`): the bundled definitions have a few thousand."""


def refuse_alias_bombs(text: str, path: Path) -> None:
    """Count the nodes the file expands to, aliases included, from its parse events (no tree is built).

    A "billion laughs" file (ten aliases to ten aliases to ...) is a few hundred bytes that every later
    walk over the data would expand exponentially; it is refused here, in time linear in the file.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, CollectionStartEvent):
            stack.append([event.anchor, 1])
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, count = stack.pop()
        elif isinstance(event, ScalarEvent):
            anchor, count = event.anchor, 1
        elif isinstance(event, AliasEvent):
            anchor, count = None, sizes.get(event.anchor, 1)
        else:
            continue
        if anchor is not None:
            sizes[anchor] = count
        stack[-1][1] += count
        if stack[-1][1] > MAX_YAML_NODES:
            raise DefinitionError(Problem(file=str(path), line=None, reason=(
                f"YAML 文件经别名（*名称）展开后超过 {MAX_YAML_NODES} 个节点，疑似“别名炸弹”；请不要嵌套使用别名")))


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Read one YAML 1.2 file; duplicate keys and syntax errors raise DefinitionError with the line.

    Parsing with line numbers (ruamel's round-trip mode, pure Python) costs about 0.2 s for a
    definition; the result is cached by the file's content hash, in memory and in
    `~/.cache/award` (or `AWARD_CACHE_DIR`), so every CLI command after the first starts fast.
    The limits of `limits.py` keep a hostile or broken file from running for ever.
    """
    raw_bytes, text = read_utf8(path)
    key = hashlib.sha256(_CACHE_FORMAT + raw_bytes).hexdigest()
    hit = _cached(key)
    if hit is not None:
        return hit
    data = _load(path, text)
    lines: dict[Path_, int] = {}
    try:
        plain = _plain(data, (), lines)
    except _TooLarge as exc:
        raise DefinitionError(Problem(file=str(path), line=exc.line, reason=exc.reason)) from None
    _store(key, plain, lines)
    return plain, lines


def _load(path: Path, text: str) -> Any:
    """ruamel's parse of `text`; every way it can fail becomes a DefinitionError with the line."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if "*" in text:
        refuse_alias_bombs(text, path)  # in linear time, before ruamel expands anything
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if "duplicate key" in reason:
            reason = f"重复的键（duplicate key）：{reason}"
        raise DefinitionError(Problem(file=str(path), line=line, reason=f"YAML 格式错误：{reason}")) from None
    except YAMLError as exc:
        raise DefinitionError(Problem(file=str(path), line=None, reason=f"YAML 格式错误：{exc}")) from None
    except RecursionError:
        raise DefinitionError(Problem(file=str(path), line=_deep_line(text), reason=(
            f"嵌套过深：超过 {MAX_DEPTH} 层；流程定义用不了这么多层"))) from None
    except ValueError as exc:  # ruamel builds numbers and dates itself: 10**5000 or 2026-02-30
        found = long_number(path, text)
        raise DefinitionError(found or Problem(file=str(path), line=None, reason=f"无效的值：{exc}")) from None


def _loc_to_path(loc: tuple[int | str, ...], data: Any) -> Path_:
    """Map a pydantic error location onto the YAML path (lists of models index by position)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and str(part) in node:
            out.append(str(part))
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        else:
            break
    return tuple(out)


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return f"未知的键 {loc!r}（拼写错误？）"
    if err["type"] == "missing":
        return f"缺少必填的键 {loc!r}"
    reason = reason_of(err) or msg
    return f"{loc}: {reason}" if loc else reason


def parse_file(path: Path) -> LoadedFile:
    """Parse one definition file. Never raises for content problems: they are collected."""
    loaded = LoadedFile(path=path, spec=None)
    try:
        data, loaded.lines = read_yaml(path)
    except DefinitionError as exc:
        loaded.problems.append(exc.problem)
        return loaded
    if not isinstance(data, dict):
        loaded.problems.append(Problem(file=str(path), line=1, reason="流程定义文件的顶层必须是映射（key: value）"))
        return loaded
    try:
        loaded.spec = ProcessSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = _loc_to_path(tuple(err["loc"]), data)
            loaded.problems.append(loaded.problem(_describe(err), *where))
    return loaded


def iter_definition_files(root: Path) -> Iterator[Path]:
    """Definition files: every `*.yaml` in the folder except the rule catalogue and deployment files."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.glob("*.yaml")):
        if path.name not in ("rules.yaml",):
            yield path


def load_rules(path: Path) -> tuple[dict[str, Rule], list[Problem]]:
    """Read the rule catalogue (`rules.yaml`): id -> document, article, summary."""
    problems: list[Problem] = []
    try:
        data, lines = read_yaml(path)
    except DefinitionError as exc:
        return {}, [exc.problem]
    rules: dict[str, Rule] = {}
    if not isinstance(data, dict):
        return {}, [Problem(file=str(path), line=1, reason="规则目录的顶层必须是 规则编号: {...} 的映射")]
    for rule_id, body in data.items():
        try:
            rules[rule_id] = Rule.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(Problem(file=str(path), line=lines.get((rule_id,)), reason=f"{rule_id}: {_describe(err)}"))
    return rules, problems
