"""The Python peer: SpiffWorkflow 3.2 on the same shape of work as award, both on SQLite.

The shape: a user task (an officer's decision), then a timer (a public notice running out). SpiffWorkflow
runs a BPMN process with a userTask and a timer intermediateCatchEvent; each step deserialises the
workflow from its SQLite row, runs, serialises and writes it back in one transaction, which is how
SpiffWorkflow applications persist (it keeps no history, timers table or outbox of its own). award runs
SHA cases: `start_internal_notice` by an officer (guards, hash-chained history, the SHA-20 timer planned,
notifications rendered into the outbox), then `award tick` fires the timer once it is due.

Needs the `bench` extra: pip install -e ".[bench]".   Usage: python benchmarks/bench_peer.py [N] (default 200)
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from _common import at, new_cases, office, table

BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="award">
  <bpmn:process id="review" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:userTask id="decide" name="decide"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="notice"/>
    <bpmn:intermediateCatchEvent id="notice" name="notice"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT0S"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="notice" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def peer_run(n: int) -> tuple[float, float, int]:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN)
    spec = parser.get_spec("review")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        con = sqlite3.connect(Path(folder) / "spiff.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        for i in range(n):
            wf = BpmnWorkflow(spec)
            wf.do_engine_steps()
            con.execute("INSERT INTO workflows VALUES (?, ?)", (i, serializer.serialize_json(wf)))

        def step(i: int, user: bool) -> None:
            con.execute("BEGIN IMMEDIATE")
            wf = serializer.deserialize_json(con.execute("SELECT state FROM workflows WHERE id = ?",
                                                         (i,)).fetchone()[0])
            if user:
                [task] = wf.get_tasks(state=TaskState.READY, manual=True)
                task.data["decision"] = "pass"
                task.run()
            else:
                wf.refresh_waiting_tasks()
            wf.do_engine_steps()
            con.execute("UPDATE workflows SET state = ? WHERE id = ?", (serializer.serialize_json(wf), i))
            con.execute("COMMIT")

        started, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            step(i, user=True)
        for i in range(n):
            step(i, user=False)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        done = con.execute("SELECT state FROM workflows").fetchall()
        assert all(serializer.deserialize_json(s).is_completed() for (s,) in done)
        return seconds, cpu, 2 * n


def award_run(n: int) -> tuple[float, float, int]:
    from award.workflow.timing.timers import tick

    with office() as engine:
        refs = new_cases(engine, n, start="apply")
        actor = engine.office.actor("wang", "bench")
        at(engine, "2026-03-02 10:00")
        started, cpu = time.perf_counter(), time.process_time()
        for ref in refs:
            engine.advance(ref, "start_internal_notice", actor=actor)
        at(engine, "2026-03-20 08:00")
        report = tick(engine)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(report.fired) == n, report
        return seconds, cpu, 2 * n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    a_s, a_cpu, a_n = award_run(n)
    p_s, p_cpu, p_n = peer_run(n)
    table(f"a user task then a timer, {n} cases, SQLite", ["run", "steps", "seconds", "steps/s", "CPU per step"], [
        ["award (history, timers, outbox)", a_n, f"{a_s:.2f}", f"{a_n / a_s:.0f}", f"{a_cpu / a_n * 1000:.2f} ms"],
        ["SpiffWorkflow 3.2 (serialised per step)", p_n, f"{p_s:.2f}", f"{p_n / p_s:.0f}",
         f"{p_cpu / p_n * 1000:.2f} ms"],
    ])
    print(f"  award / peer: {(a_n / a_s) / (p_n / p_s):.2f}x the steps/s, {p_cpu / p_n / (a_cpu / a_n):.2f}x "
          "the peer's CPU per step inverted (above 1: award spends less CPU per step)")


if __name__ == "__main__":
    main()
