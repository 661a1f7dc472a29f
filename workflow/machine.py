"""The only module that imports `transitions`: one Machine per definition version.

Vocabulary: the library's *condition* is our guard gate, its *event* our
trigger, its *model* our case. A Machine is built once per (id, version,
content hash) and cached; a case is attached as a light model for one step
and never bound to the Machine (its Event runs on any object with a `state`), so memory does not
grow with the number of cases and a step costs no binding.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from .facts import CaseFacts
from .guards import evaluate_all
from .logs import logger
from .specs.model import ProcessSpec, TransitionSpec
from .values import Verdict

__all__ = ["MachineCache", "ProcessMachine", "StepOutcome"]

_LOGGER = logger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class StepOutcome:
    """What firing a trigger on a case did (in memory; the engine persists it).

    Attributes:
        moved: whether the case changed state.
        source, dest: the states before and after.
        transition: the transition taken (or tried), None when the trigger is not available.
        verdicts: every applicable guard's verdict.
    """

    moved: bool
    source: str
    dest: str
    transition: TransitionSpec | None
    verdicts: tuple[Verdict, ...]

    @property
    def failures(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.passed)


class _CaseModel:
    """The light model `transitions` moves: a state and the facts guards read."""

    def __init__(self, facts: CaseFacts) -> None:
        self.facts = facts
        self.state = facts.state
        self.verdicts: list[Verdict] = []
        self.tried: TransitionSpec | None = None


class ProcessMachine:
    """A `transitions.Machine` built from one `ProcessSpec`.

    Attributes:
        spec: the definition it was built from.
    """

    def __init__(self, spec: ProcessSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=[s.name for s in spec.states],
            initial=None,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
            model_attribute="state",
        )
        non_final = [s.name for s in spec.states if not s.final]
        for t in spec.transitions:
            sources = non_final if "*" in t.source else t.source
            self._machine.add_transition(
                trigger=t.trigger, source=list[Any](sources), dest=t.dest, conditions=[self._gate(t)]
            )

    @staticmethod
    def _gate(transition: TransitionSpec) -> Callable[[EventData], bool]:
        """A condition that runs every guard of one transition and remembers the verdicts."""

        def gate(event: EventData) -> bool:
            model = cast(_CaseModel, event.model)
            model.tried = transition
            model.verdicts = evaluate_all(transition.guards, model.facts)
            return all(v.passed for v in model.verdicts)

        return gate

    def fire(self, facts: CaseFacts, trigger: str) -> StepOutcome:
        """Try `trigger` on a case; the model is attached only for this call."""
        model = _CaseModel(facts)
        event = self._machine.events.get(trigger)
        if event is None:
            return StepOutcome(moved=False, source=facts.state, dest=facts.state, transition=None, verdicts=())
        with self._lock:
            # The library's Event runs on any object with a `state` attribute: no add_model/remove_model
            # per step (binding a model adds a method per trigger and state: 0.3 ms of every step).
            try:
                moved = bool(event.trigger(model))
            except MachineError:
                return StepOutcome(moved=False, source=facts.state, dest=facts.state, transition=None,
                                   verdicts=())
        return StepOutcome(
            moved=moved,
            source=facts.state,
            dest=model.state,
            transition=model.tried,
            verdicts=tuple(model.verdicts),
        )

    def preview(self, facts: CaseFacts, transition: TransitionSpec) -> list[Verdict]:
        """The verdicts a transition would get now, without moving anything."""
        return evaluate_all(transition.guards, facts)


class MachineCache:
    """One `ProcessMachine` per (id, version, content hash), built on first use."""

    def __init__(self) -> None:
        self._machines: dict[tuple[str, str, str], ProcessMachine] = {}
        self._lock = threading.Lock()

    def get(self, spec: ProcessSpec) -> ProcessMachine:
        key = (spec.id, spec.version, spec.content_hash)
        with self._lock:
            machine = self._machines.get(key)
            if machine is None:
                machine = self._machines[key] = ProcessMachine(spec)
            return machine
