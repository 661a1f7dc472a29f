# ruff: noqa: F811  (pytest fixtures imported from test_history are parameters here)
"""History anchored outside the database (issue 14, point 8): seals keyed by a file the database does not hold.

Someone with write access to the database can recompute the hash chain after an edit, change a
case row without an event, delete a whole case or rewrite the roster; `award verify` must see each,
and a step on a tampered case must refuse rather than seal the edit in (exit 7, nothing changed).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from award.workflow.history import GENESIS, event_hash
from award.workflow.store import CaseRow, Database, EventRow, database_url
from sqlmodel import col, select

from tests.workflow.test_history import award, sql  # noqa: F401  (fixtures: the two-case office, raw SQL)


def key_file() -> Path:
    return Path(os.environ["AWARD_HOME"]) / "secrets" / "history.key"


def sealed_break(r, *where: str) -> None:
    assert r.code == 7, r
    assert "Traceback" not in r.err, r
    for w in where:
        assert w in r.err, r


def test_the_key_is_made_at_init_outside_the_database_and_private(award) -> None:
    path = key_file()
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert award("verify", who=None).code == 0
    assert award("init", who=None).code == 0  # twice: the key stays
    assert award("verify", who=None).code == 0


def test_a_recomputed_chain_is_seen(award, db_url: str) -> None:
    """Edit an event, recompute its hash and every later one and the case's head: the chain verifies, the seal not."""
    db = Database(database_url(db_url))
    with db.session() as s:
        case = s.exec(select(CaseRow).where(CaseRow.ref == "SHA-2026-001")).one()
        prev = GENESIS
        for ev in s.exec(select(EventRow).where(EventRow.case_id == case.id).order_by(col(EventRow.seq))).all():
            if ev.seq == 2:
                ev.comment = "材料齐全"
            ev.prev_hash = prev
            ev.hash = event_hash(ev)
            prev = ev.hash
            s.add(ev)
        case.head_hash = prev
        s.add(case)
    db.dispose()
    r = award("verify", who=None)
    sealed_break(r, "SHA-2026-001", "与封印不符", "即使重新计算了哈希链")
    assert "SHA-2026-002" not in r.err


def test_a_case_row_changed_without_an_event_is_seen_and_a_step_refuses(award, sql) -> None:
    sql("UPDATE cases SET state = 'internal_notice', closed = false WHERE id = :case")
    sealed_break(award("verify", who=None), "SHA-2026-001：案件记录或其历史链与封印不符")
    r = award("advance", "SHA-2026-001", "internal_notice_elapsed")
    assert r.code == 3, r  # a timed trigger is never fired by hand, tampered or not
    r = award("advance", "SHA-2026-001", "withdraw", "--comment", "再次撤回", now="2026-03-12 09:00")
    sealed_break(r, "与封印不符，已被绕过系统修改：本次操作未执行")
    events = award("history", "SHA-2026-001", "--json").json["events"]
    assert len(events) == 4  # nothing was appended, nothing resealed


def test_a_form_field_changed_behind_the_engine_is_seen(award, sql) -> None:
    sql("UPDATE cases SET data = '{\"level\": \"mayor\", \"category\": \"model\"}' WHERE id = :case")
    sealed_break(award("verify", "SHA-2026-001", who=None), "SHA-2026-001")


def test_a_whole_case_deleted_with_its_seal_is_seen(award, sql) -> None:
    sql("DELETE FROM timers WHERE case_id = :case", "DELETE FROM outbox WHERE case_id = :case",
        "DELETE FROM history WHERE case_id = :case", "DELETE FROM seals WHERE subject = 'case:' || :case",
        "DELETE FROM cases WHERE id = :case")
    sealed_break(award("verify", who=None), "全部案件", "有案件被绕过系统删除或添加")


def test_a_seal_deleted_is_seen(award, sql) -> None:
    sql("DELETE FROM seals WHERE subject = 'case:' || :case")
    sealed_break(award("verify", who=None), "SHA-2026-001：案件没有封印")


def test_a_roster_edited_behind_the_engine_is_not_trusted(award, sql) -> None:
    """Giving oneself a role by SQL makes every identity untrusted until the office investigates."""
    sql("UPDATE staff SET roles = '[\"office@sha\", \"admin@*\"]' WHERE name = 'wang'")
    r = award("staff", "add", "mallory", "--login", "mallory", "--role", "committee@sha", who="wang")
    sealed_break(r, "工作人员名单", "与封印不符")
    sealed_break(award("verify", who=None), "工作人员名单")


def test_a_lost_key_is_office_data_missing(award) -> None:
    key_file().unlink()
    r = award("advance", "SHA-2026-002", "start_internal_notice", now="2026-03-12 09:00")
    assert r.code == 6, r
    assert "历史封印密钥" in r.err and "不存在" in r.err, r
