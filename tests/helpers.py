"""Valid codes and ready-made steps for scenario tests."""

from __future__ import annotations

from typing import Any

from award.workflow.registers.identity import resident_id_check_character, uscc_check_character


def uscc(body17: str) -> str:
    """A valid unified social credit code from its first 17 characters."""
    return body17 + uscc_check_character(body17)


def resident_id(body17: str) -> str:
    """A valid resident ID number from its first 17 characters."""
    return body17 + resident_id_check_character(body17)


ORG_DECLARATIONS = [
    "registered_in_shanghai=是", "licensed_compliant=是", "chief_quality_officer=是", "no_loss_5y=是",
    "no_major_accident=是", "no_major_complaint=是", "no_serious_dishonesty=是", "district_award_same_year=否",
    "contact_email=applicant@example.com",
]
PERSON_DECLARATIONS = ["is_principal=否", "district_award_same_year=否", "contact_email=person@example.com"]


def sets(items: list[str]) -> list[str]:
    return [a for item in items for a in ("--set", item)]


def gold_model_in_internal_notice(award, *, code: str, year: int, opened: str, notice_at: str) -> str:
    """Open a round, register an organisation (registered 2015), open a gold_model case and start its
    internal notice (SHA-20) through the CLI; returns the case reference."""
    assert award("round", "open", "sha", str(year), now=opened).code == 0
    assert award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", code,
                 "--registered-on", "2015-06-01").code == 0
    r = award("case", "new", "--party", code, "--round", f"sha-{year}", "--track", "gold_model", "--json",
              now=opened)
    assert r.code == 0, r
    ref: str = r.json["ref"]
    r = award("advance", ref, "start_internal_notice", now=notice_at)
    assert r.code == 0, r
    return ref


def _engine(db: str) -> Any:
    from award.workflow.store import database_url
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(database_url(db), poolclass=NullPool)


def table_dump(db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, on either backend: proves that a dry run or a refused command
    changed nothing (the tables' rows, where a SQLite-only test would compare the file's bytes)."""
    from sqlalchemy import MetaData, select

    engine = _engine(db)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
                    for name, table in sorted(meta.tables.items())}
    finally:
        engine.dispose()


def execute_sql(db: str, statement: str, params: dict[str, Any] | None = None) -> None:
    """Run one statement on the test's database, either backend, behind the engine's back (tampering,
    or a state no command makes). `:name` placeholders."""
    from sqlalchemy import text

    engine = _engine(db)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params or {})
    finally:
        engine.dispose()
