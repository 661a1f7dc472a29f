"""Schema migrations: a database of the previous release upgrades with nothing lost, and the tables
defined in code never drift from the migrations that make them (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from award.workflow import migrations
from award.workflow.store import SCHEMA_VERSION, Database, database_url
from sqlalchemy import MetaData, create_engine, func, insert, inspect, select, text
from sqlmodel import SQLModel

from tests.conftest import make_runner

RELEASE_010 = Path(__file__).resolve().parents[1] / "data" / "release-0.1.0.json"


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"datetime"}:
        return datetime.fromisoformat(value["datetime"])
    if isinstance(value, dict) and set(value) == {"date"}:
        return date.fromisoformat(value["date"])
    return value


def _fresh(url: str) -> Database:
    db = Database(database_url(url))
    SQLModel.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return db


def _make_release_010(db: Database) -> dict[str, int]:
    """The tables exactly as release 0.1.0's `create_all` made them, with a walked case's rows in them."""
    from alembic import command

    with db.engine.begin() as conn:
        config = migrations._config(conn)
        command.upgrade(config, migrations.BASELINE)  # type: ignore[arg-type]
        conn.execute(text("DROP TABLE alembic_version"))  # 0.1.0 recorded no revision
    rows = json.loads(RELEASE_010.read_text(encoding="utf-8"))
    meta = MetaData()
    meta.reflect(db.engine)
    with db.engine.begin() as conn:
        for table in meta.sorted_tables:
            data = [{k: _decode(v) for k, v in r.items()} for r in rows.get(table.name, [])]
            if data:
                conn.execute(insert(table), data)
        if db.engine.dialect.name == "postgresql":  # ids were inserted explicitly: move the sequences on
            for table in meta.sorted_tables:
                if "id" in table.c and rows.get(table.name) and table.c.id.autoincrement is not False:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT MAX(id) FROM {table.name}))"))
    return {name: len(r) for name, r in rows.items()}


def test_a_release_010_database_upgrades_and_keeps_everything(db_url: str, tmp_path: Path) -> None:
    db = _fresh(db_url)
    counts = _make_release_010(db)
    run = make_runner(db_url, tmp_path)
    refused = run("show", "SHA-2026-001", who=None)
    assert refused.code == 6 and "award init" in refused.err, refused
    # the upgrade names the first administrator (0.1.0 had none), bound to the login running it
    r = run("init", "--admin", "admin", who=None)
    assert r.code == 0, r
    assert f"数据库结构已从版本 1 升级到 {SCHEMA_VERSION}" in r.out
    with db.engine.connect() as conn:
        for name, n in counts.items():
            assert conn.execute(select(func.count()).select_from(text(name))).scalar() >= n, name  # init adds admin, seals
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrations.HEAD
    assert "ix_party_records_case_id" in {i["name"] for i in inspect(db.engine).get_indexes("party_records")}
    verified = run("verify", who=None)
    assert verified.code == 0, verified
    listed = run("cases", "--json", who=None)
    assert [(c["ref"], c["state"]) for c in listed.json] == [("SHA-2026-001", "internal_notice")]
    # The case continues on the version it started with: sha 2022.1 is kept in definitions/archive/,
    # and its timer fires under that version's rules.
    shown = run("show", "SHA-2026-001", "--json", who=None)
    assert shown.code == 0, shown
    assert (shown.json["definition_version"], shown.json["state"]) == ("2022.1", "internal_notice")
    assert run("staff", "add", "zhou", "--login", "zhou", "--role", "office", "--for", "shanghai", who=None).code == 0
    ticked = run("tick", now="2026-03-11 09:00", who=None)
    assert ticked.code == 0 and "触发 1 个" in ticked.out, ticked
    assert run("show", "SHA-2026-001", "--json", who="zhou").json["state"] == "ready"
    # Moving it to the current version is the office's explicit, recorded decision (AWD-7).
    stranger = run("case", "migrate", "SHA-2026-001", "--reason", "按新版办理", who="li")
    assert stranger.code == 3 and "AWD-1" in stranger.err, stranger
    moved = run("case", "migrate", "SHA-2026-001", "--reason", "按2022.2版继续办理", "--json", who="zhou")
    assert moved.code == 0, moved
    assert [(m["ref"], m["from_version"], m["to_version"]) for m in moved.json["migrated"]] == \
        [("SHA-2026-001", "2022.1", "2022.2")]
    shown = run("show", "SHA-2026-001", "--json", who="zhou").json
    assert (shown["definition_version"], shown["state"]) == ("2022.2", "ready")
    last = run("history", "SHA-2026-001", "--json", who="zhou").json["events"][-1]
    assert (last["kind"], last["actor"], last["comment"]) == ("definition_migrated", "zhou", "按2022.2版继续办理")
    assert (last["detail"]["from_version"], last["detail"]["to_version"]) == ("2022.1", "2022.2")
    assert run("verify", who=None).code == 0  # the chain and the seals hold across the migration
    again = run("init", who=None)
    assert f"数据库已是最新结构（版本 {SCHEMA_VERSION}），无需改动" in again.out
    db.dispose()


def test_the_tables_in_code_match_the_migrations(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from award.workflow.migrations.autogenerate import import_all_tables

    import_all_tables()  # every table of every module, whichever tests ran before
    db = _fresh(db_url)
    db.init(datetime(2026, 1, 5, 1, 0).astimezone())
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    db.dispose()
    assert diff == [], ("the tables in code and the migrations disagree: add a revision in "
                        f"workflow/migrations/versions/ for {diff}")


def test_head_is_the_newest_revision_and_the_schema_version() -> None:
    from alembic.script import ScriptDirectory
    from award.workflow.migrations import _HERE

    config = migrations._config(create_engine("sqlite://").connect())
    script = ScriptDirectory.from_config(config)  # type: ignore[arg-type]
    assert script.get_heads() == [migrations.HEAD]
    assert SCHEMA_VERSION == int(migrations.HEAD)
    assert (_HERE / "script.py.mako").is_file()


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    url = str(tmp_path / "award.db")
    run = make_runner(url, tmp_path)
    assert run("init", who=None).code == 0
    engine = create_engine(database_url(url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    r = run("init", who=None)
    assert r.code == 6 and "比本程序" in r.err, r
