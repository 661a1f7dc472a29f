"""The hash chain of a case's history: `award verify` finds an event edited, reordered or deleted behind
the engine's back (exit 7, naming the case and the event), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from award.workflow.store import database_url
from sqlalchemy import create_engine, text

from tests.conftest import add_staff, make_runner

ORG = "91310000MA1FL1GF94"
ORG_2 = "91310115MA1H7GQX5D"


@pytest.fixture
def award(db_url: str, tmp_path: Path, deployment: Path):
    """Two cases: SHA-2026-001 with four events (created, notice started, notice elapsed, withdrawn) and
    SHA-2026-002 with one."""
    run = make_runner(db_url, tmp_path, deployment)
    add_staff(run, {"wang": ("office", ("sha",))})
    steps = [
        ("round", "open", "sha", "2026", "--opened-on", "2026-03-02"),
        ("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", ORG,
         "--registered-on", "2015-06-01", "--email", "quality@jia.example.com"),
        ("party", "add", "--kind", "organization", "--name", "上海乙精密制造有限公司", "--code", ORG_2,
         "--registered-on", "2008-04-10"),
        ("case", "new", "--party", ORG, "--round", "sha-2026", "--track", "gold_model"),
        ("case", "new", "--party", ORG_2, "--round", "sha-2026", "--track", "gold_model"),
        ("advance", "SHA-2026-001", "start_internal_notice"),
    ]
    for args in steps:
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    assert run("tick", now="2026-03-10 00:05", who=None).code == 0
    r = run("advance", "SHA-2026-001", "withdraw", "--yes", "--comment", "企业决定明年再申报", now="2026-03-11 09:00")
    assert r.code == 0, r
    events = run("history", "SHA-2026-001", "--json").json["events"]
    assert [e["trigger"] for e in events] == ["apply", "start_internal_notice", "internal_notice_elapsed", "withdraw"]
    return run


@pytest.fixture
def sql(db_url: str) -> Iterator:
    """Run SQL on the database behind the engine's back."""
    engine = create_engine(database_url(db_url))

    def run(*statements: str) -> None:
        with engine.begin() as conn:
            case_id = conn.execute(text("SELECT id FROM cases WHERE ref = 'SHA-2026-001'")).scalar_one()
            for statement in statements:
                conn.execute(text(statement), {"case": case_id})

    yield run
    engine.dispose()


def tampered(r, *where: str) -> None:
    assert r.code == 7, r
    assert "Traceback" not in r.err
    assert "案件历史的哈希链断裂，记录可能被绕过系统修改" in r.err, r
    for w in where:
        assert w in r.err, r
    assert "SHA-2026-002" not in r.err  # the untouched case is not blamed


def test_untouched_history_verifies(award) -> None:
    r = award("verify", who=None)
    assert r.code == 0, r
    assert "已核验 2 件案件的历史，哈希链完整" in r.out
    r = award("verify", "SHA-2026-001", "--json", who=None)
    assert r.code == 0 and r.json == {"ok": True, "cases": 1, "files": 0}, r
    events = award("history", "SHA-2026-001", "--json").json["events"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e["business_time"] for e in events] == [
        "2026-03-02T09:00:00+08:00", "2026-03-02T09:00:00+08:00",
        "2026-03-10T00:00:00+08:00",  # the timer's due time, not the moment of the tick
        "2026-03-11T09:00:00+08:00"]
    now = datetime.now(UTC)
    for e in events:  # the wall clock is the real one, whatever --now said
        assert now - timedelta(minutes=5) <= datetime.fromisoformat(e["wall_time"]) <= now


@pytest.mark.parametrize(
    "change",
    [
        pytest.param("comment = '材料齐全'", id="comment"),
        pytest.param("business_time = '2026-03-01 01:00:00'", id="business_time"),
    ],
)
def test_edited_event(award, sql, change: str) -> None:
    sql(f"UPDATE history SET {change} WHERE case_id = :case AND seq = 2")
    r = award("verify", who=None)
    tampered(r, "SHA-2026-001 第2条：事件内容与其哈希不符：事件被修改")
    assert "第3条" not in r.err and "第4条" not in r.err  # later events still chain to the stored hash
    assert award("verify", "SHA-2026-002", who=None).code == 0


def test_reordered_events(award, sql) -> None:
    sql("UPDATE history SET seq = -2 WHERE case_id = :case AND seq = 2",
        "UPDATE history SET seq = 2 WHERE case_id = :case AND seq = 3",
        "UPDATE history SET seq = 3 WHERE case_id = :case AND seq = -2")
    tampered(award("verify", "SHA-2026-001", who=None),
             "SHA-2026-001 第3条：第 2 条事件的位置上是第 3 条：事件被删除或调换了顺序",
             "SHA-2026-001 第2条：第 3 条事件的位置上是第 2 条")


def test_last_event_deleted(award, sql) -> None:
    sql("DELETE FROM history WHERE case_id = :case AND seq = 4")
    tampered(award("verify", who=None), "SHA-2026-001：案件记录有 4 条事件", "历史表中有 3 条",
             "末尾的事件被删除或添加")


def test_middle_event_deleted(award, sql) -> None:
    sql("DELETE FROM history WHERE case_id = :case AND seq = 3")
    tampered(award("verify", who=None),
             "SHA-2026-001 第4条：第 3 条事件的位置上是第 4 条：事件被删除或调换了顺序",
             "SHA-2026-001 第4条：与前一条事件的哈希不相连")
