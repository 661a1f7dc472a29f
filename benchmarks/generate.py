"""Generate a realistic office database: N cases across the five procedures, with histories and timers.

Each case belongs to a party of its own kind, in a yearly round of its procedure (2016-2026); its
history is a random walk over its definition's transitions from a start state (3-8 events), chained
with the engine's own `event_hash`, so `award verify` passes on it; a case whose state has a timer gets
it pending in the future (so an idle tick finds nothing due). Rows go in with bulk INSERTs in batches,
which is what makes 1,000,000 cases take minutes rather than hours.

The clerk `wang` is bound to the OS login that runs the generator (as `award staff add --login`
would), so `award show` and `award history` on the database read as a roster member.

Usage: python benchmarks/generate.py DB CASES [--seed N]
  DB is a SQLite path or a PostgreSQL URL; an existing database of that name is emptied first.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from award.workflow.history import GENESIS, event_hash
from award.workflow.registers.identity import resident_id_check_character, uscc_check_character
from award.workflow.specs.catalog import load_catalog
from award.workflow.specs.loader import bundled_definitions
from award.workflow.specs.model import ProcessSpec
from award.workflow.store import (
    CaseRow,
    Database,
    EventRow,
    PartyRow,
    RoundRow,
    StaffAccountRow,
    StaffRow,
    TimerRow,
    database_url,
)
from sqlalchemy import insert, text
from sqlmodel import SQLModel

YEARS = range(2016, 2027)
BATCH = 5_000
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
STAFF = ("wang", "li", "zhao")


def _os_login() -> str | None:
    from award.commands.context import os_login

    return os_login()


def _party(i: int, kind: str) -> dict[str, Any]:
    if kind == "person":
        born = date(1960, 1, 1) + timedelta(days=(i // 1000) % 14_000)  # unique (birth date, sequence) per i
        body = f"310101{born:%Y%m%d}{i % 1000:03d}"
        code = body + resident_id_check_character(body)
    else:
        body = f"91310000{i:09d}"[:17]
        code = body + uscc_check_character(body)
    return {"id": i + 1, "kind": kind, "name": f"上海第{i + 1}号质量科技有限公司" if kind != "person" else f"张{i + 1}",
            "code": code, "registered_on": date(2010, 1, 1), "email": f"p{i + 1}@example.com", "phone": None,
            "district": "浦东新区", "attrs": {}, "created_at": NOW}


def _walk(spec: ProcessSpec, rng: random.Random, start: str, steps: int) -> list[tuple[str, str, str]]:
    """A random path of (trigger, source, dest) from `start` along the definition's transitions."""
    path, state = [], start
    for _ in range(steps):
        options = [t for t in spec.transitions if state in t.source and t.dest != state]
        if not options or spec.state(state).final:
            break
        going_on = [t for t in options if not spec.state(t.dest).final]
        t = rng.choice(going_on if going_on and rng.random() < 0.9 else options)
        path.append((t.trigger, state, t.dest))
        state = t.dest
    return path


def _rows(specs: list[ProcessSpec], cases: int, rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    event_id = timer_id = 0
    for i in range(cases):
        spec = specs[i % len(specs)]
        year = YEARS[(i // len(specs)) % len(YEARS)]
        track_id, track = rng.choice(sorted(spec.tracks.items()))
        start = next(iter(spec.starts.values()))
        party = _party(i, track.party)
        yield "parties", party
        began = datetime(year, 3, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=i % 5000)
        path = _walk(spec, rng, start.state, rng.randint(2, 7))
        state = path[-1][2] if path else start.state
        events: list[dict[str, Any]] = []
        prev = GENESIS
        steps = [("created", next(iter(spec.starts)), None, start.state), *[("transition", *p) for p in path]]
        for seq, (kind, trigger, source, dest) in enumerate(steps, start=1):
            when = began + timedelta(days=seq * 3)
            row = {"case_id": i + 1, "seq": seq, "kind": kind, "trigger": trigger, "source": source, "dest": dest,
                   "actor": STAFF[seq % 3], "role": "office", "business_time": when, "wall_time": when,
                   "comment": None, "data": {"v": 1, "changes": {}}, "prev_hash": prev, "hash": ""}
            row["hash"] = prev = event_hash(row)  # the engine's hash, over the values it writes
            event_id += 1
            events.append({"id": event_id, **row})
        last = events[-1]["business_time"]
        yield "cases", {
            "id": i + 1, "ref": f"{spec.id.upper()}-{year}-{i + 1:07d}", "procedure": spec.id,
            "definition_version": spec.version, "definition_hash": spec.content_hash,
            "round_id": f"{spec.id}-{year}", "party_id": i + 1, "track": track_id, "state": state,
            "version": len(events), "data": dict(track.fields), "closed": spec.state(state).final, "held": False,
            "events": len(events), "head_hash": prev, "entered_at": last, "created_at": began, "updated_at": last,
        }
        for ev_row in events:
            yield "history", ev_row
        for timer in spec.state(state).timers[:1]:
            timer_id += 1
            yield "timers", {
                "id": timer_id, "case_id": i + 1, "entry_seq": len(events), "state": state,
                "kind": "transition" if timer.trigger else ("duty" if timer.duty else "mark"),
                "trigger": timer.trigger, "duty": timer.duty or timer.mark, "duty_index": None,
                "rule": timer.rule, "period": str(timer.after or timer.at or timer.every or ""), "basis": "bench",
                "due_at": NOW + timedelta(days=30 + i % 300), "target_at": None, "last_day": None,
                "provisional": False, "status": "pending", "note": None, "created_at": last, "fired_at": None,
            }


def generate(url: str, cases: int, seed: int = 1) -> dict[str, int]:
    """Empty the database at `url`, create the schema and fill it; returns rows written per table."""
    db = Database(database_url(url))
    SQLModel.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.init(NOW)
    specs = sorted(load_catalog(bundled_definitions()).specs(), key=lambda s: s.id)
    tables = {"parties": PartyRow, "cases": CaseRow, "history": EventRow, "timers": TimerRow}
    counts = dict.fromkeys(tables, 0)
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.execute(insert(StaffRow), [{"name": n, "roles": ["office"], "email": None, "created_at": NOW}
                                        for n in STAFF])
        conn.execute(insert(StaffAccountRow), [{"name": STAFF[0], "login": _os_login(), "phone": None,
                                               "disabled": False, "disabled_reason": None, "updated_at": NOW}])
        conn.execute(insert(RoundRow), [
            {"id": f"{s.id}-{y}", "procedure": s.id, "year": y, "title": f"{y}年{s.title}",
             "opened_on": date(y, 3, 1), "dates": {}, "properties": {}, "created_at": NOW}
            for s in specs for y in YEARS])
        pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}

        def flush(name: str) -> None:
            if pending[name]:
                conn.execute(insert(tables[name].__table__), pending[name])  # type: ignore[attr-defined]
                counts[name] += len(pending[name])
                pending[name].clear()

        for name, row in _rows(specs, cases, random.Random(seed)):
            pending[name].append(row)
            if len(pending[name]) >= BATCH:
                for other in tables:  # parents before children
                    flush(other)
        for other in tables:
            flush(other)
        if not db.is_sqlite:
            for name in tables:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
    db.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("cases", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.db, args.cases, args.seed)
    print(f"generated {counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
