"""The hash chain of a case's history: each event carries its own hash and the previous one's.

An event edited, reordered or deleted behind the engine's back breaks the
chain; `verify` says where.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .canonical import canonical_json
from .store import EventRow, values_of
from .timing.clock import utc_text

__all__ = ["GENESIS", "ChainBreak", "event_hash", "verify_chain"]

GENESIS = "0" * 64


def event_hash(event: EventRow | Mapping[str, Any]) -> str:
    """SHA-256 over the event's content and the previous event's hash (of a row, or of its values)."""
    v = event if isinstance(event, Mapping) else values_of(event)
    payload: dict[str, Any] = {
        "case_id": v["case_id"],
        "seq": v["seq"],
        "kind": v["kind"],
        "trigger": v["trigger"],
        "source": v["source"],
        "dest": v["dest"],
        "actor": v["actor"],
        "role": v["role"],
        "business_time": utc_text(v["business_time"]),
        "wall_time": utc_text(v["wall_time"]),
        "comment": v["comment"],
        "data": v["data"],
        "prev_hash": v["prev_hash"],
    }
    raw = canonical_json(payload)
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainBreak:
    """Where and how a case's chain is broken."""

    case_ref: str
    seq: int | None
    reason: str


def verify_chain(case_ref: str, events: Sequence[EventRow], *, head_hash: str, count: int) -> list[ChainBreak]:
    """Every break in one case's chain (events ordered by id, as written)."""
    out: list[ChainBreak] = []
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            out.append(ChainBreak(case_ref=case_ref, seq=ev.seq,
                                  reason=f"第 {expected_seq} 条事件的位置上是第 {ev.seq} 条：事件被删除或调换了顺序"))
        if ev.prev_hash != prev:
            out.append(ChainBreak(case_ref=case_ref, seq=ev.seq,
                                  reason="与前一条事件的哈希不相连：前面的事件被修改、删除或调换"))
        if event_hash(ev) != ev.hash:
            out.append(ChainBreak(case_ref=case_ref, seq=ev.seq, reason="事件内容与其哈希不符：事件被修改"))
        prev = ev.hash
    if len(events) != count or prev != (head_hash or GENESIS):
        out.append(ChainBreak(case_ref=case_ref, seq=None,
                              reason=f"案件记录有 {count} 条事件、末条哈希 {head_hash[:12]}，"
                                     f"历史表中有 {len(events)} 条、末条哈希 {prev[:12]}：末尾的事件被删除或添加"))
    return out
