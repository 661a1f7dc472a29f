"""Release 0.2.0: indexes for party_records.case_id (scanned by every notifying step) and a round's
cases in order (`cases --round` a page at a time).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_party_records_case_id"), "party_records", ["case_id"], unique=False)
    op.create_index("ix_cases_round_id", "cases", ["round_id", "id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("award migrates forward only: restore a backup to go back")
