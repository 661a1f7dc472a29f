"""`award scheduler`: APScheduler 3 only wakes the engine; deadlines stay in our tables.

It runs `tick` and outbox delivery at the next due timer and at least every
`interval` seconds, in memory (no APScheduler job store: 3.x stores must not
be shared between processes). Safe beside cron ticks: timers are claimed by
conditional updates. SIGTERM stops it after the running tick.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..logs import logger

if TYPE_CHECKING:
    from ..abc import Deliverer
    from ..engine import Engine

__all__ = ["Scheduler", "run_scheduler", "wake"]

_LOGGER = logger(__name__)


@dataclass(kw_only=True)
class Scheduler:
    """Wakes the engine: fires due timers, then hands the outbox to its deliverer.

    Attributes:
        engine: whose timers fire.
        deliverer: sends the notifications the fired steps wrote (None: they wait in the outbox).
        interval: seconds between wake-ups at the most.
        echo: where each wake-up says what it did.
    """

    engine: Engine
    deliverer: Deliverer | None
    interval: int = 60
    echo: Callable[[str], Any] = print

    def wake(self) -> datetime | None:
        """One wake-up: fire due timers, deliver the outbox; returns the next due time."""
        from .timers import next_due, tick

        report = tick(self.engine)
        for _tid, ref, what, detail in report.fired:
            self.echo(f"已触发 {ref}：{what}　{detail}")
        for _tid, ref, _what, detail in report.held:
            self.echo(f"暂缓 {ref}：{detail}")
        if self.deliverer is not None:
            self.deliverer.deliver_quietly()
        return next_due(self.engine)

    def run(self) -> None:
        """Block, waking the engine until SIGTERM or SIGINT."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        engine, echo, interval = self.engine, self.echo, self.interval
        sched = BlockingScheduler(timezone=UTC)

        def job() -> None:
            upcoming = self.wake()
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


def wake(engine: Engine, echo: Callable[[str], Any]) -> datetime | None:
    """One wake-up of a scheduler delivering through the engine's own outbox."""
    return Scheduler(engine=engine, deliverer=engine.outbox, echo=echo).wake()


def run_scheduler(engine: Engine, *, interval: int = 60, echo: Callable[[str], Any] = print) -> None:
    """Block, waking the engine (and delivering through its outbox) until SIGTERM or SIGINT."""
    Scheduler(engine=engine, deliverer=engine.outbox, interval=interval, echo=echo).run()
