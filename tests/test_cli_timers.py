"""`award timers list|retry`: a timer stopped by bad data is visible and can be re-armed, never lost."""

from __future__ import annotations

from tests.helpers import execute_sql, gold_model_in_internal_notice, uscc

ORG = uscc("91310000MA1FL1GF9")


def _in_internal_notice(award) -> str:
    return gold_model_in_internal_notice(award, code=ORG, year=2026, opened="2026-03-02 09:00",
                                         notice_at="2026-03-02 11:00")


def test_a_failed_timer_is_listed_with_its_reason_and_fires_after_retry(award, db_file):
    ref = _in_internal_notice(award)
    [timer] = award("timers", "list", "--case", ref, "--json").json
    assert timer["status"] == "pending" and timer["trigger"] == "internal_notice_elapsed" and timer["rule"] == "SHA-20"
    assert timer["last_day"] == "2026-03-09"

    # Bad data stopped it (as a tick would record it): it stays visible with its reason.
    execute_sql(db_file, "UPDATE timers SET status='failed', note='模板缺失' WHERE id = :id", {"id": timer["id"]})
    failed = award("timers", "list", "--status", "failed", "--json").json
    assert [(t["id"], t["note"]) for t in failed] == [(timer["id"], "模板缺失")]
    assert "触发 0 个" in award("tick", "-v", now="2026-03-10 08:00", who=None).out
    assert award("show", ref, "--json").json["state"] == "internal_notice"

    r = award("timers", "retry", str(timer["id"]))
    assert r.code == 0 and "重新排队" in r.out, r
    r = award("tick", "-v", now="2026-03-10 08:00", who=None)
    assert r.code == 0 and "内部公示期满" in r.out, r
    assert award("show", ref, "--json").json["state"] == "ready"


def test_retrying_a_timer_that_is_not_failed_or_held_is_refused(award):
    ref = _in_internal_notice(award)
    [timer] = award("timers", "list", "--case", ref, "--json").json
    r = award("timers", "retry", str(timer["id"]))
    assert r.code == 2 and "只有 failed 或 held" in r.err, r
    r = award("timers", "retry", "999")
    assert r.code == 4 and "定时 #999" in r.err, r
