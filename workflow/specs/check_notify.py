"""Checks of a definition's notifications: every recipient exists and has its letter, every event kind is real.

Kept apart from `check.py` so that the notification language (a letter per recipient, channels,
the event kinds `on_events` may name) is checked in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..errors import Problem
from ..labels import NOTIFY_EVENTS as EVENT_KINDS
from .model import NotifySpec, ProcessSpec

__all__ = ["EVENT_KINDS", "check_notifications", "notifications"]

Where = tuple[str | int, ...]


def notifications(spec: ProcessSpec) -> Iterator[tuple[NotifySpec, Where]]:
    """Every notification of a definition with its path in the file."""
    for key, start in spec.starts.items():
        for j, n in enumerate(start.notify):
            yield n, ("starts", key, "notify", j)
    for i, t in enumerate(spec.transitions):
        for j, n in enumerate(t.notify):
            yield n, ("transitions", i, "notify", j)
    for i, s in enumerate(spec.states):
        for j, timer in enumerate(s.timers):
            for k, n in enumerate(timer.notify):
                yield n, ("states", i, "timers", j, "notify", k)
            for kind, lst in timer.on_events.items():
                for k, n in enumerate(lst):
                    yield n, ("states", i, "timers", j, "on_events", kind, k)
    for kind, lst in spec.on_events.items():
        for j, n in enumerate(lst):
            yield n, ("on_events", kind, j)


def check_notifications(spec: ProcessSpec, p: Callable[..., Problem]) -> list[Problem]:
    """Every problem of the notifications: unknown event kinds, unknown recipients, recipients without a letter."""
    out: list[Problem] = []
    for kind in spec.on_events:
        if kind not in EVENT_KINDS:
            known = "、".join(EVENT_KINDS)
            out.append(p(f"on_events 的事件 {kind!r} 不存在（可用：{known}）", "on_events", kind))
    for n, where in notifications(spec):
        if isinstance(n.to, dict) and n.template is not None:
            out.append(p("to 已按收件人指定模板时不能再写 template", *where, "template"))
        if not n.to:
            out.append(p("通知没有收件人（to）", *where, "to"))
        for role, template in n.letters():
            if role not in spec.recipients:
                known = "、".join(spec.recipients) or "（无）"
                out.append(p(f"通知对象 {role!r} 未在 recipients 中定义（已定义：{known}）", *where, "to"))
            if template is None:
                out.append(p(f"通知对象 {role!r} 没有指定模板：请写成 to: {{{role}: 模板名}}", *where, "to"))
    return out
