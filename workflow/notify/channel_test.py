"""`award outbox test`: one message through each configured channel, to see the deployment work end to end."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from ..errors import AwardError
from ..timing.clock import cn_datetime
from ..values import Message
from .deployment import ROBOTS

if TYPE_CHECKING:
    from .outbox import Outbox

__all__ = ["test_channels"]


def test_channels(outbox: Outbox, address: str) -> list[tuple[str, bool, str]]:
    """(channel, delivered, what happened) for every channel of the deployment; nothing enters the outbox."""
    from .delivery import STATUS_LABELS

    dep = outbox.deployment
    now = outbox.engine.wall_clock()
    token = secrets.token_hex(4)
    installation = outbox.engine.db.installation()
    results = []
    for channel, cfg in dep.notifiers.items():
        if cfg.kind in ROBOTS:
            to = f"{channel}:office"
        elif cfg.kind == "webhook":
            to = dep.office.webhook or cfg.url or address
        else:
            to = address
        office = dep.office.name or "审定办"
        msg = Message(message_id=f"<test-{token}.{channel}.{installation}@award.local>", to=to,
                      subject=f"【测试】{office}通知渠道 {channel}",
                      text=f"这是一条测试通知，发送于{cn_datetime(now)}，用于确认渠道 {channel}（{cfg.kind}）配置正确。无需回复。",
                      headers={"X-Award-Test": token})
        try:
            notifier = outbox.notifier(channel)
            notifier.send(msg)
        except AwardError as exc:
            results.append((channel, False, str(exc)))
            continue
        results.append((channel, True, f"{STATUS_LABELS.get(notifier.outcome, notifier.outcome)}（{to}）"))
    return results
