"""What a value typed by a person may be: record ids, names, free text.

Everything here is checked at the edge, before any database work, so a bad value changes nothing
and the message says what was wrong. Output escaping is the other half (commands/render.py).
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidInput

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_ROW_ID",
    "MAX_TEXT_CHARS",
    "free_text",
    "row_id",
    "single_line",
    "unprintable",
]

MAX_ROW_ID = 2**31 - 1
"""The largest id every backend's id column holds (PostgreSQL's INTEGER; SQLite's would hold 2**63-1):
a larger number is no id of ours on either, and never reaches a query (where PostgreSQL would fail)."""

MAX_NAME_CHARS = 200
"""A name, title, address or code: longer is a paste gone wrong, not a name."""

MAX_TEXT_CHARS = 20_000
"""A comment, reason or form field: about ten pages of Chinese text."""

_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional overrides: they make a name display as another one."""


def row_id(text: str | int) -> int | None:
    """`text` as a row id when it is one: ASCII digits only, 1..MAX_ROW_ID; else None.

    `str.isdigit()` accepts `²` and `٣`, which `int()` then refuses or reads as another number; a
    20-digit number overflows the database's integer. Both are "no such record", never a crash.
    """
    value = str(text).strip()
    if not value or len(value) > len(str(MAX_ROW_ID)) or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ROW_ID else None


def unprintable(text: str, *, allow_breaks: bool) -> str | None:
    """The first character of `text` that has no place in it, shown as `U+001B`; None when clean.

    Control characters (ANSI escapes, NUL, carriage returns) and unpaired surrogates (bytes that
    were not UTF-8 on the command line) are never text; line breaks are text only where allowed.
    """
    for ch in text:
        if ch in ("\n", "\t") and allow_breaks:
            continue
        if ch in _LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Cs"):
            return f"U+{ord(ch):04X}"
    return None


def single_line(value: str, what: str, *, max_chars: int = MAX_NAME_CHARS) -> str:
    """A name-like value, stripped: one line, no control characters, not empty, not too long.

    Raises:
        InvalidInput: naming the field and the offending character.
    """
    text = value.strip()
    bad = unprintable(text, allow_breaks=False) or next((f"U+{ord(c):04X}" for c in text if c in _BIDI), None)
    if bad is not None:
        what_char = "换行" if bad in ("U+000A", "U+000D", "U+2028", "U+2029") else f"控制字符 {bad}"
        raise InvalidInput(f"{what}只能是一行文字，不能含有{what_char}；请去掉后重试")
    if not text:
        raise InvalidInput(f"{what}不能为空")
    if len(text) > max_chars:
        raise InvalidInput(f"{what}过长：{len(text)} 个字符，上限 {max_chars} 个")
    return text


def free_text(value: str, what: str, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """A comment, reason or text field: line breaks and tabs allowed, other control characters not.

    Raises:
        InvalidInput: naming the field and the offending character.
    """
    bad = unprintable(value, allow_breaks=True)
    if bad is not None:
        raise InvalidInput(f"{what}含有控制字符 {bad}（例如终端转义序列），不能保存；请去掉后重试")
    if len(value) > max_chars:
        raise InvalidInput(f"{what}过长：{len(value)} 个字符，上限 {max_chars} 个")
    return value
