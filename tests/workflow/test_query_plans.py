"""The hot paths use indexes: no statement of a step, a tick, `show` or `history` scans a big table.

Cost must grow with the work, not with the data (issue: speed and scale). Every statement the engine
sends while it advances cases, fires timers and answers `show`/`history` is recorded with its
parameters and asked for its plan (SQLite's EXPLAIN QUERY PLAN). A plan line `SCAN <table>` on a table
that grows with the office's history fails the test, naming the statement; `SEARCH` (an index lookup)
is what we want. A statement with a LIMIT may scan in index order: it stops after LIMIT rows (but not
one that sorts the table in a temporary B-tree first: that reads every row before the LIMIT).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event

from tests.fixtures_sha import office_fixture  # noqa: F401 - fixture

GROWING = {"cases", "history", "timers", "party_records", "outbox", "objections", "reports", "parties"}


def _plans(office: Any, statements: list[tuple[str, Any]]) -> list[str]:
    bad = []
    raw = office.engine.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for sql, params in statements:
            head = sql.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE"):
                continue
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = [str(row[-1]) for row in cur.fetchall()]
            sorted_first = any("TEMP B-TREE" in line for line in plan)  # the whole table sorted before LIMIT
            for detail in plan:
                m = re.match(r"SCAN (\w+)", detail)
                if m and m.group(1) in GROWING and (sorted_first or not re.search(r"\bLIMIT\b", sql, re.IGNORECASE)):
                    bad.append(f"{detail}\n    in: {' '.join(sql.split())[:300]}")
    finally:
        raw.close()
    return bad


@pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's planner scans tables this small whatever "
                         "the indexes")
def test_steps_ticks_and_reads_search_by_index(office: Any) -> None:
    refs = [office.in_review("2026-04-20 10:00") for _ in range(3)]
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(office.engine.db.engine, "before_cursor_execute", record)
    try:
        for ref in refs:
            office.advance(ref, "pass_qualification", at="2026-04-21 09:00", who="li")
        office.tick("2026-05-06 09:00")
        office.tick("2026-05-06 09:01")  # an idle tick
        for ref in refs:
            office.engine.show(ref)
            office.engine.history(ref)
        office.engine.cases(round_id="sha-2026", limit=100)
    finally:
        event.remove(office.engine.db.engine, "before_cursor_execute", record)
    assert len(seen) > 20
    bad = _plans(office, seen)
    assert not bad, "full scans on growing tables:\n" + "\n".join(bad)


def test_the_plain_read_path_searches_by_index(office: Any) -> None:
    """The statements `show`/`history` run without the ORM (workflow/plainsql.py) use indexes too."""
    if not office.engine.db.is_sqlite:
        pytest.skip("the plain read path serves SQLite files only")
    from award.workflow.plainread import compiled_statements

    office.in_review("2026-04-20 10:00")
    params = {"id": 1, "ref": "SHA-2026-001", "case_id": 1, "limit": 100, "offset": 0, "login": "wang",
              "name": "wang", "party_id": 1, "round_id": "sha-2026", "code": "91310000MA1FL1GF94",
              "exclude": 1, "path_1": '$."level"', "path_2": '$."category"', "path_3": None,
              "now": "2026-04-20 02:00:00.000000"}
    statements = [(st["sql"], {**st["fixed"], **params}) for st in compiled_statements()["statements"].values()]
    assert len(statements) > 10
    bad = _plans(office, statements)
    assert not bad, "full scans on growing tables:\n" + "\n".join(bad)


def test_list_pages_search_by_index(office: Any) -> None:
    """A page of a list (`--limit`/`--offset`) reads by index, never the whole table."""
    if not office.engine.db.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    from award.workflow.reads import case_history
    from award.workflow.registers.listings import objections
    from award.workflow.timing.timers import list_timers

    ref = office.in_review("2026-04-20 10:00")
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(office.engine.db.engine, "before_cursor_execute", record)
    try:
        case_history(office.engine, ref, limit=100, offset=0)
        list_timers(office.engine, case=ref, limit=100)
        list_timers(office.engine, status="pending", limit=100)
        objections(office.engine.db, office.engine.catalog, round_id="sha-2026", limit=100)
        office.engine.office.party_list(limit=100)
    finally:
        event.remove(office.engine.db.engine, "before_cursor_execute", record)
    bad = _plans(office, seen)
    assert not bad, "full scans on growing tables:\n" + "\n".join(bad)
