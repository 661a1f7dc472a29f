"""Documents a notification carries, stored with its outbox row in the step's transaction.

A table of its own (not a column of `outbox`), so that databases made before it need no
migration: `award init` creates it beside the others.
"""

from __future__ import annotations

from sqlalchemy import LargeBinary
from sqlmodel import Column, Field, Session, SQLModel, col, select

from ..values import Attachment

__all__ = ["OutboxAttachmentRow", "attachments_of"]


class OutboxAttachmentRow(SQLModel, table=True):
    """One document of one outbox row (the material review report with SHA-23's feedback letter)."""

    __tablename__ = "outbox_attachments"
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    filename: str
    mime_type: str = "text/plain"
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


def attachments_of(s: Session, outbox_id: int) -> tuple[Attachment, ...]:
    """The documents of one row, in the order they were written."""
    found = s.exec(select(OutboxAttachmentRow).where(OutboxAttachmentRow.outbox_id == outbox_id)
                   .order_by(col(OutboxAttachmentRow.id))).all()
    return tuple(Attachment(filename=a.filename, content=a.content, mime_type=a.mime_type) for a in found)
