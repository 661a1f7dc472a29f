"""A SQLite file read through the standard library's `sqlite3`: the plain read path's plumbing.

The statements (`plainsql.py`) come compiled from their cache, the file is opened read-only and
checked against this program's schema version, and values come back as the ORM gives them. `PlainFile`
answers what needs no views, no labels and no seal (an idle tick's probe: is any timer due?);
`plainread.PlainReader` builds on it for `show`, `history` and lists. Nothing here imports the
engine, the views or SQLAlchemy (except to compile the statements the first time).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .timing.clock import sqlite_datetime

__all__ = ["COUNTED_KEYS", "PlainFile", "compiled_statements"]

_FORMAT = "award-plainsql-1"
COUNTED_KEYS = 3
"""How many form fields `round_counts` (plainsql.py) groups by: a `count_cases` condition on more is counted
in Python over the round's cases."""
_HERE = Path(__file__).resolve().parent
_TABLE_CODE = (_HERE / "store.py", _HERE / "review" / "tables.py", _HERE / "plainsql.py", _HERE / "kinds.py",
               _HERE / "gather.py")


def _cache_key() -> str:
    import hashlib

    digest = hashlib.sha256(_FORMAT.encode())
    for path in _TABLE_CODE:
        info = path.stat()
        digest.update(f"{path.name}:{info.st_size}:{info.st_mtime_ns};".encode())
    return digest.hexdigest()[:32]


def compiled_statements() -> dict[str, Any]:
    """The compiled statements: from the cache, else compiled now (this once importing SQLAlchemy) and cached."""
    from .specs.locations import cache_dir

    folder = cache_dir()
    path = None if folder is None else folder / f"plainsql-{_cache_key()}.json"
    if path is not None:
        try:
            found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return found
        except (OSError, ValueError):
            pass
    from .plainsql import compile_statements

    compiled = compile_statements()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(compiled, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a read-only home only costs the compile next time
            pass
    return compiled


def _decode(kind: str, value: Any) -> Any:
    if value is None or kind == "raw":
        return value
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "json":
        return json.loads(value)
    return bool(value)


class _Fallback(Exception):
    """The plain path does not answer this one: the engine's path does."""


@dataclass(kw_only=True)
class PlainFile:
    """One SQLite file read through `sqlite3`, read-only; every method returns None to mean "ask the engine".

    Attributes:
        path: the SQLite file (it must exist: only `award init` creates one).
        busy_timeout: seconds to wait for a writer's lock, as the engine would.
    """

    path: Path
    busy_timeout: float
    _con: sqlite3.Connection | None = field(default=None, repr=False)
    _sql: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ plumbing

    def _connect(self) -> sqlite3.Connection:
        if self._con is None:
            compiled = compiled_statements()
            self._sql = compiled["statements"]
            uri = "file:" + _quote(str(self.path.resolve())) + "?mode=ro"
            self._con = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout)
            version = self._rows("schema_version")
            if not version or str(version[0].value) != str(compiled["schema_version"]):
                raise _Fallback  # not initialised, or older or newer: the engine says what to do
        return self._con

    def _rows(self, statement: str, /, **params: Any) -> list[Any]:
        names = [c for c, _k in self._sql[statement]["columns"]]
        return [SimpleNamespace(**dict(zip(names, values, strict=True)))
                for values in self._tuples(statement, params)]

    def _tuples(self, statement: str, params: Mapping[str, Any], /) -> list[tuple[Any, ...]]:
        """A statement's rows as tuples, each value as the ORM gives it (`factrows.FactRows`)."""
        assert self._con is not None
        stmt = self._sql[statement]
        cur = self._con.execute(stmt["sql"], {**stmt["fixed"], **params})
        kinds = [k for _c, k in stmt["columns"]]
        return [tuple(_decode(k, v) for k, v in zip(kinds, raw, strict=True)) for raw in cur.fetchall()]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _answer(self, work: Any) -> Any:
        try:
            self._connect()
            return work()
        except (_Fallback, sqlite3.Error):
            return None

    def nothing_due(self, now: datetime) -> bool | None:
        """True when no timer is due at `now`, so an idle `award tick` has nothing to do; None: ask the engine
        (something is due, or the file is not one the plain path reads)."""
        moment = sqlite_datetime(now.astimezone(UTC))
        found: list[tuple[Any, ...]] | None = self._answer(lambda: self._tuples("due_timer", {"now": moment}))
        return True if found == [] else None


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
