"""SQL tables of the expert review: pool, relations, conflicts, panels, assignments, scores, feedback.

Rows are never deleted: an ended assignment, a recused score or a withdrawn conflict keeps its row
with the time and reason it ended, so the record of a review stays whole.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ..store import _json, _ts, _ts_null  # the column kinds, defined once with the core tables

__all__ = [
    "AssignmentRow",
    "CoachingRow",
    "ConflictRow",
    "ExpertRow",
    "FeedbackRow",
    "GroupRelationRow",
    "PanelMemberRow",
    "PanelRow",
    "ScoreRow",
    "ServiceRow",
]




class ExpertRow(SQLModel, table=True):
    """A member of an issuer's expert pool.

    Attributes:
        pool: the pool id (a definition's `review.pool`).
        org_code: the unified social credit code of the expert's organisation.
        joined_by: `appointed`, or `award` (a winner's senior manager or a winning person, added by the engine).
        staff: the staff roster name this expert acts as (`--as`), if linked.
    """

    __tablename__ = "review_experts"
    __table_args__ = (UniqueConstraint("pool", "name", "org_code", name="uq_expert_pool_name_org"),)
    id: int | None = Field(default=None, primary_key=True)
    pool: str = Field(index=True)
    name: str
    org_name: str | None = None
    org_code: str | None = Field(default=None, index=True)
    title: str | None = None
    specialities: list[str] = Field(default_factory=list, sa_column=_json())
    email: str | None = None
    phone: str | None = None
    joined_by: str = "appointed"
    joined_case: int | None = None
    staff: str | None = Field(default=None, index=True)
    active: bool = True
    disabled_reason: str | None = None
    created_by: str
    created_at: datetime = Field(sa_column=_ts())


class ServiceRow(SQLModel, table=True):
    """An expert's employment by or consulting for an organisation, with its dates (conflict look-back)."""

    __tablename__ = "review_services"
    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    kind: str  # employment | consulting
    org_code: str = Field(index=True)
    org_name: str | None = None
    start: date | None = None
    end: date | None = None
    entered_by: str
    entered_at: datetime = Field(sa_column=_ts())


class CoachingRow(SQLModel, table=True):
    """A coaching relationship an expert registered with the office (an organisation coached)."""

    __tablename__ = "review_coaching"
    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    org_code: str = Field(index=True)
    org_name: str | None = None
    start: date | None = None
    end: date | None = None
    entered_by: str
    entered_at: datetime = Field(sa_column=_ts())


class GroupRelationRow(SQLModel, table=True):
    """A recorded group relation: `member_code` belongs to the group company `group_code`."""

    __tablename__ = "review_groups"
    __table_args__ = (UniqueConstraint("member_code", "group_code", name="uq_group_member"),)
    id: int | None = Field(default=None, primary_key=True)
    member_code: str = Field(index=True)
    group_code: str = Field(index=True)
    group_name: str | None = None
    entered_by: str
    entered_at: datetime = Field(sa_column=_ts())


class ConflictRow(SQLModel, table=True):
    """A conflict of interest between an expert and a party (every case of that party).

    Attributes:
        kind: same_org | same_group | employment | consulting | coaching | other.
        source: declared (by the expert) | office (entered by the office) | detected (by the engine).
    """

    __tablename__ = "review_conflicts"
    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    party_id: int = Field(foreign_key="parties.id", index=True)
    kind: str
    source: str
    reason: str
    entered_by: str
    entered_at: datetime = Field(sa_column=_ts())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_ts_null())
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None


class PanelRow(SQLModel, table=True):
    """A round's review panel; it ends with the round (or when the office dissolves it)."""

    __tablename__ = "review_panels"
    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", unique=True)
    formed_by: str
    formed_at: datetime = Field(sa_column=_ts())
    dissolved_at: datetime | None = Field(default=None, sa_column=_ts_null())
    dissolved_by: str | None = None


class PanelMemberRow(SQLModel, table=True):
    """An expert on a panel; `status` active | warned | disqualified (with the reason and who decided)."""

    __tablename__ = "review_panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "expert_id", name="uq_panel_member"),)
    id: int | None = Field(default=None, primary_key=True)
    panel_id: int = Field(foreign_key="review_panels.id", index=True)
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    status: str = "active"
    sanctions: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    added_by: str
    added_at: datetime = Field(sa_column=_ts())


class AssignmentRow(SQLModel, table=True):
    """An expert assigned to one stage of one case; ended by recusal, disqualification or withdrawal."""

    __tablename__ = "review_assignments"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    stage: str
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    assigned_by: str
    assigned_at: datetime = Field(sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts_null())
    end_reason: str | None = None


class ScoreRow(SQLModel, table=True):
    """One expert's score of one case in one stage; a recused score stays, marked, out of the totals."""

    __tablename__ = "review_scores"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    stage: str
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    table_id: str
    table_version: str
    points: dict[str, float] = Field(default_factory=dict, sa_column=_json())
    total: float
    comment: str | None = None
    entered_by: str
    entered_at: datetime = Field(sa_column=_ts())
    superseded: bool = False
    recused_at: datetime | None = Field(default=None, sa_column=_ts_null())
    recused_reason: str | None = None


class FeedbackRow(SQLModel, table=True):
    """Two-way feedback on discipline: the applicant rates an expert, or an expert rates the applicant."""

    __tablename__ = "review_feedback"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    stage: str
    expert_id: int = Field(foreign_key="review_experts.id", index=True)
    direction: str  # of_expert (applicant rates expert) | of_applicant (expert rates applicant)
    rating: int
    comment: str | None = None
    entered_by: str
    entered_at: datetime = Field(sa_column=_ts())
