"""Notifications: the transactional outbox, its templates and the deployment file."""
