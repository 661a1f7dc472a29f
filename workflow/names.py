"""Names people type: states and triggers by id or by Chinese label, with "did you mean" when nothing matches.

A clerk remembers "资格审查" rather than `qualification_review`; a typo should get the nearest names
back (difflib), never an empty table.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .errors import InvalidInput, NameLookupError
from .specs.model import ProcessSpec

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["case_trigger", "nearest", "resolve_state", "resolve_trigger", "round_state_trigger"]


def nearest(word: str, choices: Iterable[str], *, n: int = 5, cutoff: float = 0.4) -> list[str]:
    """The choices closest to `word`, best first (substring matches count as close)."""
    pool = list(dict.fromkeys(choices))
    contains = [c for c in pool if word and (word in c or c in word)]
    close = difflib.get_close_matches(word, pool, n=n, cutoff=cutoff)
    return list(dict.fromkeys([*contains, *close]))[:n]


def resolve_state(spec: ProcessSpec, text: str) -> str:
    """A state id from its id or its Chinese label (exact, else a unique partial label).

    Raises:
        NameLookupError: nothing matches (exit 4), with the nearest states.
    """
    found = _resolve(text, {s.name: s.label for s in spec.states})
    if found is None:
        shown = {f"{s.label}（{s.name}）": s for s in spec.states}
        hits = nearest(text, [*(s.name for s in spec.states), *(s.label for s in spec.states)])
        suggestions = [k for k, s in shown.items() if s.name in hits or s.label in hits]
        raise NameLookupError(f"流程“{spec.title}”的状态", text, suggestions, list(shown))
    return found


def resolve_trigger(spec: ProcessSpec, text: str, available: Sequence[str]) -> str:
    """A trigger id from its id or Chinese label; an unknown one lists the triggers available now, nearest first.

    Raises:
        InvalidInput: the procedure has no such trigger (exit 2).
    """
    labels = {t.trigger: t.label for t in spec.transitions}
    found = _resolve(text, labels)
    if found is not None:
        return found
    several = [a for a in available if text.strip() and text.strip() in labels[a]]
    if len(several) > 1:
        which = "、".join(f"{labels[a]}（{a}）" for a in several)
        raise InvalidInput(f"“{text}”可指此案件现在可用的多个操作，请写明是哪一个：{which}")
    order = nearest(text, [*available, *(labels[a] for a in available)], n=len(available) * 2, cutoff=0.0)
    ranked = list(dict.fromkeys(a for o in order for a in available if o in (a, labels[a])))
    ranked += [a for a in available if a not in ranked]
    now = "、".join(f"{labels[a]}（{a}）" for a in ranked) or "无（案件已办结或只能由定时触发）"
    raise InvalidInput(f"流程“{spec.title}”没有“{text}”这一操作；此案件现在可用（相近的在前）：{now}")


def _resolve(text: str, labels: dict[str, str]) -> str | None:
    word = text.strip()
    if word in labels:
        return word
    exact = [k for k, v in labels.items() if v == word]
    if len(set(exact)) == 1:
        return exact[0]
    partial = {k for k, v in labels.items() if word and word in v}
    return partial.pop() if len(partial) == 1 else None


def case_trigger(engine: Engine, ref: str, text: str) -> str:
    """The trigger a clerk typed for a case (id or Chinese label); unknown to the procedure -> exit 2."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        spec = engine.spec_of(row)
        available = [t.trigger for t in spec.transitions_from(row.state) if t.roles != ["system"]]
    if text in spec.triggers():
        return text
    return resolve_trigger(spec, text, available)


def round_state_trigger(engine: Engine, round_id: str, state: str, trigger: str) -> tuple[str, str, str]:
    """(procedure, state id, trigger id) for `advance --round R --state S TRIGGER`, typed by id or label."""
    from sqlmodel import select

    from .store import RoundRow

    with engine.db.session() as s:
        rounds = {r.id: r.procedure for r in s.exec(select(RoundRow))}
    if round_id not in rounds:
        raise NameLookupError("评审轮次", round_id, nearest(round_id, rounds), list(rounds))
    procedure = rounds[round_id]
    spec = engine.catalog.get(procedure)
    state_id = resolve_state(spec, state)
    available = [t.trigger for t in spec.transitions_from(state_id) if t.roles != ["system"]]
    return procedure, state_id, trigger if trigger in spec.triggers() else resolve_trigger(spec, trigger, available)
