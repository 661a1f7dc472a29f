"""Business time runs forwards: a step dated before the case's last event is refused unless back-dated.

`--now '2026-01-05'` typed for May would otherwise write a history that runs backwards. The office
may still record a step late on purpose (`--backdate --reason`), and the event says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from .errors import InvalidInput, Refused
from .store import EventRow, Prepared, utc
from .timing.clock import SHANGHAI

__all__ = ["check_forward", "last_business_time"]


def _last() -> Any:
    table = EventRow.__table__  # type: ignore[attr-defined]
    return (select(table.c.business_time).where(table.c.case_id == bindparam("case_id"))
            .order_by(table.c.seq.desc()).limit(1))


_LAST = Prepared(_last)


def last_business_time(s: Session, case_id: int) -> datetime | None:
    """The business time of the case's latest event (every step asks: one prepared statement)."""
    last = _LAST.first(s, {"case_id": case_id})
    return utc(last[0]) if last is not None else None


def check_forward(s: Session, case_id: int, ref: str, now: datetime, backdate: str | None) -> dict[str, str]:
    """Refuse a step earlier than the case's last event unless `backdate` gives the reason.

    Returns:
        What the history event records about back-dating (empty when the step is not back-dated).

    Raises:
        Refused: the step would run history backwards (exit 3).
        InvalidInput: `--backdate` without a reason (exit 2).
    """
    if backdate is not None and not backdate.strip():
        raise InvalidInput("补记（--backdate）须用 --reason 写明理由")
    last = last_business_time(s, case_id)
    if last is None or utc(now) >= last:
        return {}
    if backdate is None:
        raise Refused(f"{ref}：业务时间 {_show(now)} 早于本案最后一条记录的时间 {_show(last)}，历史不能倒流。"
                      "若日期输错，请检查 --now；若确需补记从前办理的事项，请加 --backdate --reason \"理由\"")
    return {"backdated": backdate.strip(), "last_event_at": last.isoformat()}


def _show(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M}"
