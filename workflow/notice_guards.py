"""Guards of the notice-ending transitions: the period must have fully run (issue 14, point 1).

A timer fires its trigger when the period is due; the trigger's own guard checks it once more from
the case's state entry and the calendar, citing the notice's rule. So a notice can end only when
its period ran out, whoever or whatever fires the trigger (a timer created from bad data, a
clock set wrong), and `award show` says when it will.
"""

from __future__ import annotations

from pydantic import field_validator

from .facts import CaseFacts
from .guards import GUARDS, Params, day_period
from .timing.clock import cn_date, local_date

__all__ = ["PeriodElapsed", "period_elapsed"]


class PeriodElapsed(Params):
    """`after`: the period (default: the current state's own `after` timer, e.g. `5 working days`)."""

    after: str | None = None

    @field_validator("after")
    @classmethod
    def _period(cls, text: str | None) -> str | None:
        return day_period(text)


@GUARDS.register("period_elapsed", PeriodElapsed)
def period_elapsed(facts: CaseFacts, p: PeriodElapsed) -> tuple[bool, str]:
    """The period counted from entering the current state has fully run (a notice's full length)."""
    from .timing.periods import describe, due, parse_period

    text = p.after
    if text is None:
        state = facts.spec.state_map.get(facts.state)
        timers = [t for t in (state.timers if state else []) if t.after and t.trigger]
        if not timers:
            return False, f"“{facts.spec.label_of(facts.state)}”没有规定期限，无法判断是否期满"
        text = timers[0].after
    assert text is not None
    if facts.entered_at is None:
        return False, "案件尚未进入该状态，期限未开始"
    period = parse_period(text)
    if period.kind == "working_days" and facts.calendar is None:
        return False, "未配置工作日日历，无法计算期限"
    d = due(period, facts.entered_at, facts.calendar, start_day_counts=facts.spec.start_day_counts)  # type: ignore[arg-type]
    last = d.last_day or local_date(d.at)
    length = describe(period, facts.spec.start_day_counts, start_label="开始当日")
    label = facts.spec.label_of(facts.state)
    if facts.now >= d.at:
        return True, f"“{label}”{length}已于{cn_date(last)}期满"
    return False, f"“{label}”为{length}，至{cn_date(last)}止，尚未期满"
