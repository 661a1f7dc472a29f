"""Documents a notification carries, stored with its outbox row in the step's transaction.

A table of its own (not a column of `outbox`), so that databases made before it need no
migration: `award init` creates it beside the others.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import LargeBinary, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Column, Field, Session, SQLModel

from ..store import Prepared
from ..values import Attachment

__all__ = ["OutboxAttachmentRow", "attachments_of", "attachments_of_batch"]


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


def _of_rows() -> Any:
    a = OutboxAttachmentRow.__table__  # type: ignore[attr-defined]
    return (sa_select(a.c.outbox_id, a.c.filename, a.c.content, a.c.mime_type)
            .where(a.c.outbox_id >= bindparam("first"), a.c.outbox_id <= bindparam("last"))
            .order_by(a.c.outbox_id, a.c.id))


_OF_ROW = Prepared(_of_row)
_OF_ROWS = Prepared(_of_rows)


def attachments_of(s: Session, outbox_id: int) -> tuple[Attachment, ...]:
    """The documents of one row, in the order they were written (asked for every letter delivered)."""
    return tuple(Attachment(filename=name, content=bytes(content), mime_type=mime)
                 for name, content, mime in _OF_ROW.rows(s, {"outbox_id": outbox_id}))


def attachments_of_batch(s: Session, outbox_ids: Collection[int]) -> dict[int, tuple[Attachment, ...]]:
    """The documents of a claimed batch of rows, in one query over their id range (a row of another
    deliverer's batch in the range is read and dropped: documents are rare, round trips are not)."""
    out: dict[int, list[Attachment]] = {}
    if outbox_ids:
        for owner, name, content, mime in _OF_ROWS.rows(s, {"first": min(outbox_ids), "last": max(outbox_ids)}):
            if owner in outbox_ids:
                out.setdefault(owner, []).append(Attachment(filename=name, content=bytes(content), mime_type=mime))
    return {owner: tuple(docs) for owner, docs in out.items()}
