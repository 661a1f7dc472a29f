"""What one `tick` did, in a module of its own: an idle tick reports it without importing the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TickReport"]


@dataclass(kw_only=True)
class TickReport:
    """What one tick did: each entry is (timer id, case ref, what, detail)."""

    fired: list[tuple[int, str, str, str]] = field(default_factory=list)
    held: list[tuple[int, str, str, str]] = field(default_factory=list)
    failed: list[tuple[int, str, str, str]] = field(default_factory=list)
