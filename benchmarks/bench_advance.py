"""Advance throughput: N cases through 3 steps each on SQLite, against a floor of bare `transitions`.

Each step is what `award advance CASE TRIGGER` does in-process: load the case and its facts, run the
guards on the cached Machine, and in one transaction update the case, append the hash-chained history
event, cancel/plan timers and render the notifications into the outbox (delivery is left to
`award outbox deliver`, as with `--no-deliver`). The floor is the state machine alone: one
`transitions.Machine` built per case, no database; the ratio is what durability and auditability cost.

Usage: python benchmarks/bench_advance.py [N]   (default 100; about 10 s)
"""

from __future__ import annotations

import sys

from _common import new_cases, office, table, timed
from transitions import Machine

STEPS = (  # (trigger, who, comment)
    ("confirm_willingness", "wang", None),
    ("start_internal_notice", "wang", None),
    ("withdraw", "wang", "申报单位书面撤回"),
)


def engine_run(n: int) -> tuple[float, int]:
    with office() as engine:
        refs = new_cases(engine, n)
        actor = engine.office.actor("wang", "bench")

        def walk() -> None:
            for ref in refs:
                for trigger, _who, comment in STEPS:
                    engine.advance(ref, trigger, actor=actor, comment=comment)

        seconds = timed(walk)
        assert {c["state"] for c in engine.cases()} == {"withdrawn"}
        return seconds, len(refs) * len(STEPS)


def floor_run(n: int) -> tuple[float, int]:
    """One Machine per case, built from the SHA definition's states and transitions, then 3 triggers."""
    from award.workflow.specs.catalog import load_catalog
    from award.workflow.specs.loader import bundled_definitions

    spec = load_catalog(bundled_definitions()).get("sha")
    states = [s.name for s in spec.states]
    transitions = [{"trigger": t.trigger, "source": list(t.source), "dest": t.dest} for t in spec.transitions]

    class Case:
        state: str

    def walk() -> None:
        for _ in range(n):
            case = Case()
            Machine(model=case, states=states, transitions=transitions, initial="recommended",
                    auto_transitions=False)
            for trigger, _who, _comment in STEPS:
                getattr(case, trigger)()
            assert case.state == "withdrawn"

    return timed(walk), n * len(STEPS)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    engine_s, engine_steps = engine_run(n)
    floor_s, floor_steps = floor_run(n)
    per_step, per_floor = engine_s / engine_steps, floor_s / floor_steps
    table(f"advance: {n} cases x {len(STEPS)} steps on SQLite", ["run", "steps", "seconds", "steps/s", "per step"], [
        ["award engine (SQLite, outbox, timers)", engine_steps, f"{engine_s:.2f}", f"{engine_steps / engine_s:.0f}",
         f"{per_step * 1000:.2f} ms"],
        ["floor: one transitions.Machine per case", floor_steps, f"{floor_s:.3f}", f"{floor_steps / floor_s:.0f}",
         f"{per_floor * 1e6:.0f} us"],
    ])
    print(f"  engine / floor: {per_step / per_floor:.0f}x per step")


if __name__ == "__main__":
    main()
