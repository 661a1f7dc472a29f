"""Alembic's environment: run on the connection `award.workflow.migrations.upgrade` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
