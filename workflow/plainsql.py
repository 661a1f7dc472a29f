"""The statements of the plain read path (`plainread.py`), written once against the table definitions.

SQLAlchemy compiles them for SQLite; `plainread` keeps the compiled text in its cache, keyed by the
code of the tables, and later processes run it through the standard library's `sqlite3` without
importing SQLAlchemy. The tables stay defined in one place (store.py, review/tables.py); nothing here
spells a column name or a type that the tables do not give.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, bindparam, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import Select

from .gather import FACT_STATEMENTS
from .kinds import LIVE_TIMERS, TimerKind, TimerStatus
from .plainfile import COUNTED_KEYS
from .review.tables import ExpertRow
from .store import (
    SCHEMA_VERSION,
    CaseRow,
    EventRow,
    MetaRow,
    ObjectionRow,
    PartyRecordRow,
    PartyRow,
    RoundRow,
    SealRow,
    StaffAccountRow,
    StaffChangeRow,
    StaffRow,
    TimerRow,
)

__all__ = ["compile_statements", "statements"]


def statements() -> dict[str, Select[Any]]:
    """Every SELECT the plain read path runs, by name; `:name` parameters are bound by `plainread`.

    The facts' statements are the engine's own (`gather.FACT_STATEMENTS`), named `facts.<name>`."""
    meta, case, event, party = (MetaRow.__table__, CaseRow.__table__,  # type: ignore[attr-defined]
                                EventRow.__table__, PartyRow.__table__)  # type: ignore[attr-defined]
    timer, objection, seal = TimerRow.__table__, ObjectionRow.__table__, SealRow.__table__  # type: ignore[attr-defined]
    staff, account, change = (StaffRow.__table__, StaffAccountRow.__table__,  # type: ignore[attr-defined]
                              StaffChangeRow.__table__)  # type: ignore[attr-defined]
    expert, record = ExpertRow.__table__, PartyRecordRow.__table__  # type: ignore[attr-defined]
    rounds = RoundRow.__table__  # type: ignore[attr-defined]
    listed = (case.c.id, case.c.ref, case.c.round_id, case.c.procedure, case.c.definition_version, case.c.track,
              case.c.state, case.c.held, case.c.closed, case.c.entered_at, case.c.updated_at,
              party.c.name.label("party_name"))
    office_page = select(*listed).join(party, case.c.party_id == party.c.id)
    round_page = office_page.where(case.c.round_id == bindparam("round_id"))
    return {
        "schema_version": select(meta.c.value).where(meta.c.key == "schema_version"),
        "case_by_id": select(case).where(case.c.id == bindparam("id")),
        "case_by_ref": select(case).where(case.c.ref == bindparam("ref")),
        "party": select(party).where(party.c.id == bindparam("id")),
        "events": select(event).where(event.c.case_id == bindparam("case_id")).order_by(event.c.seq)
        .limit(bindparam("limit")).offset(bindparam("offset")),
        "timers": select(timer).where(timer.c.case_id == bindparam("case_id"),  # as Engine.show lists them
                                      timer.c.status.in_([bindparam(f"status_{i}", str(v)) for i, v in
                                                          enumerate([*LIVE_TIMERS, TimerStatus.BLOCKED])]),
                                      timer.c.kind != bindparam("retention", str(TimerKind.RETENTION)))
        .order_by(timer.c.due_at),
        "retention_marks": select(timer).where(timer.c.case_id == bindparam("case_id"),  # as Engine._retention
                                               timer.c.kind == bindparam("retention", str(TimerKind.RETENTION)),
                                               timer.c.status != bindparam("cancelled", str(TimerStatus.CANCELLED)))
        .order_by(timer.c.entry_seq),
        "revoked_record_of_case": select(record.c.id).where(record.c.case_id == bindparam("case_id"),
                                                            record.c.revoked_on.is_not(None)).limit(1),
        "objections": select(objection).where(objection.c.case_id == bindparam("case_id")).order_by(objection.c.id),
        "roster_seal": select(seal.c.seal).where(seal.c.subject == "roster"),
        "any_staff_change": select(change.c.id).limit(1),
        "last_staff_change": select(change.c.hash, change.c.seq).order_by(change.c.seq.desc()).limit(1),
        "staff": select(staff).order_by(staff.c.name),
        "accounts": select(account),
        "account_by_login": select(account).where(account.c.login == bindparam("login")),
        "staff_by_name": select(staff).where(staff.c.name == bindparam("name")),
        "expert_of_staff": select(expert.c.id).where(expert.c.staff == bindparam("name")).limit(1),
        "round_by_id": select(rounds.c.id).where(rounds.c.id == bindparam("id")),
        # a page of a round's cases, as finder.find_cases lists them (index on round and id: the page's cost)
        "round_cases": round_page.order_by(case.c.id).limit(bindparam("limit")).offset(bindparam("offset")),
        "round_open_cases": round_page.where(case.c.closed.is_(False)).order_by(case.c.id)
        .limit(bindparam("limit")).offset(bindparam("offset")),
        # a page of the office's cases with no filter (the primary key's order: the page's cost)
        "office_cases": office_page.order_by(case.c.id).limit(bindparam("limit")).offset(bindparam("offset")),
        "office_open_cases": office_page.where(case.c.closed.is_(False)).order_by(case.c.id)
        .limit(bindparam("limit")).offset(bindparam("offset")),
        **{f"facts.{name}": build() for name, build in FACT_STATEMENTS.items()},
        "round_counts": _round_counts(case),
        # whether any timer is due, as tick claims them (index on status and due time: one probe)
        "due_timer": select(timer.c.id).where(timer.c.status == bindparam("pending", str(TimerStatus.PENDING)),
                                              timer.c.due_at <= bindparam("now")).limit(1),
    }


def _round_counts(case: Any) -> Select[Any]:
    """The other cases of a round counted by state, track and up to `COUNTED_KEYS` form values (`:path_<i>`, a
    JSON path; NULL for none), as SQLite's JSON_EXTRACT gives them: what the engine's `count_cases` compares
    on SQLite, grouped, so that `plainread` sums the groups a guard's condition matches."""
    values = [func.json_extract(case.c.data, bindparam(f"path_{i}")).label(f"value_{i}")
              for i in range(1, COUNTED_KEYS + 1)]
    return (select(case.c.state, case.c.track, *values, func.count().label("cases"))
            .where(case.c.round_id == bindparam("round_id"), case.c.id != bindparam("exclude"))
            .group_by(case.c.state, case.c.track, *values))


def _kind(type_: Any) -> str:
    """How `plainread` turns a stored value back into what the ORM would give."""
    for cls, kind in ((DateTime, "datetime"), (Date, "date"), (JSON, "json"), (Boolean, "bool")):
        if isinstance(type_, cls):
            return kind
    return "raw"


def compile_statements() -> dict[str, Any]:
    """The statements as SQLite text, each with its fixed parameters and its columns' kinds."""
    dialect = sqlite.dialect(paramstyle="named")
    out: dict[str, Any] = {}
    for name, stmt in statements().items():
        compiled = stmt.compile(dialect=dialect)
        fixed = {k: v for k, v in compiled.params.items() if v is not None}  # literals of the statement
        out[name] = {"sql": str(compiled), "fixed": fixed,
                     "columns": [[c.name, _kind(c.type)] for c in stmt.selected_columns]}
    return {"schema_version": SCHEMA_VERSION, "statements": out}
