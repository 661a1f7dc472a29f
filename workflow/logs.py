"""The program's loggers, and the configuration `award` gives them, applied when the first logger is asked for.

Importing `logging` cost every `award` process ~6 ms while a read on the plain path (plainread.py) logs
nothing. So the command line does not configure logging as it starts: it says how (`configure`), and the
first module that asks for its logger (`logger`, as it is imported) applies that, as `logging.basicConfig`
at the start of `cli.main` did; a process whose modules ask for none never imports `logging`. Code that
embeds the engine configures logging itself, as before.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

__all__ = ["configure", "logger"]

_PENDING: dict[str, Any] = {}


def configure(**basic: Any) -> None:
    """`logging.basicConfig(**basic)`: now if `logging` is in use, else when a logger is first asked for."""
    _PENDING.clear()
    _PENDING.update(basic)
    if "logging" in sys.modules:
        _apply()


def logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)`, the configuration `configure` asked for applied first."""
    import logging

    _apply()
    return logging.getLogger(name)


def _apply() -> None:
    if _PENDING:
        import logging

        basic = dict(_PENDING)
        _PENDING.clear()
        logging.basicConfig(**basic)
