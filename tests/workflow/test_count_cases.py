"""`count_cases` (quotas, per-recommender limits) is one SQL COUNT on SQLite and PostgreSQL, not every case
of the round loaded into Python; conditions on numbers, yes/no or dates are still counted, in Python."""

from __future__ import annotations

from award.workflow.store import CaseRow
from sqlalchemy import event
from sqlmodel import select

from tests.fixtures_sha import any_office_fixture  # noqa: F401 - fixtures


def test_count_cases_is_one_select(any_office) -> None:
    refs = [any_office.new_case(at="2026-03-02 09:00") for _ in range(4)]
    any_office.advance(refs[1], "start_internal_notice", at="2026-03-02 10:00")
    engine = any_office.engine
    statements: list[str] = []
    with engine.db.session() as s:
        row = s.exec(select(CaseRow).where(CaseRow.ref == refs[0])).one()
        facts = engine.case_facts(s, row)

        def seen(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(engine.db.engine, "before_cursor_execute", seen)
        try:
            others = facts.count_cases(states=["draft"], where={"level": "gold", "category": ["model"]})
            by_track = facts.count_cases(states=None, where={"track": "gold_model"})
            none = facts.count_cases(where={"level": "mayor"})
        finally:
            event.remove(engine.db.engine, "before_cursor_execute", seen)
    assert (others, by_track, none) == (2, 3, 0)  # itself excluded; refs[1] left draft
    assert len(statements) == 3 and all("count(" in x.lower() for x in statements), statements


def test_a_condition_on_a_yes_no_field_is_counted_too(any_office) -> None:
    refs = [any_office.new_case(at="2026-03-02 09:00") for _ in range(3)]
    any_office.advance(refs[1], "start_internal_notice", at="2026-03-02 10:00",
                       sets=["registered_in_shanghai=是"])
    engine = any_office.engine
    with engine.db.session() as s:
        row = s.exec(select(CaseRow).where(CaseRow.ref == refs[0])).one()
        facts = engine.case_facts(s, row)
        assert facts.count_cases(where={"registered_in_shanghai": True}) == 1
        assert facts.count_cases(where={"registered_in_shanghai": [True, False]}) == 1


def test_replaced_facts_are_what_dataclasses_replace_makes(any_office) -> None:
    """The facts after a step are made with `CaseFacts.replaced`, a copy of the fields' dict: the same value
    as `dataclasses.replace`, the original untouched, and a name that is no field refused."""
    import dataclasses

    import pytest
    from award.workflow.facts import CaseFacts

    ref = any_office.new_case(at="2026-03-02 09:00")
    engine = any_office.engine
    with engine.db.session() as s:
        facts = engine.case_facts(s, engine.case_row(s, ref))
    changes = {"state": "elsewhere", "data": {"x": 1}, "before": facts.data, "open_objections": 3}
    fast, slow = facts.replaced(**changes), dataclasses.replace(facts, **changes)
    assert type(fast) is CaseFacts and fast == slow and fast.state == "elsewhere" and facts.state != "elsewhere"
    assert {f.name: getattr(fast, f.name) for f in dataclasses.fields(CaseFacts)} == \
        {f.name: getattr(slow, f.name) for f in dataclasses.fields(CaseFacts)}
    with pytest.raises(TypeError, match="statee"):
        facts.replaced(statee="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.state = "x"  # type: ignore[misc]
