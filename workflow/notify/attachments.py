"""Documents a notification carries, stored with its outbox row in the step's transaction.

A table of its own (not a column of `outbox`), so that databases made before it need no
migration: `award init` creates it beside the others.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Column, Field, Session, SQLModel

from ..store import Prepared
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


def _of_row() -> Any:
    a = OutboxAttachmentRow.__table__  # type: ignore[attr-defined]
    return (sa_select(a.c.filename, a.c.content, a.c.mime_type).where(a.c.outbox_id == bindparam("outbox_id"))
            .order_by(a.c.id))


_OF_ROW = Prepared(_of_row)


def attachments_of(s: Session, outbox_id: int) -> tuple[Attachment, ...]:
    """The documents of one row, in the order they were written (asked for every letter delivered)."""
    return tuple(Attachment(filename=name, content=bytes(content), mime_type=mime)
                 for name, content, mime in _OF_ROW.rows(s, {"outbox_id": outbox_id}))
