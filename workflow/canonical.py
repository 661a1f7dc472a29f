"""Canonical JSON: the one text that history hashes, roster hashes and seals are computed over.

Keys sorted, no spaces, Chinese kept as it is (not `\\uXXXX`), anything JSON cannot hold written as
`str(value)`: exactly `json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
default=str)`. Every step writes three such texts (its event's hash, the seal of the case as read and
as written), and `json.dumps` with these options builds a new `JSONEncoder` and a new C encoder on
every call, about a third of the cost of encoding a case. Here the standard library's C encoder is
built once, with the options `json.dumps` gives it, and checked at import against `json.dumps`; where
it is missing or built differently (another Python), `json.dumps` itself is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any

__all__ = ["canonical_json"]

_OPTIONS: dict[str, Any] = {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":"), "default": str}
_SAMPLE: Any = {"z": [1, 2.5, None, True], "名称": "上海\"质量\"\n", "a": {"b": float("1e300"), "c": -0}}


def _dumps(value: Any) -> str:
    return json.dumps(value, **_OPTIONS)


def _built_once() -> Callable[[Any], str]:
    """The C encoder `json.dumps` would build (markers off: payloads come from JSON and hold no cycles)."""
    make = getattr(_encoder, "c_make_encoder", None)
    if make is None:
        return _dumps
    try:
        encode = make(None, str, _encoder.encode_basestring, None, ":", ",", True, False, True)
    except TypeError:  # a Python whose C encoder takes other arguments
        return _dumps

    def canonical(value: Any) -> str:
        return "".join(encode(value, 0))

    return canonical if canonical(_SAMPLE) == _dumps(_SAMPLE) else _dumps


canonical_json: Callable[[Any], str] = _built_once()
"""`json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)`."""
