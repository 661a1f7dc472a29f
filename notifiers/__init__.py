"""Delivery channels behind `workflow.abc.Notifier`."""
