"""`award scheduler`: one wake-up in-process, and the long-lived process stopping cleanly on SIGTERM."""

from __future__ import annotations

import signal
import time

from award.workflow.timing.clock import fixed_clock
from award.workflow.timing.scheduler import wake

from tests.fixtures_sha import (
    moment,
    office_fixture,  # noqa: F401 - fixtures
    open_office,
)

ELAPSED = "qualification_notice_elapsed"


def test_wake_fires_due_timers_delivers_and_returns_the_next_due_time(db_url, tmp_path):
    o = open_office(db_url, tmp_path)  # mail stays in the outbox until a wake-up
    try:
        early = o.in_notice("2026-09-30 09:00")  # due 2026-10-14 00:00
        late = o.in_notice("2026-10-09 09:00")  # 10-10 (make-up), 10-12, 10-13, 10-14, 10-15: due 10-16 00:00
        assert o.engine.show(late).timers[0].due_at == moment("2026-10-16 00:00")
        assert o.spool() == []
        said: list[str] = []

        o.engine.clock = fixed_clock(moment("2026-10-14 08:00"))
        upcoming = wake(o.engine, said.append)

        assert said == [f"已触发 {early}：资格审查公示期满无异议　资格审查结果公示中 → 资料评审中"]
        assert upcoming == moment("2026-10-16 00:00")
        assert o.engine.show(early).state == "material_review"
        assert o.engine.show(late).state == "qualification_notice"
        rows = [r for r in o.engine.outbox.list() if "无地址" not in r["recipient"]]
        assert rows and {r["status"] for r in rows if r["channel"] == "email"} == {"spooled"}  # the scheduler delivers
        assert len(o.spool()) == len(rows)

        o.engine.clock = fixed_clock(moment("2026-10-16 00:00"))
        assert wake(o.engine, said.append) is None
        assert said[-1].startswith(f"已触发 {late}：")
    finally:
        o.engine.db.dispose()


def test_wake_reports_a_held_timer(office):
    ref = office.in_notice("2026-09-30 09:00")
    filed = office.run("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "材料不实",
                       now="2026-10-09 10:00")
    assert filed.code == 0, filed
    said: list[str] = []
    office.engine.clock = fixed_clock(moment("2026-10-14 08:00"))
    assert wake(office.engine, said.append) is None  # a held timer is not "next due": it waits for a change
    assert len(said) == 1 and said[0].startswith(f"暂缓 {ref}：")
    assert office.engine.show(ref).held is True


def test_scheduler_process_fires_due_timers_and_stops_cleanly_on_sigterm(office):
    ref = office.in_notice("2026-09-30 09:00")
    office.engine.db.dispose()
    proc = office.spawn("scheduler", "--interval", "1", AWARD_NOW="2026-10-14 08:00")
    try:
        deadline = time.monotonic() + 10
        while office.engine.show(ref).state != "material_review":
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the scheduler did not fire the due timer within 10 s"
            time.sleep(0.1)
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert time.monotonic() - stopped_at < 5
    lines = out.splitlines()
    assert lines[0].startswith("定时调度已启动：至少每 1 秒检查一次")
    assert f"已触发 {ref}：资格审查公示期满无异议　资格审查结果公示中 → 资料评审中" in lines
    assert "收到停止信号，完成当前任务后退出" in lines  # the job thread may echo its last line after it
    assert "Traceback" not in err
    [elapsed] = [e for e in office.engine.history(ref)[1] if e.trigger == ELAPSED]
    assert elapsed.business_time == moment("2026-10-14 00:00")
