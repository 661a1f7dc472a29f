"""`award scheduler`: APScheduler 3 only wakes the engine; deadlines stay in our tables.

It runs `tick` and outbox delivery at the next due timer and at least every
`interval` seconds, in memory (no APScheduler job store: 3.x stores must not
be shared between processes). Safe beside cron ticks: timers are claimed by
conditional updates. SIGTERM stops it after the running tick.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["run_scheduler", "wake"]

_LOGGER = logging.getLogger(__name__)


def wake(engine: Engine, echo: Callable[[str], Any]) -> datetime | None:
    """One wake-up: fire due timers, deliver the outbox; returns the next due time."""
    from .timers import next_due, tick

    report = tick(engine)
    for _tid, ref, what, detail in report.fired:
        echo(f"已触发 {ref}：{what}　{detail}")
    for _tid, ref, _what, detail in report.held:
        echo(f"暂缓 {ref}：{detail}")
    outbox = engine.extensions.get("outbox")
    if outbox is not None:
        outbox.deliver_quietly()
    return next_due(engine)


def run_scheduler(engine: Engine, *, interval: int = 60, echo: Callable[[str], Any] = print) -> None:
    """Block, waking the engine until SIGTERM or SIGINT."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    sched = BlockingScheduler(timezone=UTC)

    def job() -> None:
        upcoming = wake(engine, echo)
        if upcoming is not None:
            run_at = max(upcoming, engine.wall_clock() + timedelta(seconds=1))
            sched.add_job(job, "date", run_date=run_at, id="next-due", replace_existing=True,
                          misfire_grace_time=None, max_instances=1)

    sched.add_job(job, "interval", seconds=interval, id="heartbeat", next_run_time=engine.wall_clock(),
                  misfire_grace_time=None, coalesce=True, max_instances=1)

    def stop(signum: int, _frame: Any) -> None:
        echo("收到停止信号，完成当前任务后退出")
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    echo(f"定时调度已启动：至少每 {interval} 秒检查一次到期事项（Ctrl-C 或 SIGTERM 停止）")
    sched.start()
