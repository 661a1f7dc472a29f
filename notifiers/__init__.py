"""Delivery channels behind `workflow.abc.Notifier`: one module per channel."""

from __future__ import annotations

from .console import ConsoleNotifier
from .dingtalk import DingtalkNotifier
from .feishu import FeishuNotifier
from .smtp import SmtpNotifier
from .spool import SpoolNotifier
from .webhook import WebhookNotifier
from .wecom import WecomNotifier

__all__ = ["ConsoleNotifier", "DingtalkNotifier", "FeishuNotifier", "SmtpNotifier", "SpoolNotifier",
           "WebhookNotifier", "WecomNotifier"]
