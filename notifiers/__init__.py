"""Delivery channels behind `workflow.abc.Notifier`: one module per channel."""

from __future__ import annotations

from .console import ConsoleNotifier
from .smtp import SmtpNotifier
from .spool import SpoolNotifier
from .webhook import WebhookNotifier

__all__ = ["ConsoleNotifier", "SmtpNotifier", "SpoolNotifier", "WebhookNotifier"]
