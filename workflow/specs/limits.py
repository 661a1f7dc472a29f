"""Limits that refuse what no office writes, so that checking a file always ends, soon, with a clean error.

A definition of the five bundled procedures is about 15 KB with at most 23 states and 23 transitions;
the limits leave ten to twenty times that room. Each limit is checked before the work it protects:
the file size before parsing, digits before ruamel builds an integer, aliases while the parsed tree is
copied (a "billion laughs" file is small but expands without end), nesting while it is walked.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DefinitionError, Problem

__all__ = ["MAX_DEPTH", "MAX_DIGITS", "MAX_FILE_BYTES", "MAX_NODES", "MAX_STATES", "MAX_TRANSITIONS",
           "MAX_YAML_BYTES", "long_number", "read_utf8"]

MAX_FILE_BYTES = 256 * 1024
"""A definition, rule catalogue, deployment or calendar file larger than this is refused unread."""
MAX_NODES = 100_000
"""Keys and items after aliases are expanded (sha.yaml has about 2,000)."""
MAX_DEPTH = 40
"""Nesting of mappings and lists (sha.yaml reaches 7)."""
MAX_DIGITS = 30
"""The longest number a definition may write (a count, a year, a quota)."""
MAX_STATES = 500
MAX_TRANSITIONS = 2_000
MAX_YAML_BYTES = 4 * 1024 * 1024
"""A definition or deployment file larger than this is not one (the bundled ones are under 64 KiB)."""

_LONG_NUMBER = re.compile(rf"(?<![\w.])[-+]?\d{{{MAX_DIGITS + 1},}}")


def read_utf8(path: Path, what: str = "文件") -> tuple[bytes, str]:
    """The bytes and text of an office file, refused when too large or not UTF-8.

    Raises:
        DefinitionError: naming the file, the line of the first bad byte, and the fix.
    """
    from ..errors import InvalidInput
    from ..userfiles import read_bytes

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DefinitionError(Problem(file=str(path), line=None, reason=(
                f"{what}过大：{size:,} 字节，上限 {MAX_FILE_BYTES:,} 字节；一个{what}用不了这么大，"
                "请检查是否误粘贴了大段内容")))
        raw = read_bytes(path, what=what, limit=MAX_FILE_BYTES)  # never blocks on a FIFO, never reads /dev/zero whole
    except InvalidInput as exc:
        raise DefinitionError(Problem(file=str(path), line=None, reason=str(exc))) from None
    except OSError as exc:
        raise DefinitionError(Problem(file=str(path), line=None, reason=f"无法读取文件：{exc.strerror}")) from None
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError(Problem(file=str(path), line=line, reason=(
            f"不是有效的 UTF-8 编码（第 {exc.start + 1} 个字节 0x{raw[exc.start]:02x}）：请用 UTF-8 另存此文件"))
        ) from None


def long_number(path: Path, text: str) -> Problem | None:
    """A number longer than `MAX_DIGITS` digits, with its line (Python refuses to build one of 4,300)."""
    match = _LONG_NUMBER.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return Problem(file=str(path), line=line, reason=(
        f"数字过长：{len(match.group().lstrip('+-'))} 位，最多 {MAX_DIGITS} 位；请核对这个数字"))
